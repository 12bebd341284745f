//! Outputs: candidates, explanations and feed health → markdown, JSON, CSV, tables.
//! Pure functions returning strings.
//!
//! [`markdown`] (the shortlist), [`draft`] (the newsletter draft, markdown and HTML),
//! [`authors`] (names joined as the newsletter credits them), [`tables`] (what the
//! terminal shows), [`json_csv`] (machine formats and the webhook's message), [`atom`]
//! (the shortlist as a feed), [`page`] (the review page), [`escape`] (every escaper)
//!
//! Every string here came from a feed and is escaped for its format: markdown
//! punctuation is backslash-escaped and link targets are percent-encoded; JSON and CSV
//! are written by serde_json and csv; [`html_escape`] serves the review page and the
//! OPML export. Only http(s) URLs were ever stored, so no
//! `javascript:` link can be rendered.

pub mod atom;
pub mod authors;
pub mod draft;
pub mod escape;
pub mod json_csv;
pub mod markdown;
pub mod page;
pub mod tables;

pub use escape::{
    html_escape, html_title_link, html_title_link_new_tab, http_url, md_escape, md_link,
};
pub use json_csv::{shortlist_csv, shortlist_json};
pub use markdown::shortlist_markdown;

use crate::model::Candidate;

/// `Author — Org`, falling back to whichever is known.
pub fn attribution(c: &Candidate) -> String {
    match c.author.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(author) if author != c.org => format!("{author} — {}", c.org),
        _ => c.org.clone(),
    }
}

/// `1 week`, `2 weeks`: a count with its noun, plural but for one.
pub(crate) fn counted(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A score to two places, never `-0.00` (a score a hair below zero shows as 0.00).
pub(crate) fn two_places(score: f64) -> String {
    let shown = format!("{score:.2}");
    match shown.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_owned(),
        _ => shown,
    }
}

/// A discussion link's text: its host (`news.ycombinator.com`, `lobste.rs`).
pub(crate) fn link_host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "discussion".into())
}

pub(crate) fn reasons_line(c: &Candidate) -> String {
    crate::score::reasons_line(&c.reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_scores_read_as_written() {
        assert_eq!(counted(1u64, "week"), "1 week");
        assert_eq!(counted(0u64, "week"), "0 weeks");
        assert_eq!(counted(5u64, "pick"), "5 picks");
        assert_eq!(two_places(-0.001), "0.00");
        assert_eq!(two_places(-0.5), "-0.50");
        assert_eq!(two_places(1.234), "1.23");
    }
}
