//! The newsletter draft: a week's picked posts in the newsletter's shape (linked title,
//! blurb, `Author — Org`), as markdown and as an HTML fragment.

use std::fmt::Write as _;

use super::{attribution, html_escape, html_title_link, md_escape, md_link};
use crate::review::DraftItem;
use crate::week::IsoWeek;

/// Placeholder where a picked post has no blurb yet.
pub const BLURB_PLACEHOLDER: &str = "TODO: blurb";

/// The newsletter draft in markdown: `## [Title](url)`, the blurb, `Author — Org`.
pub fn draft_markdown(week: IsoWeek, items: &[DraftItem]) -> String {
    let mut out = format!("# Draft for {week}\n");
    if items.is_empty() {
        out.push_str("\nNothing picked yet: `gleaner pick ID --note \"blurb\"`.\n");
    }
    for item in items {
        let c = &item.candidate;
        let blurb = item
            .note
            .as_deref()
            .map(md_escape)
            .unwrap_or_else(|| format!("_{BLURB_PLACEHOLDER}_"));
        let _ = write!(
            out,
            "\n## {}\n\n{blurb}\n\n{}\n",
            md_link(&c.title, c.url.as_deref()),
            md_escape(&attribution(c))
        );
    }
    out
}

/// The newsletter draft as an HTML fragment; every string is escaped and only http(s)
/// links are rendered as links.
pub fn draft_html(week: IsoWeek, items: &[DraftItem]) -> String {
    let mut out = format!("<h1>Draft for {week}</h1>\n");
    for item in items {
        let c = &item.candidate;
        let heading = html_title_link(&c.title, c.url.as_deref());
        let blurb = match &item.note {
            Some(note) => html_escape(note),
            None => format!("<em>{BLURB_PLACEHOLDER}</em>"),
        };
        let _ = writeln!(
            out,
            "<article>\n  <h2>{heading}</h2>\n  <p>{blurb}</p>\n  <p class=\"attribution\">{}</p>\n</article>",
            html_escape(&attribution(c))
        );
    }
    out
}
