//! What the terminal shows: the feeds table, the review queue, one entry's score part by
//! part, and a poll's summary.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::attribution;
use crate::ingest::pipeline::{FeedResult, PollReport};
use crate::model::{Candidate, FeedHealth, rfc3339, serialize_rfc3339_opt};
use crate::review::QueueItem;

/// Where an explained entry stands: whether its score makes it a candidate, and the
/// editor's decision on it.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    /// `[settings] min_score`.
    pub min_score: f64,
    /// Whether the score is under `min_score`, so the entry is in no shortlist or queue.
    pub below_min_score: bool,
    /// `picked`, `rejected` or `deferred`, or null.
    pub decision: Option<String>,
    /// The queue week of that decision.
    pub decision_week: Option<String>,
    pub note: Option<String>,
}

/// One entry's score, part by part, and where it stands.
pub fn explain_text(c: &Candidate, standing: &Standing) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#{} {}", c.id, c.title);
    let _ = writeln!(out, "  url:       {}", c.url.as_deref().unwrap_or("(none)"));
    let mut feed = c.feed.clone();
    if !c.also_in.is_empty() {
        let _ = write!(feed, " (also in: {})", c.also_in.join(", "));
    }
    let _ = writeln!(out, "  feed:      {feed}");
    if !c.via.is_empty() {
        let _ = writeln!(out, "  via:       {}", c.via.join(", "));
    }
    if !c.discussion.is_empty() {
        let _ = writeln!(out, "  discussion: {}", c.discussion.join(", "));
    }
    if !c.copies.is_empty() {
        let _ = writeln!(out, "  copies:    {}", c.copies.join(", "));
    }
    for line in texts(c) {
        let _ = writeln!(out, "  {line}");
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
            crate::rank::learn::LEARNED_RULE => format!("from words: {}", r.field),
            crate::score::SOURCES_RULE => format!("carried by {}", r.field),
            _ => format!("in {}", r.field),
        };
        let _ = writeln!(out, "    {:+7.2}  {:width$}  {place}", r.points, r.rule);
    }
    let candidate = if standing.below_min_score {
        format!(
            "no: below min_score ({}), so in no shortlist or queue",
            standing.min_score
        )
    } else {
        format!("yes (min_score {})", standing.min_score)
    };
    let _ = writeln!(out, "  candidate: {candidate}");
    if let Some(state) = &standing.decision {
        let _ = write!(
            out,
            "  decision:  {state} in {}",
            standing.decision_week.as_deref().unwrap_or("?")
        );
        match &standing.note {
            Some(note) => {
                let _ = writeln!(out, ": {note}");
            }
            None => out.push('\n'),
        }
    }
    out
}

