//! The article pages a poll reads, after its feeds: every article asked for as posts
//! were stored (see `ingest::reach`) and not read yet, newest posts first, at most
//! `article_budget` a poll; the rest wait for the next poll.
//!
//! Each page goes through the same fetcher as the feeds (per-host slots shared with
//! them, the deadline, redirects, the User-Agent), after its origin's robots.txt, which
//! is fetched once and kept a day ([`RobotsCache`]). A page disallowed by robots.txt, on
//! a private address or not HTML is skipped for good; one that fails (a status, a
//! timeout) is retried with the feeds' backoff, [`MAX_ARTICLE_ATTEMPTS`] times in all.
//! A page read gives the post its `article` text, the post is scored again with it,
//! and the page's author, site name and date are kept beside it. One article's failure
//! is its own: it never fails its feed or the poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::sync::{OnceCell, watch};
use url::Url;

use super::{Poller, backoff, jitter, on_cpu_pool};
use crate::ingest::article::{read_article, tidy_host};
use crate::ingest::fetch::{FailureKind, FetchOutcome, Fetched};
use crate::ingest::html::decode_page;
use crate::ingest::robots::Robots;
use crate::store::{ArticleOutcome, DueArticle, MAX_ARTICLE_ATTEMPTS, ReadArticle};

/// How long a robots.txt is believed (Google keeps them a day).
const ROBOTS_KEPT: Duration = Duration::from_secs(24 * 3600);
/// How long a robots.txt that could not be fetched waits before it is tried again.
const ROBOTS_RETRY: Duration = Duration::from_secs(10 * 60);
/// Origins the cache holds before it drops those past their day (a daemon meets new
/// hosts every week; each entry can hold 512 KiB of rules).
const ROBOTS_ORIGINS: usize = 1_000;

/// Why a pending article waits.
pub const OVER_BUDGET: &str = "budget: read on a later poll (article_budget)";

/// What a poll's article pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArticleCounts {
    pub read: usize,
    pub failed: usize,
    pub skipped: usize,
    /// More articles were due than `article_budget` allowed.
    pub over_budget: bool,
}

/// Each origin's robots.txt, as fetched (see the module doc for how long it is kept).
#[derive(Default)]
pub struct RobotsCache {
    origins: Mutex<HashMap<String, Arc<OnceCell<Kept>>>>,
}

/// An origin's answer and until when it is believed.
type Kept = (DateTime<Utc>, RobotsAnswer);

/// A post's score with its article's `text` read too, as a feed's entries are scored
/// (its feed's boost, the `sources` part); returns the entry holding the text.
fn score_with_article(
    due: DueArticle,
    text: String,
    scorer: &std::sync::OnceLock<crate::score::Scorer>,
    config: &crate::config::Config,
) -> (crate::score::Score, crate::model::Entry) {
    let mut entry = due.entry;
    entry.article = text;
    let scorer = scorer.get_or_init(|| config.scorer());
    let boost = config.feed(&due.feed).map_or(0.0, |f| f.boost);
    let score = scorer
        .score(&entry, boost)
        .with_sources(due.sources, config.settings.source_points);
    (score, entry)
}

/// Keeps the cache under [`ROBOTS_ORIGINS`]: expired answers go first, then (the
/// origins are whatever an aggregator's submitters linked) the answer that expires
/// soonest, so a day of strangers' links cannot grow it without bound.
fn make_room(origins: &mut HashMap<String, Arc<OnceCell<Kept>>>, now: DateTime<Utc>) {
    if origins.len() < ROBOTS_ORIGINS {
        return;
    }
    origins.retain(|_, cell| cell.get().is_none_or(|(until, _)| *until > now));
    while origins.len() >= ROBOTS_ORIGINS {
        let soonest = origins
            .iter()
            .filter_map(|(origin, cell)| cell.get().map(|(until, _)| (*until, origin)))
            .min()
            .map(|(_, origin)| origin.clone());
        // Only answers still being fetched are left: they are few and soon answered.
        let Some(origin) = soonest else { break };
        origins.remove(&origin);
    }
}

/// What an origin's robots.txt says, or why it could not be had.
#[derive(Debug, Clone)]
enum RobotsAnswer {
    Rules(Robots),
    /// The host is on a private address: neither it nor the page is fetched.
    Private,
    /// No answer (the page would likely fail too): tried again later.
    Unreachable(String),
}

/// What an article's fetch counts as in the poll's summary.
enum Counted {
    Read,
    Failed,
    Skipped,
}

/// One article's outcome, for the store and the counts.
enum Done {
    Outcome(ArticleOutcome),
    /// A read article's post scored again (its feed text changed).
    Rescored(crate::score::Score),
    /// Scoring it again failed (a panic on the CPU pool): the next poll tries again.
    Nothing,
}

