//! Outputs: candidates, explanations and feed health → markdown, JSON, CSV, tables.
//! Pure functions returning strings.
//!
//! Every string here came from a feed and is escaped for its format: markdown
//! punctuation is backslash-escaped and link targets are percent-encoded; JSON and CSV
//! are written by serde_json and csv; [`html_escape`] serves the review page and the
//! OPML export. Only http(s) URLs were ever stored, so no
//! `javascript:` link can be rendered.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::shortlist::Candidate;
use crate::store::FeedHealth;
use crate::week::IsoWeek;

/// The weekly shortlist as markdown, the form the daemon writes to
/// `data/shortlists/<week>.md`.
pub fn shortlist_markdown(week: IsoWeek, tz: Tz, candidates: &[Candidate]) -> String {
    let (start, end) = week.bounds(tz);
    let last_day = (end - chrono::Duration::seconds(1))
        .with_timezone(&tz)
        .date_naive();
    let mut out = format!(
        "# Shortlist for {week} ({} to {}, {tz})\n\n",
        start.with_timezone(&tz).date_naive(),
        last_day
    );
    if candidates.is_empty() {
        out.push_str("No candidates this week.\n");
        return out;
    }
    for (i, c) in candidates.iter().enumerate() {
        let _ = writeln!(out, "{}. {}  ", i + 1, md_link(&c.title, c.url.as_deref()));
        let _ = writeln!(out, "   {}  ", md_escape(&attribution(c)));
        let mut facts = vec![format!("feed: {}", md_escape(&c.feed))];
        if !c.also_in.is_empty() {
            facts.push(format!("also in: {}", md_escape(&c.also_in.join(", "))));
        }
        facts.push(match c.published {
            Some(p) => format!("published {}", p.with_timezone(&tz).format("%Y-%m-%d")),
            None => format!(
                "first seen {}",
                c.first_seen.with_timezone(&tz).format("%Y-%m-%d")
            ),
        });
        facts.push(format!("score {:.2}", c.score));
        facts.push(format!("id {}", c.id));
        let _ = writeln!(out, "   {}  ", facts.join(" · "));
        let _ = writeln!(out, "   why: {}", md_escape(&reasons_line(c)));
        if !c.excerpt.is_empty() {
            let _ = writeln!(out, "\n   > {}", md_escape(&c.excerpt));
        }
        out.push('\n');
    }
    out
}

/// `Author — Org`, falling back to whichever is known.
pub fn attribution(c: &Candidate) -> String {
    match c.author.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(author) if author != c.org => format!("{author} — {}", c.org),
        _ => c.org.clone(),
    }
}

fn reasons_line(c: &Candidate) -> String {
    crate::score::reasons_line(&c.reasons)
}

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
            c.title.clone(),
            c.url.clone().unwrap_or_default(),
            c.feed.clone(),
            c.org.clone(),
            c.author.clone().unwrap_or_default(),
            c.published.map(rfc3339).unwrap_or_default(),
            c.week.clone(),
            c.also_in.join("; "),
            reasons_line(c),
        ]);
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("csv of strings is utf-8")
}

/// One entry's score, part by part.
pub fn explain_text(c: &Candidate) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#{} {}", c.id, c.title);
    let _ = writeln!(out, "  url:       {}", c.url.as_deref().unwrap_or("(none)"));
    let mut feed = c.feed.clone();
    if !c.also_in.is_empty() {
        let _ = write!(feed, " (also in: {})", c.also_in.join(", "));
    }
    let _ = writeln!(out, "  feed:      {feed}");
    if !c.copies.is_empty() {
        let _ = writeln!(out, "  copies:    {}", c.copies.join(", "));
    }
    let _ = writeln!(out, "  by:        {}", attribution(c));
    let _ = writeln!(
        out,
        "  published: {}",
        c.published
            .map(rfc3339)
            .unwrap_or_else(|| "(no date)".into())
    );
    let _ = writeln!(out, "  first seen: {}", rfc3339(c.first_seen));
    let _ = writeln!(out, "  week:      {}", c.week);
    let _ = writeln!(out, "  score:     {:.2}", c.score);
    if c.reasons.is_empty() {
        let _ = writeln!(out, "    no rule matched");
    }
    let width = c
        .reasons
        .iter()
        .map(|r| r.rule.chars().count())
        .max()
        .unwrap_or(0);
    for r in &c.reasons {
        // Rules match in a field; the read-time parts say what they come from.
        let place = match r.rule.as_str() {
            crate::learn::LEARNED_RULE => format!("from words: {}", r.field),
            crate::score::SOURCES_RULE => format!("carried by {}", r.field),
            _ => format!("in {}", r.field),
        };
        let _ = writeln!(out, "    {:+7.2}  {:width$}  {place}", r.points, r.rule);
    }
    out
}

/// A feed's health with its next poll resolved, as `gleaner feeds` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedView {
    pub name: String,
    pub url: String,
    pub org: Option<String>,
    /// `ok`, `not_modified`, `error`, `gone`, or `never` before the first poll.
    pub status: String,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub consecutive_failures: u32,
    #[serde(serialize_with = "opt_rfc3339")]
    pub last_success: Option<DateTime<Utc>>,
    #[serde(serialize_with = "opt_rfc3339")]
    pub next_poll: Option<DateTime<Utc>>,
    pub entries: u64,
    /// Set when a permanent redirect moved the feed: the URL it had before.
    pub moved_from: Option<String>,
    #[serde(serialize_with = "opt_rfc3339")]
    pub moved_at: Option<DateTime<Utc>>,
}