/// Where an entry's texts came from and, when its article page was not read, why.
fn texts(c: &Candidate) -> Vec<String> {
    // An aggregator's item that links an article: its text (links, points) was dropped.
    let item_of_aggregator = c.via.contains(&c.feed) && c.article_state.is_some();
    let mut lines = vec![if item_of_aggregator {
        format!(
            "text:      the title from the feed {} (an aggregator: the rest is the article's)",
            c.feed
        )
    } else {
        format!(
            "text:      title, summary and content from the feed {}",
            c.feed
        )
    }];
    let day = |t: Option<DateTime<Utc>>| t.map(|t| t.format("%Y-%m-%d").to_string());
    let Some(a) = &c.article_state else {
        lines.push("article:   not wanted (the feed's text is long enough, a self post, or fetch_articles)".into());
        return lines;
    };
    let reason = a.reason.as_deref().unwrap_or("no reason given");
    lines.push(match a.status.as_str() {
        "read" => {
            let mut line = format!(
                "article:   read from {} ({} words",
                a.url,
                a.words.unwrap_or(0)
            );
            if let Some(site) = &a.site_name {
                let _ = write!(line, "; site {site}");
            }
            if let Some(day) = day(a.published) {
                let _ = write!(line, "; published {day}");
            }
            if let Some(day) = day(a.fetched_at) {
                let _ = write!(line, "; fetched {day}");
            }
            line + ")"
        }
        "failed" => {
            let next = match day(a.next_try) {
                Some(day) => format!("tried again from {day}"),
                None => "not tried again".into(),
            };
            format!(
                "article:   not read: {reason} (attempt {} of {}; {next}): {}",
                a.attempts,
                crate::model::post::MAX_ARTICLE_ATTEMPTS,
                a.url
            )
        }
        "skipped" => format!("article:   not read: {reason}: {}", a.url),
        _ => format!(
            "article:   not read yet: {}: {}",
            a.reason.as_deref().unwrap_or("waiting for the next poll"),
            a.url
        ),
    });
    lines
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
    #[serde(serialize_with = "serialize_rfc3339_opt")]
    pub last_success: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_rfc3339_opt")]
    pub next_poll: Option<DateTime<Utc>>,
    pub entries: u64,
    /// Set when a permanent redirect moved the feed: the URL it had before.
    pub moved_from: Option<String>,
    #[serde(serialize_with = "serialize_rfc3339_opt")]
    pub moved_at: Option<DateTime<Utc>>,
    /// What reading its last document took beyond a plain parse: `recovered: …`,
    /// `cut to the newest 1,000 of 1,500 entries`.
    pub note: Option<String>,
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
            note: h.note,
        }
    }
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

/// The last column of `gleaner feeds`: the error, else the note on its last document,
/// else where the feed moved from.
fn note(f: &FeedView, tz: Tz) -> String {
    match (&f.error, &f.moved_from) {
        (Some(error), _) => error.clone(),
        (None, _) if f.note.is_some() => f.note.clone().unwrap_or_default(),
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

pub fn queue_table(items: &[QueueItem]) -> String {
    let mut out = String::new();
    for item in items {
        let c = &item.candidate;
        let mark = item.tag().map(|t| format!(" [{t}]")).unwrap_or_default();
        let title: String = c
            .title
            .chars()
            .filter(|ch| !ch.is_control())
            .take(100)
            .collect();
        let _ = writeln!(out, "#{:<6} {:>6.2}  {title}{mark}", c.id, c.score);
        let _ = writeln!(
            out,
            "        {} · {}",
            attribution(c),
            c.url.as_deref().unwrap_or("(no link)")
        );
    }
    out
}

/// The summary `poll` prints, naming each failed feed with its reason.
pub fn poll_summary(report: &PollReport) -> String {
    let fetched = report.count(|r| matches!(r, FeedResult::Fetched(_)));
    let not_modified = report.count(|r| matches!(r, FeedResult::NotModified));
    let failed =
        report.count(|r| matches!(r, FeedResult::Failed { .. } | FeedResult::NotStored { .. }));
    let waiting = report.count(|r| matches!(r, FeedResult::Waiting { .. }));
    let entries = report.entries();
    let mut out = format!(
        "polled {} feeds: {fetched} fetched, {not_modified} not modified, {failed} failed, {waiting} waiting\n\
         entries: {} new, {} updated\n",
        report.feeds.len(),
        entries.new,
        entries.updated
    );
    let articles = report.articles;
    if articles.read + articles.failed + articles.skipped > 0 || articles.over_budget {
        let _ = writeln!(
            out,
            "articles: {} read, {} failed, {} skipped{}",
            articles.read,
            articles.failed,
            articles.skipped,
            if articles.over_budget {
                "; more wait for the next poll (article_budget)"
            } else {
                ""
            }
        );
    }
    for f in &report.feeds {
        if let Some(url) = &f.moved_to {
            out.push_str(&format!(
                "moved: {} now polls {url} (permanent redirect)\n",
                f.name
            ));
        }
    }
    if failed > 0 {
        out.push_str("failed:\n");
        for (name, message) in report.failed() {
            out.push_str(&format!("  {name}: {message}\n"));
        }
    }
    out
}
