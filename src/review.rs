//! Review: the editor's weekly queue and the newsletter draft. Pure functions; the
//! commands read and write decisions through the store.
//!
//! Every candidate has a review state: `new` (no decision), `picked`, `rejected` or
//! `deferred`. A week's queue holds
//! - the week's undecided candidates (as in its shortlist) that were seen in time,
//! - last week's posts first seen this week (late arrivals: they reach this queue,
//!   and only this one, so a post the editor could not have seen is never lost), and
//! - posts deferred to this week (or earlier, while still undecided), marked as
//!   carried over.
//!
//! A decision belongs to the queue week it was made in; deferring moves a post to the
//! next week's queue. `undo` removes a post's latest decision, so the one before it (or
//! `new`) applies again. The draft lists a week's picked posts in the order they were
//! picked (or by score): linked title, the editor's note as the blurb, and
//! `Author — Org`.

use std::fmt::Write as _;

use chrono_tz::Tz;
use serde::Serialize;

use crate::render::{attribution, html_escape, md_escape, md_link};
use crate::shortlist::Candidate;
use crate::store::{Decision, StoredPost};
use crate::week::IsoWeek;

/// A decision the editor can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pick,
    Reject,
    Defer,
}

impl Verdict {
    pub fn state(self) -> &'static str {
        match self {
            Verdict::Pick => "picked",
            Verdict::Reject => "rejected",
            Verdict::Defer => "deferred",
        }
    }
}

/// The queue week a post is in: the week it was deferred to; else, for a post first
/// seen the week after it was published, the week it was first seen; else the week of
/// its published (or first-seen) date.
pub fn queue_week(post: &StoredPost, decision: Option<&Decision>, tz: Tz) -> IsoWeek {
    if let Some(d) = decision.filter(|d| d.state == Verdict::Defer.state())
        && let Ok(week) = d.week.parse()
    {
        return week;
    }
    let published = IsoWeek::containing(post.effective_at, tz);
    let seen = IsoWeek::containing(post.first_seen, tz);
    if seen == published.next() {
        seen
    } else {
        published
    }
}

/// The week a decision is recorded under: deferring moves the post to the next week.
pub fn decision_week(verdict: Verdict, queue_week: IsoWeek) -> IsoWeek {
    match verdict {
        Verdict::Defer => queue_week.next(),
        Verdict::Pick | Verdict::Reject => queue_week,
    }
}

/// One entry of `gleaner queue`: the shortlist's fields plus how it got here.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    #[serde(flatten)]
    pub candidate: Candidate,
    /// `new`, or `deferred` for a carried-over post.
    pub state: &'static str,
    pub carried_over: bool,
    pub late: bool,
}

impl QueueItem {
    /// How it got into the queue, when not as one of the week's own: `carried over`
    /// (deferred from an earlier week) or `late` (last week's, first seen this week).
    pub fn tag(&self) -> Option<&'static str> {
        match (self.carried_over, self.late) {
            (true, _) => Some("carried over"),
            (_, true) => Some("late"),
            _ => None,
        }
    }
}

impl crate::shortlist::Ranked for QueueItem {
    fn candidate(&self) -> &Candidate {
        &self.candidate
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

/// One picked post of the draft.
pub struct DraftItem {
    pub candidate: Candidate,
    pub note: Option<String>,
}

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

/// A title, escaped, as a link when its URL is http(s) (never `javascript:` or `data:`).
pub fn html_title_link(title: &str, url: Option<&str>) -> String {
    let title = html_escape(title);
    match url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        Some(url) => format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{title}</a>",
            html_escape(url)
        ),
        None => title,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn post(published: &str, seen: &str) -> StoredPost {
        StoredPost {
            id: 1,
            feed: "f".into(),
            url: Some("https://x.example/a".into()),
            title: "t".into(),
            summary: String::new(),
            content: String::new(),
            author: None,
            published: Some(utc(published)),
            first_seen: utc(seen),
            effective_at: utc(published),
            score: Default::default(),
            also_in: vec![],
            copies: vec![],
        }
    }

    #[test]
    fn queue_weeks_of_timely_late_and_deferred_posts() {
        let tz = chrono_tz::UTC;
        let timely = post("2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z");
        assert_eq!(queue_week(&timely, None, tz).to_string(), "2026-W48");
        let late = post("2026-11-20T10:00:00Z", "2026-11-24T11:00:00Z");
        assert_eq!(queue_week(&late, None, tz).to_string(), "2026-W48");
        let old = post("2026-10-01T10:00:00Z", "2026-11-24T11:00:00Z");
        assert_eq!(queue_week(&old, None, tz).to_string(), "2026-W40");
        let deferred = Decision {
            state: "deferred".into(),
            note: None,
            week: "2026-W49".into(),
            decided_at: utc("2026-11-24T12:00:00Z"),
        };
        assert_eq!(
            queue_week(&timely, Some(&deferred), tz).to_string(),
            "2026-W49"
        );
        let week = IsoWeek {
            year: 2026,
            week: 52,
        };
        assert_eq!(decision_week(Verdict::Defer, week).to_string(), "2026-W53");
        assert_eq!(decision_week(Verdict::Pick, week), week);
    }
}