impl FeedView {
    pub fn new(
        h: FeedHealth,
        org: Option<String>,
        next_scheduled: Option<DateTime<Utc>>,
    ) -> FeedView {
        let next_poll = match (h.next_poll, next_scheduled) {
            // A backoff pushes the feed past scheduled polls: the first one after it.
            (Some(wait), Some(sched)) if wait > sched => Some(wait),
            (_, sched) => sched.or(h.next_poll),
        };
        FeedView {
            name: h.name,
            url: h.url,
            org,
            status: h.last_status.unwrap_or_else(|| "never".into()),
            http_status: h.last_http_status,
            error: h.last_error,
            consecutive_failures: h.consecutive_failures,
            last_success: h.last_success,
            next_poll,
            entries: h.entries,
            moved_from: h.moved_from,
            moved_at: h.moved_at,
        }
    }
}

pub fn feeds_json(feeds: &[FeedView]) -> String {
    serde_json::to_string_pretty(feeds).expect("feeds serialize") + "\n"
}

pub fn feeds_table(feeds: &[FeedView], tz: Tz) -> String {
    let time = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let rows: Vec<[String; 7]> = feeds
        .iter()
        .map(|f| {
            [
                f.name.clone(),
                match f.http_status {
                    Some(code) => format!("{} ({code})", f.status),
                    None => f.status.clone(),
                },
                f.consecutive_failures.to_string(),
                f.entries.to_string(),
                time(f.last_success),
                time(f.next_poll),
                note(f, tz),
            ]
        })
        .collect();
    let header = [
        "FEED",
        "STATUS",
        "FAILS",
        "ENTRIES",
        "LAST OK",
        "NEXT POLL",
        "PROBLEM / NOTE",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()).take(6) {
            *w = (*w).max(cell.chars().count().min(40));
        }
    }
    let mut out = String::new();
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let cell: String = cell
                .chars()
                .filter(|c| !c.is_control())
                .take(if i == 6 { 120 } else { 40 })
                .collect();
            if i < 6 {
                let _ = write!(l, "{:w$}  ", cell, w = widths[i]);
            } else {
                l.push_str(&cell);
            }
        }
        l.trim_end().to_owned() + "\n"
    };
    out.push_str(&line(&header.map(String::from)));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}

/// The last column of `gleaner feeds`: the error, else where the feed moved from.
fn note(f: &FeedView, tz: Tz) -> String {
    match (&f.error, &f.moved_from) {
        (Some(error), _) => error.clone(),
        (None, Some(from)) => match f.moved_at {
            Some(at) => format!(
                "moved from {from} on {}",
                at.with_timezone(&tz).format("%Y-%m-%d")
            ),
            None => format!("moved from {from}"),
        },
        (None, None) => String::new(),
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_rfc3339<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// Backslash-escapes markdown punctuation and drops control characters, so feed text
/// can neither format nor inject HTML into a rendered draft.
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '!' | '~'
        ) {
            out.push('\\');
            out.push(c);
        } else if c == '\n' || c == '\r' || c == '\t' {
            out.push(' ');
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// `[title](url)`, or the bare escaped title when there is no link.
pub fn md_link(title: &str, url: Option<&str>) -> String {
    match url {
        Some(url) => {
            let target: String = url
                .chars()
                .map(|c| match c {
                    '(' => "%28".into(),
                    ')' => "%29".into(),
                    ' ' => "%20".into(),
                    '<' => "%3C".into(),
                    '>' => "%3E".into(),
                    c => c.to_string(),
                })
                .collect();
            format!("[{}]({target})", md_escape(title))
        }
        None => md_escape(title),
    }
}

/// `text` safe in HTML text and in quoted attribute values: the five special
/// characters escaped, control characters other than line breaks dropped.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_attributes_and_text() {
        assert_eq!(
            html_escape("<a href=\"x\" onclick='y'>&"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;"
        );
    }
    use crate::score::Reason;

    fn candidate() -> Candidate {
        Candidate {
            id: 7,
            url: Some("https://x.example/a_(b)".into()),
            title: "<script>alert(1)</script> *Outage* [report]".into(),
            feed: "X Blog".into(),
            org: "X".into(),
            author: Some("Dana".into()),
            published: DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
                .ok()
                .map(|d| d.with_timezone(&Utc)),
            first_seen: DateTime::parse_from_rfc3339("2026-11-24T11:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            effective_at: DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            week: "2026-W48".into(),
            score: 6.0,
            reasons: vec![Reason {
                rule: "outage".into(),
                field: "title".into(),
                points: 6.0,
            }],
            also_in: vec!["Y".into()],
            sources: 2,
            copies: vec![],
            excerpt: "We broke it.".into(),
        }
    }

    #[test]
    fn markdown_escapes_feed_text_and_link_targets() {
        let md = shortlist_markdown(
            IsoWeek {
                year: 2026,
                week: 48,
            },
            chrono_tz::UTC,
            &[candidate()],
        );
        assert!(
            md.starts_with("# Shortlist for 2026-W48 (2026-11-23 to 2026-11-29, UTC)"),
            "{md}"
        );
        assert!(md.contains(r"1. [\<script\>alert(1)\</script\> \*Outage\* \[report\]](https://x.example/a_%28b%29)"), "{md}");
        assert!(md.contains("Dana — X"));
        assert!(md.contains("also in: Y"));
        assert!(md.contains("why: outage (title) +6.00"));
        assert!(!md.contains("<script>"));
    }

    #[test]
    fn attribution_falls_back_to_the_org() {
        let mut c = candidate();
        assert_eq!(attribution(&c), "Dana — X");
        c.author = None;
        assert_eq!(attribution(&c), "X");
        c.author = Some("X".into());
        assert_eq!(attribution(&c), "X");
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