impl Poller {
    /// Reads the articles due (see the module doc); stops starting new ones once
    /// `shutdown` turns true.
    pub(super) async fn read_articles(
        &self,
        shutdown: Option<watch::Receiver<bool>>,
    ) -> ArticleCounts {
        let budget = self.config.settings.article_budget;
        let now = crate::clock::now();
        let (due, over_budget) = match self.with_store(move |s| s.articles_due(budget, now)).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the articles due");
                return ArticleCounts::default();
            }
        };
        let mut counts = ArticleCounts {
            over_budget,
            ..ArticleCounts::default()
        };
        // Each article is stored as soon as it is read, inside its own future (as a
        // feed's entries are): the store writer groups the commits, and the pages
        // still downloading are never held up by a write.
        let mut results = futures_util::stream::iter(due.into_iter().map(|due| {
            let shutdown = shutdown.clone();
            async move {
                if shutdown.as_ref().is_some_and(|s| *s.borrow()) {
                    return None;
                }
                let post_id = due.post_id;
                let done = self.article(due).await;
                let now = crate::clock::now();
                let (counted, stored) = match done {
                    Done::Nothing => return None,
                    Done::Rescored(score) => (
                        None,
                        self.with_store(move |s| s.rescored_article(post_id, &score))
                            .await,
                    ),
                    Done::Outcome(outcome) => {
                        let kind = match &outcome {
                            ArticleOutcome::Read(_) => Counted::Read,
                            ArticleOutcome::Failed { reason, .. } => {
                                tracing::debug!(post = post_id, reason = %reason, "article failed");
                                Counted::Failed
                            }
                            ArticleOutcome::Skipped { .. } => Counted::Skipped,
                        };
                        let stored = self
                            .with_store(move |s| s.record_article(post_id, &outcome, now))
                            .await;
                        (Some(kind), stored)
                    }
                };
                if let Err(err) = stored {
                    tracing::warn!(post = post_id, error = %err, "cannot store an article");
                }
                counted
            }
        }))
        .buffer_unordered(self.config.settings.concurrency);
        while let Some(counted) = results.next().await {
            match counted {
                Some(Counted::Read) => counts.read += 1,
                Some(Counted::Failed) => counts.failed += 1,
                Some(Counted::Skipped) => counts.skipped += 1,
                None => {}
            }
        }
        drop(results);
        if over_budget {
            let noted = self
                .with_store(|s| s.note_pending_articles(OVER_BUDGET))
                .await;
            if let Err(err) = noted {
                tracing::warn!(error = %err, "cannot note the articles left for later");
            }
        }
        if counts != ArticleCounts::default() {
            tracing::info!(
                read = counts.read,
                failed = counts.failed,
                skipped = counts.skipped,
                over_budget,
                "articles"
            );
        }
        counts
    }

    /// Fetches and reads one article (or scores a stale one again).
    async fn article(&self, due: DueArticle) -> Done {
        if let Some(text) = due.stale_text.clone() {
            return match self.score_on_cpu(due, text).await {
                Some(score) => Done::Rescored(score),
                None => Done::Nothing,
            };
        }
        let attempts = due.attempts;
        let skipped = |reason: &str| {
            Done::Outcome(ArticleOutcome::Skipped {
                reason: reason.to_owned(),
            })
        };
        let url = match Url::parse(&due.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => return skipped("not an http(s) URL"),
        };
        match self.robots_for(&url).await {
            RobotsAnswer::Private => return skipped("private address"),
            RobotsAnswer::Unreachable(message) => {
                return Done::Outcome(self.failed(attempts, &format!("robots.txt: {message}")));
            }
            RobotsAnswer::Rules(rules) if !rules.allows(&url) => return skipped("robots.txt"),
            RobotsAnswer::Rules(_) => {}
        }
        let page = match self.fetcher.fetch_page(url.as_str()).await {
            FetchOutcome::Fetched(page) => page,
            FetchOutcome::Failed(err) if err.kind == FailureKind::PrivateAddress => {
                return skipped("private address");
            }
            FetchOutcome::Failed(err) => return Done::Outcome(self.failed(attempts, &err.message)),
            FetchOutcome::NotModified { .. } => {
                return Done::Outcome(
                    self.failed(attempts, "HTTP 304 to a request without validators"),
                );
            }
        };
        if let Some(kind) = page.content_type.as_deref().filter(|t| !is_html(t)) {
            return skipped(&format!(
                "not HTML ({})",
                kind.chars().take(60).collect::<String>()
            ));
        }
        match self.read_on_cpu(due, page).await {
            Some(read) => Done::Outcome(ArticleOutcome::Read(read)),
            None => Done::Outcome(self.failed(attempts, "the page could not be read")),
        }
    }

    /// The page read, and the post scored with its text, on the CPU pool.
    async fn read_on_cpu(&self, due: DueArticle, page: Fetched) -> Option<ReadArticle> {
        let (scorer, config) = (self.scorer.clone(), self.config.clone());
        on_cpu_pool(move || {
            let html = decode_page(&page.body, page.charset.as_deref());
            let base = Url::parse(&page.final_url).ok()?;
            let article = read_article(&html, &base);
            let (score, entry) = score_with_article(due, article.text, &scorer, &config);
            Some(ReadArticle {
                words: article.words,
                author: (!article.authors.is_empty()).then(|| article.authors.join(", ")),
                site_name: article.site_name.or_else(|| Some(tidy_host(&base))),
                published: article.published,
                text: entry.article,
                score,
            })
        })
        .await
        .flatten()
    }

    /// A post with a read article scored again from its stored text.
    async fn score_on_cpu(&self, due: DueArticle, text: String) -> Option<crate::score::Score> {
        let (scorer, config) = (self.scorer.clone(), self.config.clone());
        on_cpu_pool(move || score_with_article(due, text, &scorer, &config).0).await
    }

    /// A failed attempt (the `attempts` before it): tried again after the feeds'
    /// backoff, or left once [`MAX_ARTICLE_ATTEMPTS`] are spent.
    fn failed(&self, attempts: u32, reason: &str) -> ArticleOutcome {
        let attempt = attempts + 1;
        let next_try = (attempt < MAX_ARTICLE_ATTEMPTS).then(|| {
            let wait = backoff(attempt, self.config.settings.max_backoff, jitter());
            crate::clock::now() + chrono::Duration::from_std(wait).unwrap_or_default()
        });
        ArticleOutcome::Failed {
            reason: reason.chars().take(300).collect(),
            next_try,
        }
    }

    /// The robots.txt of `page`'s origin: from the cache, or fetched once however many
    /// of its pages ask at the same time.
    async fn robots_for(&self, page: &Url) -> RobotsAnswer {
        let now = crate::clock::now();
        let cell = {
            let mut origins = self.robots.origins.lock().expect("robots cache lock");
            make_room(&mut origins, now);
            let cell = origins
                .entry(page.origin().ascii_serialization())
                .or_default();
            if cell.get().is_some_and(|(until, _)| *until <= now) {
                *cell = Arc::default();
            }
            cell.clone()
        };
        let (_, answer) = cell
            .get_or_init(|| async {
                let answer = self.fetch_robots(page).await;
                let kept = match answer {
                    RobotsAnswer::Unreachable(_) => ROBOTS_RETRY,
                    _ => ROBOTS_KEPT,
                };
                (
                    now + chrono::Duration::from_std(kept).unwrap_or_default(),
                    answer,
                )
            })
            .await;
        answer.clone()
    }

    async fn fetch_robots(&self, page: &Url) -> RobotsAnswer {
        let agent = &self.config.settings.user_agent;
        match self.fetcher.fetch_robots(page).await {
            FetchOutcome::Fetched(robots) => {
                RobotsAnswer::Rules(Robots::for_status(robots.status, agent, &robots.body))
            }
            FetchOutcome::Failed(err) if err.kind == FailureKind::PrivateAddress => {
                RobotsAnswer::Private
            }
            FetchOutcome::Failed(err) => match err.http_status {
                Some(status) => RobotsAnswer::Rules(Robots::for_status(status, agent, b"")),
                None => RobotsAnswer::Unreachable(err.message),
            },
            FetchOutcome::NotModified { .. } => RobotsAnswer::Rules(Robots::allow_all()),
        }
    }
}

