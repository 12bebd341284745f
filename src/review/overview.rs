//! The whole week at a glance, for the review page: where each undecided post of the
//! week's queue window stands (queued, held back by `max_per_feed` or by the queue's
//! length, below `min_score`), the week's counts ("12 of 35 reviewed"), and the posts a
//! view shows, read in full.
//!
//! The queue's own order and cut are those of [`super::queue_items`] (the same
//! selection rules: final score, newest first, then id; at most `max_per_feed` a feed
//! and [`Ranker::queue_limit`] in all), applied here to every post of the window at
//! once, since counting needs them all; the posts are read light
//! ([`Store::window_posts`]) and only those shown in full.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::QueueItem;
use crate::model::{Candidate, Decision, StoredPost, Verdict};
use crate::rank::shortlist::{Ranker, best_first};
use crate::store::{Store, StoreError, WindowPost};
use crate::week::IsoWeek;

/// Where an undecided post of the week stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// In the queue.
    Queued,
    /// At or above `min_score`, but its feed already has `max_per_feed` in the queue.
    HeldByFeed,
    /// At or above `min_score`, but the queue is full.
    BeyondLimit,
    /// Under `min_score`: not a candidate.
    BelowMin,
}

/// The settings a week's standings follow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub min_score: f64,
    pub max_per_feed: usize,
    pub queue_limit: usize,
}

impl Standing {
    /// Why a post is not in the queue, as the page says it; `None` for a queued one.
    pub fn reason(self, t: &Thresholds) -> Option<String> {
        match self {
            Standing::Queued => None,
            Standing::HeldByFeed => Some(format!(
                "held back: its feed already has {} in the queue (max_per_feed)",
                t.max_per_feed
            )),
            Standing::BeyondLimit => Some(format!(
                "held back: the queue shows the best {}",
                t.queue_limit
            )),
            Standing::BelowMin => Some(format!("below min_score ({})", t.min_score)),
        }
    }

    /// Whether the post is a candidate (queued or held back).
    pub fn is_candidate(self) -> bool {
        self != Standing::BelowMin
    }
}

/// One undecided post of the week, ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub id: i64,
    pub feed: String,
    /// The final score (stored + learned).
    pub score: f64,
    pub effective_at: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    pub carried_over: bool,
    pub late: bool,
    pub standing: Standing,
}

/// The week's counts, as the top of the page shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Reviewed + remaining.
    pub candidates: usize,
    pub reviewed: usize,
    pub picked: usize,
    pub rejected: usize,
    pub deferred: usize,
    /// Undecided candidates: queued and held back.
    pub remaining: usize,
    pub held_back: usize,
    pub below_min: usize,
}

/// A week's standing: every undecided post ranked, the decisions, the counts.
pub struct Overview {
    pub week: IsoWeek,
    /// Best first.
    pub ranked: Vec<Ranked>,
    /// The week's decisions, latest first.
    pub decided: Vec<(Candidate, Decision)>,
    pub counts: Counts,
    pub thresholds: Thresholds,
    /// The feeds with candidates left this week, with how many, most first.
    pub feeds: Vec<(String, usize)>,
}

impl Overview {
    /// How many remaining candidates were first seen after `since` (the editor's
    /// previous visit).
    pub fn new_since(&self, since: Option<DateTime<Utc>>) -> usize {
        self.ranked
            .iter()
            .filter(|r| r.standing.is_candidate() && is_new(r.first_seen, since))
            .count()
    }

    /// How many candidates `feed` has left this week.
    pub fn left_in(&self, feed: &str) -> usize {
        self.feeds
            .iter()
            .find(|(f, _)| f == feed)
            .map_or(0, |(_, n)| *n)
    }

    /// The feed's candidates left this week (queued and held back), best first.
    pub fn rest_of_feed(&self, feed: &str) -> Vec<i64> {
        self.ranked
            .iter()
            .filter(|r| r.feed == feed && r.standing.is_candidate())
            .map(|r| r.id)
            .collect()
    }
}

