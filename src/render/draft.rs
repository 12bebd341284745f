//! The newsletter draft: a week's picked posts in the newsletter's shape (linked title,
//! the blurb, then the attribution on its own indented line, every author named:
//! [`super::authors::credit`]), as markdown and as an HTML fragment.

use std::fmt::Write as _;

use super::authors::credit;
use super::{html_escape, html_title_link, md_escape, md_link};
use crate::review::DraftItem;
use crate::week::IsoWeek;

/// Placeholder where a picked post has no blurb yet.
pub const BLURB_PLACEHOLDER: &str = "TODO: blurb";

/// How markdown indents the attribution line. Four leading spaces would make it a code
/// block; two em spaces (as entities, so the file shows them) indent it as the
/// newsletter does and render as text everywhere.
pub const MD_INDENT: &str = "&emsp;&emsp;";

/// A draft item's attribution line, as the draft credits it.
pub fn item_credit(item: &DraftItem) -> String {
    credit(item.candidate.author.as_deref(), &item.candidate.org)
}

/// The picks that still have no blurb.
pub fn missing_blurbs(items: &[DraftItem]) -> Vec<&DraftItem> {
    items
        .iter()
        .filter(|i| blurb_paragraphs(i).is_none())
        .collect()
}

/// The item's blurb as its paragraphs (the editor separates them with a blank line), or
/// `None` while it has no blurb: the one place that decides what counts as written.
fn blurb_paragraphs(item: &DraftItem) -> Option<Vec<String>> {
    let note = item.note.as_deref()?.replace("\r\n", "\n");
    let paragraphs: Vec<String> = note
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    (!paragraphs.is_empty()).then_some(paragraphs)
}

/// The newsletter draft in markdown: `## [Title](url)`, the blurb, the indented credit.
pub fn draft_markdown(week: IsoWeek, items: &[DraftItem]) -> String {
    let mut out = format!("# Draft for {week}\n");
    if items.is_empty() {
        out.push_str("\nNothing picked yet: `gleaner pick ID --note \"blurb\"`.\n");
    }
    for item in items {
        let c = &item.candidate;
        let blurb = match blurb_paragraphs(item) {
            Some(paragraphs) => paragraphs
                .iter()
                .map(|p| md_escape(p))
                .collect::<Vec<_>>()
                .join("\n\n"),
            None => format!("_{BLURB_PLACEHOLDER}_"),
        };
        let _ = write!(
            out,
            "\n## {}\n\n{blurb}\n\n{MD_INDENT}{}\n",
            md_link(&c.title, c.url.as_deref()),
            md_escape(&item_credit(item))
        );
    }
    out
}

/// The newsletter draft as an HTML fragment, ready to paste into the newsletter's
/// editor (so the indent is an inline style: a pasted class means nothing there).
/// Every string is escaped and only http(s) links are rendered as links.
pub fn draft_html(week: IsoWeek, items: &[DraftItem]) -> String {
    let mut out = format!("<h1>Draft for {week}</h1>\n");
    for item in items {
        let c = &item.candidate;
        let heading = html_title_link(&c.title, c.url.as_deref());
        let blurb = match blurb_paragraphs(item) {
            Some(paragraphs) => paragraphs
                .iter()
                .map(|p| format!("  <p>{}</p>\n", html_escape(p).replace('\n', "<br>\n")))
                .collect::<String>(),
            None => format!("  <p><em>{BLURB_PLACEHOLDER}</em></p>\n"),
        };
        let _ = writeln!(
            out,
            "<article>\n  <h2>{heading}</h2>\n{blurb}  <p class=\"attribution\" style=\"margin-left: 2em\"><small>{}</small></p>\n</article>",
            html_escape(&item_credit(item))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Candidate;

    fn item(author: Option<&str>, note: Option<&str>) -> DraftItem {
        DraftItem {
            candidate: Candidate {
                id: 1,
                url: Some("https://blog.example/a".into()),
                title: "Retries <and> storms".into(),
                feed: "F".into(),
                org: "Example Co".into(),
                author: author.map(str::to_owned),
                week: "2026-W48".into(),
                score: 1.0,
                sources: 1,
                ..Candidate::default()
            },
            note: note.map(str::to_owned),
        }
    }

    fn week() -> IsoWeek {
        "2026-W48".parse().unwrap()
    }

    #[test]
    fn the_markdown_indents_the_credit_without_making_a_code_block() {
        let md = draft_markdown(
            week(),
            &[item(Some("Ana, Tom and Lee"), Some("First.\n\nSecond."))],
        );
        assert_eq!(
            md,
            "# Draft for 2026-W48\n\n## [Retries \\<and\\> storms](https://blog.example/a)\n\nFirst.\n\nSecond.\n\n&emsp;&emsp;Ana, Tom, and Lee — Example Co\n"
        );
        assert!(!md.contains("\n    "), "no four-space indent");
    }

    #[test]
    fn the_html_has_the_blurb_paragraphs_and_the_indented_credit() {
        let html = draft_html(
            week(),
            &[item(Some("Ana & Tom"), Some("One\nline.\n\nTwo."))],
        );
        assert!(
            html.contains("<p>One<br>\nline.</p>\n  <p>Two.</p>"),
            "{html}"
        );
        assert!(
            html.contains("<p class=\"attribution\" style=\"margin-left: 2em\"><small>Ana and Tom — Example Co</small></p>"),
            "{html}"
        );
        let todo = draft_html(week(), &[item(None, Some("  "))]);
        assert!(todo.contains("<em>TODO: blurb</em>"), "{todo}");
        assert!(todo.contains("<small>Example Co</small>"), "{todo}");
        assert_eq!(
            missing_blurbs(&[item(None, Some(" ")), item(None, Some("x"))]).len(),
            1
        );
    }
}
