//! Shortlist: a week + the store → ranked [`Candidate`]s, best first.
//!
//! Candidates are the stories (a post and its copies in other feeds) whose week (see
//! [`crate::week`]) is the asked one and whose score reaches `min_score`, ordered by
//! score, then newest first, with at most `max_per_feed` from one feed. A candidate's
//! score is its stored score (rules, boost, sources) plus the `learned` part, which
//! follows the editor's every decision and so is added when a list is read (by the
//! [`Ranker`], see [`crate::rank::learn`]). The part is bounded, which is what lets a
//! selection stop reading the week's posts early. Feed metadata that can change in
//! `feeds.toml` without re-polling (the org) is joined here from the config.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::model::{Candidate, StoredPost};
use crate::rank::learn::{self, Model, Status};
use crate::store::{Store, StoreError};
use crate::week::IsoWeek;

/// Characters of plain text shown as an entry's excerpt.
pub const EXCERPT_CHARS: usize = 280;

/// The fewest posts a week's review queue shows (more when `shortlist_size` is larger):
/// the editor reviews more than the shortlist's top.
pub const QUEUE_MIN_LENGTH: usize = 50;

impl Candidate {
    pub fn from_post(post: StoredPost, config: &Config) -> Candidate {
        // An aggregator's post, or an archive's link, is someone else's article: the org
        // is the one its page, its item or the credit line names. A subscribed
        // blog's org is the one `feeds.toml` gives it.
        let configured = config.feed(&post.feed).and_then(|f| f.org.clone());
        let org = post
            .org
            .clone()
            .filter(|_| post.aggregated || post.feed == crate::model::ARCHIVE_FEED)
            .or(configured)
            .unwrap_or_else(|| post.feed.clone());
        let excerpt = excerpt(&post);
        let sources = post.sources();
        Candidate {
            id: post.id,
            url: post.url,
            title: if post.title.is_empty() {
                "(untitled)".into()
            } else {
                post.title
            },
            feed: post.feed,
            org,
            author: post.author,
            published: post.published,
            first_seen: post.first_seen,
            effective_at: post.effective_at,
            week: IsoWeek::containing(post.effective_at, config.settings.timezone).to_string(),
            score: post.score.total,
            reasons: post.score.reasons,
            sources,
            also_in: post.also_in,
            copies: post.copies,
            via: post.via,
            discussion: post.discussion,
            article: post.article.as_ref().map(|a| a.view()),
            excerpt,
            article_state: post.article,
        }
    }
}

fn excerpt(post: &StoredPost) -> String {
    let source = [&post.summary, &post.content, &post.article_text]
        .into_iter()
        .find(|text| !text.is_empty())
        .unwrap_or(&post.summary);
    let flat: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", flat[..cut].trim_end()),
        None => flat,
    }
}

/// Turns stored posts into candidates with their read-time parts, and selects the
/// best of a week.
pub struct Ranker<'a> {
    config: &'a Config,
    learned: Arc<Learned>,
}

/// The part learned from every decision in the store, as trained: what a [`Ranker`]
/// adds to stored scores. Training reads every decision, so the review page keeps one
/// per reader until a decision or the config changes it.
#[derive(Debug)]
pub struct Learned {
    status: Status,
    model: Option<Model>,
}

impl Learned {
    /// Trains on every decision in the store when `[learning]` allows.
    pub fn train(store: &Store, config: &Config) -> Result<Learned, StoreError> {
        let examples = if config.learning.enabled {
            let mut examples = store.training_examples()?;
            // What a newsletter's archive passed over counts as rejected.
            examples.extend(store.archive_negatives()?);
            examples
        } else {
            Vec::new()
        };
        let (status, model) = learn::train(&examples, &config.learning);
        Ok(Learned { status, model })
    }
}