/// Whether a Content-Type's media type is a page Readability can read.
fn is_html(media_type: &str) -> bool {
    matches!(
        media_type,
        "text/html" | "application/xhtml+xml" | "text/plain" | ""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(until: DateTime<Utc>) -> Arc<OnceCell<Kept>> {
        Arc::new(OnceCell::new_with(Some((until, RobotsAnswer::Private))))
    }

    #[test]
    fn the_robots_cache_stays_bounded_dropping_what_expires_soonest() {
        let now = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        let in_minutes = |m: i64| now + chrono::Duration::minutes(m);
        let mut origins = HashMap::new();
        for i in 0..ROBOTS_ORIGINS {
            origins.insert(
                format!("https://o{i}.example"),
                answer(in_minutes(i as i64 + 1)),
            );
        }
        make_room(&mut origins, now);
        assert_eq!(origins.len(), ROBOTS_ORIGINS - 1);
        assert!(
            !origins.contains_key("https://o0.example"),
            "the soonest to expire goes"
        );

        // An expired answer goes before any live one.
        origins.insert("https://gone.example".into(), answer(in_minutes(-1)));
        make_room(&mut origins, now);
        assert_eq!(origins.len(), ROBOTS_ORIGINS - 1);
        assert!(!origins.contains_key("https://gone.example"));
        assert!(
            origins.contains_key("https://o1.example"),
            "no live answer went"
        );

        // Below the bound nothing goes.
        make_room(&mut origins, now + chrono::Duration::days(1));
        assert_eq!(origins.len(), ROBOTS_ORIGINS - 1);
    }
}
