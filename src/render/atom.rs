//! The week's shortlist as an Atom feed (RFC 4287), so a feed reader can follow it:
//! the feed and each entry carry `id`, `title`, `updated` and `author`; each entry
//! links the post and carries its score, the reasons and the excerpt. Pure; every
//! string is escaped for XML (the escaper drops the control characters XML forbids).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{attribution, html_escape, reasons_line};
use crate::model::{Candidate, rfc3339};
use crate::week::IsoWeek;

/// The tag URI (RFC 4151) every id of a gleaner feed starts with.
const TAG: &str = "tag:gleaner.invalid,2026:";

/// The shortlist feed. `base` is the page's address as the reader reached it
/// (`http://127.0.0.1:8311`), for the feed's own links.
pub fn shortlist_atom(
    week: IsoWeek,
    candidates: &[Candidate],
    updated: DateTime<Utc>,
    base: &str,
) -> String {
    let base = base.trim_end_matches('/');
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = write!(
        out,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>{TAG}shortlist</id>\n\
         <title>gleaner shortlist {week}</title>\n\
         <subtitle>This week's candidates, best first, with the reasons for each score</subtitle>\n\
         <updated>{}</updated>\n\
         <author><name>gleaner</name></author>\n\
         <generator>gleaner</generator>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}/shortlist.atom\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}/?week={week}\"/>\n",
        rfc3339(updated),
        x(base),
        x(base),
    );
    for (rank, c) in candidates.iter().enumerate() {
        entry(&mut out, rank + 1, c);
    }
    out.push_str("</feed>\n");
    out
}

fn entry(out: &mut String, rank: usize, c: &Candidate) {
    let when = c.published.unwrap_or(c.first_seen);
    let author = c
        .author
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(&c.org);
    let why = reasons_line(c);
    let summary = format!(
        "#{rank} · score {:.2} · {}\nwhy: {why}\n\n{}",
        c.score,
        attribution(c),
        c.excerpt
    );
    // The HTML content is itself escaped once more as the element's text.
    let content = format!(
        "<p><strong>#{rank} · score {:.2}</strong> · {} · feed {}</p><p>why: {}</p><p>{}</p>",
        c.score,
        html_escape(&attribution(c)),
        html_escape(&c.feed),
        html_escape(&why),
        html_escape(&c.excerpt)
    );
    let _ = write!(
        out,
        "<entry>\n  <id>{TAG}post/{id}</id>\n  <title type=\"text\">{title}</title>\n  <updated>{updated}</updated>\n  <published>{published}</published>\n  <author><name>{author}</name></author>\n",
        id = c.id,
        title = x(&c.title),
        updated = rfc3339(c.first_seen.max(when)),
        published = rfc3339(when),
        author = x(author),
    );
    if let Some(url) = crate::render::http_url(c.url.as_deref()) {
        let _ = writeln!(
            out,
            "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            x(url)
        );
    }
    let _ = write!(
        out,
        "  <category term=\"{feed}\" label=\"{feed}\"/>\n  <summary type=\"text\">{}</summary>\n  <content type=\"html\">{}</content>\n</entry>\n",
        x(&summary),
        x(&content),
        feed = x(&c.feed),
    );
}

/// XML text and attribute values: [`html_escape`]'s five entities are XML's too.
fn x(text: &str) -> String {
    html_escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        let c = Candidate {
            id: 7,
            url: Some("javascript:alert(1)".into()),
            title: "<script>x</script> & \u{0}".into(),
            feed: "F\"".into(),
            org: "O".into(),
            week: "2026-W48".into(),
            score: 1.0,
            sources: 1,
            excerpt: "<b>x</b>".into(),
            ..Candidate::default()
        };
        let week: IsoWeek = "2026-W48".parse().unwrap();
        let xml = shortlist_atom(week, &[c], DateTime::<Utc>::UNIX_EPOCH, "http://h:1");
        assert!(!xml.contains("<script>") && !xml.contains("<b>"), "{xml}");
        assert!(!xml.contains("javascript:"), "{xml}");
        assert!(!xml.contains('\u{0}'));
        assert!(
            xml.contains("&lt;script&gt;x&lt;/script&gt; &amp; "),
            "{xml}"
        );
        assert!(xml.contains("<author><name>O</name></author>"), "{xml}");
    }
}
