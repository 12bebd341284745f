//! The row types the store hands out and the pure stages (ranking, review, outputs)
//! take in: posts as stored, candidates as every output shows them, the editor's
//! decisions, feeds' health; and the one way times are written in machine formats.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::score::{Reason, Score};

/// A stored post with what outputs need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredPost {
    pub id: i64,
    pub feed: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: String,
    pub content: String,
    /// The article page's text, when it was read.
    pub article_text: String,
    /// The entry's author, else the one its article page names.
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    pub effective_at: DateTime<Utc>,
    pub score: Score,
    /// Other feeds that carried the same post, or a copy of it under another URL
    /// (aggregators apart, in `via`).
    pub also_in: Vec<String>,
    /// The URLs of copies of the story under other URLs (see [`crate::model::story::title_key`]).
    pub copies: Vec<String>,
    /// For a post first seen after its own week ended, the week it was first seen:
    /// the queue it belongs to (see [`crate::week::late_week`]).
    pub late_week: Option<crate::week::IsoWeek>,
    /// Whether the feed it belongs to is an aggregator (no subscribed blog carries it).
    pub aggregated: bool,
    /// The org the post names: its page's site name, else what the aggregator item
    /// named (the article's host, a self post's community).
    pub org: Option<String>,
    /// The aggregator feeds that carried the story, its own feed included.
    pub via: Vec<String>,
    /// The discussion threads of those aggregators.
    pub discussion: Vec<String>,
    /// Its article page, when one was wanted.
    pub article: Option<ArticleState>,
}

impl StoredPost {
    /// How many feeds carried the story: its own and every other.
    pub fn sources(&self) -> usize {
        let own_via = usize::from(self.aggregated);
        1 + self.also_in.len() + self.via.len() - own_via.min(self.via.len())
    }
}

/// Attempts at an article page before it is left as `failed`.
pub const MAX_ARTICLE_ATTEMPTS: u32 = 4;

/// Where reading a post's article page stands, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleState {
    pub url: String,
    /// `pending` (not tried yet, or waiting for the next poll's budget), `read`,
    /// `failed` (retried with backoff until `attempts` reaches the limit) or `skipped`
    /// (never to be fetched: robots.txt, a private address, not HTML).
    pub status: String,
    pub reason: Option<String>,
    pub attempts: u32,
    pub next_try: Option<DateTime<Utc>>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub words: Option<u64>,
    pub site_name: Option<String>,
    pub published: Option<DateTime<Utc>>,
}

impl ArticleState {
    /// As outputs show it: `read`, `failed` or `skipped` (a page not read yet is
    /// skipped, for now, with the reason).
    pub fn view(&self) -> ArticleView {
        let (status, reason) = match self.status.as_str() {
            "pending" => (
                "skipped",
                Some(self.reason.clone().unwrap_or_else(|| "not read yet".into())),
            ),
            "read" => ("read", None),
            "failed" => ("failed", self.reason.clone()),
            _ => ("skipped", self.reason.clone()),
        };
        ArticleView {
            status: status.into(),
            reason,
            words: self.words.unwrap_or(0),
        }
    }
}

/// A post's article as JSON shows it: `{"status": "read" | "failed" | "skipped",
/// "reason": …, "words": N}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleView {
    pub status: String,
    pub reason: Option<String>,
    pub words: u64,
}

/// The editor's current decision on a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// `picked`, `rejected` or `deferred`.
    pub state: String,
    pub note: Option<String>,
    /// The queue week it was decided in; for `deferred`, the week it moves to.
    pub week: String,
    pub decided_at: DateTime<Utc>,
    /// Set when one action decided several posts at once (see `Store::decide_batch`).
    pub batch: Option<i64>,
}

/// A post in a review queue, with how it got there.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedPost {
    pub post: StoredPost,
    /// Deferred from an earlier week's queue.
    pub carried_over: bool,
    /// Of an earlier week, but first seen this week after its own ended (a late
    /// arrival, see [`crate::week::late_week`]).
    pub late: bool,
}

/// A feed's health, as `gleaner feeds` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedHealth {
    pub name: String,
    pub url: String,
    pub last_status: Option<String>,
    pub last_http_status: Option<u16>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub last_success: Option<DateTime<Utc>>,
    pub next_poll: Option<DateTime<Utc>>,
    pub entries: u64,
    /// The URL a permanent redirect moved the feed from, and when.
    pub moved_from: Option<String>,
    pub moved_at: Option<DateTime<Utc>>,
    /// What reading its last document took beyond a plain parse, if anything.
    pub note: Option<String>,
}

/// One shortlisted post, as every output format shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Candidate {
    pub id: i64,
    pub url: Option<String>,
    pub title: String,
    pub feed: String,
    pub org: String,
    pub author: Option<String>,
    #[serde(serialize_with = "serialize_rfc3339_opt")]
    pub published: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub first_seen: DateTime<Utc>,
    /// The date its week is reckoned from (see [`crate::week::effective_time`]).
    #[serde(skip)]
    pub effective_at: DateTime<Utc>,
    pub week: String,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub also_in: Vec<String>,
    /// Feeds that carried the story, aggregators included.
    pub sources: usize,
    /// The story's copies under other URLs.
    pub copies: Vec<String>,
    /// The aggregator feeds that carried it.
    pub via: Vec<String>,
    /// Their discussion threads.
    pub discussion: Vec<String>,
    /// Its article page: `null` when none was wanted.
    pub article: Option<ArticleView>,
    pub excerpt: String,
    /// Where its texts came from and, when its page was not read, why: what
    /// `explain` says.
    #[serde(skip)]
    pub article_state: Option<ArticleState>,
}

/// A time as machine formats write it: RFC 3339, UTC, whole seconds.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// serde: [`rfc3339`].
pub fn serialize_rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// serde: [`rfc3339`], or null.
pub fn serialize_rfc3339_opt<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// One decided post, as the learned part sees it (see [`crate::rank::learn`]).
#[derive(Debug, Clone)]
pub struct Example {
    pub feed: String,
    pub title: String,
    pub summary: String,
    pub picked: bool,
}

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

/// A site the editor could subscribe to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// `host` (without `www.`, with a port that is not the scheme's), or
    /// `host/first-segment` on shared hosts.
    pub site: String,
    /// Where the site's pages are (`https://host/`): what discovery starts from.
    #[serde(skip)]
    pub home: String,
    /// The feed discovery found, `null` when none (or not looked for yet).
    pub feed_url: Option<String>,
    /// Its posts carried by aggregators or linked by the archive.
    pub linked: usize,
    /// Its posts picked (by you or by the newsletter's archive).
    pub picked: usize,
    /// Its posts that scored at least `min_score`.
    pub candidates: usize,
    /// What carried its posts: aggregators' names, `archive`.
    pub seen_via: Vec<String>,
    /// The command that subscribes to it: `gleaner add` with its feed (or its home page,
    /// not looked at yet); `None` when its home page led to no feed.
    pub subscribe: Option<String>,
}
