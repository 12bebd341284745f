//! Review: the editor's weekly queue and the newsletter draft. The rules are pure
//! functions here; [`queue`] reads and records them through the store for the CLI and
//! the review page alike.
//!
//! Every candidate has a review state: `new` (no decision), `picked`, `rejected` or
//! `deferred`. A week's queue holds
//! - the week's undecided candidates (as in its shortlist) that were seen in time,
//! - earlier weeks' posts first seen this week (late arrivals: they reach this queue,
//!   and only this one, so a post the editor could not have seen is never lost; a
//!   feed's first-poll back catalogue is not late), and
//! - posts deferred to this week (or earlier, while still undecided), marked as
//!   carried over.
//!
//! A decision belongs to the queue week it was made in; deferring moves a post to the
//! next week's queue. `undo` removes a post's latest decision, so the one before it (or
//! `new`) applies again. The draft lists a week's picked posts in the order they were
//! picked (or by score): linked title, the editor's note as the blurb, and
//! `Author — Org`. The review page sees the whole week besides ([`overview`]): what
//! the queue holds back, what scores below the threshold, and the week's counts.

pub mod overview;
pub mod queue;

use chrono_tz::Tz;
use serde::Serialize;

pub use queue::{
    decide_one, draft_items, edit_note, move_pick, queue_items, reject_batch, tidy_note,
};

pub use crate::model::Verdict;

use crate::model::{Candidate, Decision, StoredPost};
use crate::week::IsoWeek;

/// The queue week a post is in: the week it was deferred to; else, for a post first
/// seen after its own week ended, the week it was first seen; else the week of its
/// published (or first-seen) date.
pub fn queue_week(post: &StoredPost, decision: Option<&Decision>, tz: Tz) -> IsoWeek {
    if let Some(d) = decision.filter(|d| d.state == Verdict::Defer.state())
        && let Ok(week) = d.week.parse()
    {
        return week;
    }
    post.late_week
        .unwrap_or_else(|| IsoWeek::containing(post.effective_at, tz))
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
    /// A post in a queue: `deferred` when carried over from an earlier week, else `new`.
    pub fn new(candidate: Candidate, carried_over: bool, late: bool) -> QueueItem {
        QueueItem {
            candidate,
            state: if carried_over {
                Verdict::Defer.state()
            } else {
                "new"
            },
            carried_over,
            late,
        }
    }

    /// How it got into the queue, when not as one of the week's own: `carried over`
    /// (deferred from an earlier week) or `late` (an earlier week's, first seen this week).
    pub fn tag(&self) -> Option<&'static str> {
        match (self.carried_over, self.late) {
            (true, _) => Some("carried over"),
            (_, true) => Some("late"),
            _ => None,
        }
    }
}

impl crate::rank::shortlist::Ranked for QueueItem {
    fn candidate(&self) -> &Candidate {
        &self.candidate
    }
}

/// One picked post of the draft.
pub struct DraftItem {
    pub candidate: Candidate,
    pub note: Option<String>,
}

/// The order of a draft's posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftOrder {
    /// In the order they were picked.
    Picked,
    /// Best score first.
    Score,
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
            ..StoredPost::default()
        }
    }

    fn late(published: &str, seen: &str) -> StoredPost {
        let mut p = post(published, seen);
        p.late_week = crate::week::late_week(p.effective_at, p.first_seen, false, chrono_tz::UTC);
        p
    }

    #[test]
    fn queue_weeks_of_timely_late_and_deferred_posts() {
        let tz = chrono_tz::UTC;
        let timely = post("2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z");
        assert_eq!(queue_week(&timely, None, tz).to_string(), "2026-W48");
        let late_by_days = late("2026-11-20T10:00:00Z", "2026-11-24T11:00:00Z");
        assert_eq!(queue_week(&late_by_days, None, tz).to_string(), "2026-W48");
        let late_by_weeks = late("2026-10-01T10:00:00Z", "2026-11-24T11:00:00Z");
        assert_eq!(queue_week(&late_by_weeks, None, tz).to_string(), "2026-W48");
        // Back catalogue from a feed's first poll stays in its own week.
        let catalogue = post("2026-10-01T10:00:00Z", "2026-11-24T11:00:00Z");
        assert_eq!(queue_week(&catalogue, None, tz).to_string(), "2026-W40");
        let deferred = Decision {
            state: "deferred".into(),
            note: None,
            week: "2026-W49".into(),
            decided_at: utc("2026-11-24T12:00:00Z"),
            batch: None,
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