/// Ranks and classifies `posts` best first: the queue's selection rules, applied to all.
pub fn classify(
    mut posts: Vec<Ranked>,
    limit: usize,
    max_per_feed: usize,
    min_score: f64,
) -> Vec<Ranked> {
    posts.sort_by(|a, b| {
        best_first(
            (a.score, a.effective_at, a.id),
            (b.score, b.effective_at, b.id),
        )
    });
    let mut per_feed: HashMap<String, usize> = HashMap::new();
    let mut queued = 0;
    for post in &mut posts {
        post.standing = if post.score < min_score {
            Standing::BelowMin
        } else if max_per_feed > 0 && per_feed.get(&post.feed).copied().unwrap_or(0) >= max_per_feed
        {
            Standing::HeldByFeed
        } else if queued >= limit {
            Standing::BeyondLimit
        } else {
            queued += 1;
            *per_feed.entry(post.feed.clone()).or_default() += 1;
            Standing::Queued
        };
    }
    posts
}

/// The week's overview.
pub fn overview(store: &Store, ranker: &Ranker<'_>, week: IsoWeek) -> Result<Overview, StoreError> {
    let settings = &ranker.config().settings;
    let thresholds = Thresholds {
        min_score: settings.min_score,
        max_per_feed: settings.max_per_feed,
        queue_limit: ranker.queue_limit(),
    };
    let posts = store
        .window_posts(week, ranker.reads_text())?
        .into_iter()
        .map(|p: WindowPost| Ranked {
            score: ranker.final_score(&p.feed, &p.title, &p.summary, p.score),
            id: p.id,
            feed: p.feed,
            effective_at: p.effective_at,
            first_seen: p.first_seen,
            carried_over: p.carried_over,
            late: p.late,
            standing: Standing::Queued,
        })
        .collect();
    let ranked = classify(
        posts,
        thresholds.queue_limit,
        thresholds.max_per_feed,
        thresholds.min_score,
    );
    let decided: Vec<(Candidate, Decision)> = store
        .decided(&week.to_string(), &week.next().to_string())?
        .into_iter()
        .map(|(post, decision)| (ranker.candidate(post), decision))
        .collect();
    let count = |state: Verdict| {
        decided
            .iter()
            .filter(|(_, d)| d.state == state.state())
            .count()
    };
    let (picked, rejected, deferred) = (
        count(Verdict::Pick),
        count(Verdict::Reject),
        count(Verdict::Defer),
    );
    let remaining = ranked.iter().filter(|r| r.standing.is_candidate()).count();
    let queued = ranked
        .iter()
        .filter(|r| r.standing == Standing::Queued)
        .count();
    let counts = Counts {
        candidates: decided.len() + remaining,
        reviewed: decided.len(),
        picked,
        rejected,
        deferred,
        remaining,
        held_back: remaining - queued,
        below_min: ranked.len() - remaining,
    };
    Ok(Overview {
        week,
        feeds: feeds_left(&ranked),
        ranked,
        decided,
        counts,
        thresholds,
    })
}

/// The feeds with candidates among `ranked`, with how many, most first.
fn feeds_left(ranked: &[Ranked]) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in ranked.iter().filter(|r| r.standing.is_candidate()) {
        *counts.entry(r.feed.as_str()).or_default() += 1;
    }
    let mut feeds: Vec<(String, usize)> =
        counts.into_iter().map(|(f, n)| (f.to_owned(), n)).collect();
    feeds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    feeds
}

/// Whether a post first seen at `first_seen` is new to an editor last here at `since`
/// (on a first visit nothing is marked: everything would be).
pub fn is_new(first_seen: DateTime<Utc>, since: Option<DateTime<Utc>>) -> bool {
    since.is_some_and(|since| first_seen > since)
}

/// What a view of the week shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewFilter {
    /// Held-back and below-threshold posts too.
    pub all: bool,
    /// Only posts with every one of these words (in title, feed, author or text).
    pub words: Option<String>,
    /// Only this feed's posts (held-back ones included: the feed's whole week).
    pub feed: Option<String>,
}

/// Most posts one view shows: the `all` view of a week with thousands of posts below
/// the threshold shows the best of them.
pub const VIEW_LIMIT: usize = 300;

/// A post as a view shows it.
pub struct ViewItem {
    pub item: QueueItem,
    pub standing: Standing,
    /// The whole text there is to read (see [`reading_text`]).
    pub text: String,
    pub new: bool,
}

