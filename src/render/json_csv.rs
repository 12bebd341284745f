//! Machine formats: the shortlist as JSON and CSV (serde_json and csv do the quoting),
//! feeds as JSON, and the webhook's Slack-compatible message.

use std::fmt::Write as _;

use super::tables::FeedView;
use super::{attribution, reasons_line};
use crate::model::{Candidate, rfc3339};
use crate::week::IsoWeek;

/// The weekly shortlist as a Slack-compatible webhook message: `text` in Slack's mrkdwn
/// (feed text escaped for it), the top entries linked, and a link to the review page.
pub fn webhook_message(
    week: IsoWeek,
    candidates: &[Candidate],
    review_url: Option<&str>,
) -> serde_json::Value {
    let slack = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut text = format!(
        "*gleaner shortlist for {week}*: {} candidates",
        candidates.len()
    );
    for (i, c) in candidates.iter().enumerate() {
        let title = slack(&c.title);
        let linked = match &c.url {
            Some(url) => format!("<{}|{title}>", slack(url)),
            None => title,
        };
        let _ = write!(
            text,
            "\n{}. {linked} — {} ({:.1})",
            i + 1,
            slack(&attribution(c)),
            c.score
        );
    }
    if let Some(url) = review_url {
        let _ = write!(text, "\n<{}|Review the queue>", slack(url));
    }
    serde_json::json!({ "text": text })
}

pub fn shortlist_json(candidates: &[Candidate]) -> String {
    serde_json::to_string_pretty(candidates).expect("candidates serialize") + "\n"
}

/// A text cell a spreadsheet will not run: one that starts like a formula (`=`, `+`,
/// `-`, `@`, or a tab or carriage return before one) gets a leading `'`, as OWASP
/// advises; numbers are written by the caller and never pass through here.
fn inert_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

pub fn shortlist_csv(candidates: &[Candidate]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "id",
        "score",
        "title",
        "url",
        "feed",
        "org",
        "author",
        "published",
        "week",
        "also_in",
        "reasons",
    ]);
    for c in candidates {
        let _ = w.write_record([
            c.id.to_string(),
            format!("{:.2}", c.score),
            inert_cell(&c.title),
            inert_cell(c.url.as_deref().unwrap_or_default()),
            inert_cell(&c.feed),
            inert_cell(&c.org),
            inert_cell(c.author.as_deref().unwrap_or_default()),
            c.published.map(rfc3339).unwrap_or_default(),
            c.week.clone(),
            inert_cell(&c.also_in.join("; ")),
            inert_cell(&reasons_line(c)),
        ]);
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("csv of strings is utf-8")
}

pub fn feeds_json(feeds: &[FeedView]) -> String {
    serde_json::to_string_pretty(feeds).expect("feeds serialize") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::markdown::tests::candidate;

    /// Cells a spreadsheet would run as formulas are made inert; scores stay numbers.
    #[test]
    fn csv_cells_never_start_a_formula() {
        let mut c = candidate();
        c.title = "=HYPERLINK(\"http://evil\",\"x\")".into();
        c.author = Some("@SUM(A1)".into());
        c.org = "+1 Org".into();
        c.feed = "-feed".into();
        c.score = -2.5;
        let csv = shortlist_csv(&[c]);
        let row = csv.lines().nth(1).unwrap();
        assert!(row.starts_with("7,-2.50,\"'=HYPERLINK("), "{row}");
        assert!(row.contains(",'-feed,'+1 Org,'@SUM(A1),"), "{row}");
    }

    #[test]
    fn csv_quotes_fields() {
        let mut c = candidate();
        c.title = "Retries, \"backoff\", and you".into();
        let csv = shortlist_csv(&[c]);
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("7,6.00,\"Retries, \"\"backoff\"\", and you\","),
            "{csv}"
        );
    }
}