impl<'a> Ranker<'a> {
    /// Rules, sources and, when `[learning]` allows, the part learned from every
    /// decision in the store.
    pub fn load(store: &Store, config: &'a Config) -> Result<Ranker<'a>, StoreError> {
        Ok(Ranker::new(
            config,
            Arc::new(Learned::train(store, config)?),
        ))
    }

    /// A ranker with a part learned before (by [`Learned::train`] with this config).
    pub fn new(config: &'a Config, learned: Arc<Learned>) -> Ranker<'a> {
        Ranker { config, learned }
    }

    pub fn config(&self) -> &'a Config {
        self.config
    }

    pub fn learning_status(&self) -> &Status {
        &self.learned.status
    }

    /// The most the read-time part can move a post's stored score up or down.
    fn reach(&self) -> f64 {
        self.learned.model.as_ref().map_or(0.0, Model::max_points)
    }

    /// Whether the read-time part reads a post's title and summary (only when a model
    /// has been learned): callers reading many posts light can skip the summary.
    pub fn reads_text(&self) -> bool {
        self.learned.model.is_some()
    }

    /// A post's final score from its stored score, as [`Ranker::candidate`] gives it,
    /// without reading the post in full.
    pub fn final_score(&self, feed: &str, title: &str, summary: &str, stored: f64) -> f64 {
        match self
            .learned
            .model
            .as_ref()
            .and_then(|m| m.part(feed, title, summary))
        {
            Some(part) => crate::score::round2(stored + part.points),
            None => stored,
        }
    }

    /// The post as a candidate, its learned part added to its stored score.
    pub fn candidate(&self, mut post: StoredPost) -> Candidate {
        let part = self
            .learned
            .model
            .as_ref()
            .and_then(|m| m.part(&post.feed, &post.title, &post.summary));
        if let Some(part) = part {
            post.score = post.score.plus(part);
        }
        Candidate::from_post(post, self.config)
    }

    /// How many posts a week's review queue shows at most.
    pub fn queue_limit(&self) -> usize {
        self.config.settings.shortlist_size.max(QUEUE_MIN_LENGTH)
    }

    /// A selection of at most `limit` of the week's best, at most `max_per_feed` each.
    pub fn selection<T: Ranked>(&self, limit: usize) -> Selection<T> {
        Selection::new(
            limit,
            self.config.settings.max_per_feed,
            self.config.settings.min_score,
            self.reach(),
        )
    }

    /// The lowest stored score a post can have and still reach `min_score`.
    pub fn stored_floor(&self) -> f64 {
        self.config.settings.min_score - self.reach()
    }
}

/// What a selection ranks: a candidate, possibly with more about it.
pub trait Ranked {
    fn candidate(&self) -> &Candidate;
}

impl Ranked for Candidate {
    fn candidate(&self) -> &Candidate {
        self
    }
}

/// Picks the best `limit` items, at most `max_per_feed` from one feed, from items
/// offered in descending order of *stored* score. An item's final score is within
/// `reach` of its stored score, so once an offered stored score plus `reach` falls
/// below the current selection's last final score, nothing later can enter and
/// [`Selection::offer`] says to stop.
///
/// As it reads, it keeps only each feed's best `max_per_feed` items (a feed's others
/// can never be selected: the selection takes each feed's items best first), so a week
/// with few feeds, which no early stop ends (the queue, capped per feed), costs one
/// small insertion per item instead of re-sorting everything read.
pub struct Selection<T> {
    limit: usize,
    max_per_feed: usize,
    min_score: f64,
    reach: f64,
    /// Each feed's best items so far, best first, at most [`Selection::per_feed_cap`].
    by_feed: HashMap<String, Vec<T>>,
    kept: usize,
    /// The last selected item's final score at the latest check (it only rises).
    threshold: f64,
    offered: usize,
}

fn rank_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    best_first(
        (a.score, a.effective_at, a.id),
        (b.score, b.effective_at, b.id),
    )
}

/// Best first, for `(score, effective_at, id)`: score, then newest, then lowest id (the
/// store's order for ties). The shortlist, the queue and the week's overview all rank so.
pub fn best_first(
    a: (f64, DateTime<Utc>, i64),
    b: (f64, DateTime<Utc>, i64),
) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2))
}

impl<T: Ranked> Selection<T> {
    fn new(limit: usize, max_per_feed: usize, min_score: f64, reach: f64) -> Selection<T> {
        Selection {
            limit,
            max_per_feed,
            min_score,
            reach,
            by_feed: HashMap::new(),
            kept: 0,
            threshold: f64::NEG_INFINITY,
            offered: 0,
        }
    }

    /// No feed can place more than this many items.
    fn per_feed_cap(&self) -> usize {
        match self.max_per_feed {
            0 => self.limit,
            cap => cap.min(self.limit),
        }
    }