/// The posts of the overview a view shows, read in full, best first, at most
/// [`VIEW_LIMIT`]; and how many matched in all. Posts first seen after `since` are new.
pub fn view_items(
    store: &Store,
    ranker: &Ranker<'_>,
    overview: &Overview,
    filter: &ViewFilter,
    since: Option<DateTime<Utc>>,
) -> Result<(Vec<ViewItem>, usize), StoreError> {
    let words: Vec<String> = filter
        .words
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let mut out = Vec::new();
    let mut matched = 0;
    for r in &overview.ranked {
        let shown = match &filter.feed {
            Some(feed) => *feed == r.feed && (filter.all || r.standing.is_candidate()),
            None => filter.all || r.standing == Standing::Queued,
        };
        if !shown {
            continue;
        }
        if words.is_empty() && out.len() >= VIEW_LIMIT {
            // Past the view's limit only the count is needed, and without a word
            // filter it needs no read.
            matched += 1;
            continue;
        }
        let Some(post) = store.post(r.id)? else {
            continue;
        };
        let text = reading_text(&post);
        let item = QueueItem::new(ranker.candidate(post), r.carried_over, r.late);
        if !words.is_empty() && !matches_words(&item.candidate, &text, &words) {
            continue;
        }
        matched += 1;
        if out.len() < VIEW_LIMIT {
            out.push(ViewItem {
                new: is_new(item.candidate.first_seen, since),
                item,
                standing: r.standing,
                text,
            });
        }
    }
    Ok((out, matched))
}

fn matches_words(c: &Candidate, text: &str, words: &[String]) -> bool {
    let haystack = format!(
        "{} {} {} {} {}",
        c.title,
        c.feed,
        c.author.as_deref().unwrap_or(""),
        c.org,
        text
    )
    .to_lowercase();
    words.iter().all(|w| haystack.contains(w.as_str()))
}

/// Most characters of a post's text a page embeds; the article's link has the rest.
pub const READING_CHARS: usize = 50_000;

/// All there is to read of a post without leaving the page: the longest of the
/// article's own text (when its page was read), its stored content and its summary
/// (the excerpt is the summary's first few lines).
pub fn reading_text(post: &StoredPost) -> String {
    let text = [&post.article_text, &post.content, &post.summary]
        .into_iter()
        .max_by_key(|t| t.chars().count())
        .expect("three texts");
    match text.char_indices().nth(READING_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: i64, feed: &str, score: f64) -> Ranked {
        Ranked {
            id,
            feed: feed.into(),
            score,
            effective_at: DateTime::<Utc>::UNIX_EPOCH,
            first_seen: DateTime::<Utc>::UNIX_EPOCH,
            carried_over: false,
            late: false,
            standing: Standing::Queued,
        }
    }

    #[test]
    fn posts_are_queued_held_back_or_below_the_threshold() {
        let posts = vec![
            post(1, "a", 9.0),
            post(2, "a", 8.0),
            post(3, "a", 7.0),
            post(4, "b", 6.0),
            post(5, "c", 5.0),
            post(6, "b", 0.5),
        ];
        let ranked = classify(posts, 3, 2, 1.0);
        let standings: Vec<(i64, Standing)> = ranked.iter().map(|r| (r.id, r.standing)).collect();
        assert_eq!(
            standings,
            [
                (1, Standing::Queued),
                (2, Standing::Queued),
                (3, Standing::HeldByFeed),
                (4, Standing::Queued),
                (5, Standing::BeyondLimit),
                (6, Standing::BelowMin),
            ]
        );
        // No per-feed cap (0): only the length holds posts back.
        let uncapped = classify(vec![post(1, "a", 2.0), post(2, "a", 1.0)], 5, 0, 1.0);
        assert!(uncapped.iter().all(|r| r.standing == Standing::Queued));
    }

    #[test]
    fn the_reading_text_is_the_longer_of_summary_and_content() {
        let mut p = StoredPost {
            id: 1,
            feed: "f".into(),
            url: None,
            title: "t".into(),
            summary: "short".into(),
            content: "the whole story, much longer".into(),
            author: None,
            published: None,
            first_seen: DateTime::<Utc>::UNIX_EPOCH,
            effective_at: DateTime::<Utc>::UNIX_EPOCH,
            score: Default::default(),
            also_in: vec![],
            copies: vec![],
            ..StoredPost::default()
        };
        assert_eq!(reading_text(&p), "the whole story, much longer");
        p.article_text = "the article's page, read in full: longest of all".into();
        assert_eq!(reading_text(&p), p.article_text);
        p.article_text = String::new();
        p.content = String::new();
        assert_eq!(reading_text(&p), "short");
        p.summary = "x".repeat(READING_CHARS + 10);
        assert_eq!(reading_text(&p).chars().count(), READING_CHARS + 1);
    }
}