    /// Offers an item whose stored score is `stored`; `Break` when no later item
    /// (stored score ≤ `stored`) can be selected.
    pub fn offer(&mut self, stored: f64, item: T) -> ControlFlow<()> {
        // Without a read-time part, an item tied with the last selected one comes after
        // it in the store's order too, which is the selection's tie order: it cannot
        // enter either.
        let beyond_reach = if self.reach == 0.0 {
            stored <= self.threshold
        } else {
            stored + self.reach < self.threshold
        };
        if beyond_reach {
            return ControlFlow::Break(());
        }
        if item.candidate().score >= self.min_score {
            self.keep(item);
        }
        // Re-checked every `limit` items: a stale threshold is lower than the true one,
        // so it only ever reads a little further, never stops early.
        self.offered += 1;
        if self.offered.is_multiple_of(self.limit.max(1)) {
            self.raise_threshold();
        }
        ControlFlow::Continue(())
    }

    /// Files `item` among its feed's best, dropping whichever falls past the cap.
    fn keep(&mut self, item: T) {
        let cap = self.per_feed_cap();
        if cap == 0 {
            return;
        }
        let pool = self
            .by_feed
            .entry(item.candidate().feed.clone())
            .or_default();
        let at = pool.partition_point(|kept| {
            rank_order(kept.candidate(), item.candidate()) != std::cmp::Ordering::Greater
        });
        if at >= cap {
            return;
        }
        pool.insert(at, item);
        if pool.len() > cap {
            pool.pop();
        } else {
            self.kept += 1;
        }
    }

    /// The final score of the `limit`-th best item kept, once that many are kept.
    fn raise_threshold(&mut self) {
        if self.limit == 0 || self.kept < self.limit {
            return;
        }
        let mut scores: Vec<f64> = self
            .by_feed
            .values()
            .flatten()
            .map(|item| item.candidate().score)
            .collect();
        let (_, nth, _) = scores.select_nth_unstable_by(self.limit - 1, |a, b| b.total_cmp(a));
        self.threshold = self.threshold.max(*nth);
    }

    /// The selection, best first.
    pub fn finish(self) -> Vec<T> {
        let mut all: Vec<T> = self.by_feed.into_values().flatten().collect();
        all.sort_by(|a, b| rank_order(a.candidate(), b.candidate()));
        all.truncate(self.limit);
        all
    }
}

/// The week's candidates, at most `limit`.
pub fn build(
    store: &Store,
    ranker: &Ranker<'_>,
    week: IsoWeek,
    limit: usize,
) -> Result<Vec<Candidate>, StoreError> {
    let mut selection = ranker.selection(limit);
    store.each_candidate(week, ranker.stored_floor(), |post| {
        let stored = post.score.total;
        selection.offer(stored, ranker.candidate(post))
    })?;
    Ok(selection.finish())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn candidate(id: i64, feed: usize, score: f64) -> Candidate {
        Candidate {
            id,
            url: None,
            title: String::new(),
            feed: format!("f{feed}"),
            org: String::new(),
            author: None,
            published: None,
            first_seen: DateTime::<Utc>::UNIX_EPOCH,
            effective_at: DateTime::<Utc>::UNIX_EPOCH,
            week: String::new(),
            score,
            reasons: vec![],
            also_in: vec![],
            sources: 1,
            copies: vec![],
            via: vec![],
            discussion: vec![],
            article: None,
            excerpt: String::new(),
            article_state: None,
        }
    }

    /// Stopping early gives exactly what ranking every item would.
    #[test]
    fn early_stop_selects_what_a_full_sort_would() {
        let mut rng = fastrand::Rng::with_seed(1);
        for round in 0..300 {
            let (limit, max_per_feed) = (rng.usize(1..8), rng.usize(0..3));
            // No learned part (reach 0) stops at ties; a learned part reads further.
            let reach = if rng.bool() { 0.0 } else { rng.f64() * 3.0 };
            let mut items: Vec<(f64, Candidate)> = (0..rng.usize(0..60))
                .map(|i| {
                    let stored = f64::from(rng.u8(0..10));
                    let final_score =
                        crate::score::round2(stored + (rng.f64() * 2.0 - 1.0) * reach);
                    (stored, candidate(i as i64, rng.usize(0..4), final_score))
                })
                .collect();
            items.sort_by(|a, b| b.0.total_cmp(&a.0));
            let new = |reach| Selection::new(limit, max_per_feed, 1.0, reach);
            let mut early = new(reach);
            for (stored, c) in items.iter().cloned() {
                if early.offer(stored, c).is_break() {
                    break;
                }
            }
            let mut full = new(f64::INFINITY);
            for (stored, c) in items.iter().cloned() {
                assert!(full.offer(stored, c).is_continue());
            }
            let ids = |v: Vec<Candidate>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
            assert_eq!(ids(early.finish()), ids(full.finish()), "round {round}");
        }
    }
}
