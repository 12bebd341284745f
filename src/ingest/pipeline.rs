//! Pipeline: one feed's refresh (fetch → parse → normalize → reach → score → store)
//! and a poll of many feeds, then the article pages the poll needs (`articles`).
//! This is the whole refresh path, kept readable in one place.
//!
//! One feed's failure never stops a poll: it is recorded on that feed's row (status,
//! message, failure count) with its next try pushed back exponentially (with jitter, up
//! to `max_backoff`; a server's `Retry-After` is obeyed up to `max_backoff` too), logged
//! once, and reported in the poll summary.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::config::{Config, FeedConfig, FeedKind};
use crate::ingest::fetch::{FailureKind, FetchError, FetchOutcome, Fetched, Fetcher, Validators};
use crate::ingest::listing;
use crate::ingest::normalize::{self, Entry};
use crate::ingest::parse::{self, ParseError};
use crate::ingest::reach::{self, ReachPolicy, Source};
use crate::model::Reach;
use crate::score::{Score, Scorer};
use crate::store::{
    FailureRecord, FeedState, FetchRecord, IngestCounts, ScoredEntry, Store, StoreError,
};

mod articles;
mod writer;

pub use articles::{ArticleCounts, RobotsCache};
use writer::StoreWriter;

/// First retry delay after a failure; doubles per consecutive failure.
const BACKOFF_BASE: Duration = Duration::from_secs(5 * 60);
/// How long a feed that answered 410 Gone waits before it is tried again.
const GONE_RETRY: Duration = Duration::from_secs(7 * 86_400);

/// Everything a poll needs, shared by concurrent refreshes.
pub struct Poller {
    pub config: Arc<Config>,
    fetcher: Fetcher,
    /// Compiled on the first feed that has something to score: a poll where every feed
    /// answers 304 never needs it, and compiling the rules (15 ms) would double start-up.
    scorer: Arc<std::sync::OnceLock<Scorer>>,
    writer: StoreWriter,
    /// The store the writer writes to, for work outside its transactions.
    store: Arc<Mutex<Store>>,
    /// Each origin's robots.txt, fetched once (a daemon keeps it across polls).
    robots: Arc<RobotsCache>,
}

/// How one feed's refresh ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedResult {
    Fetched(IngestCounts),
    NotModified,
    Failed {
        message: String,
        gone: bool,
    },
    /// Backing off after failures, or asked to wait by the server.
    Waiting {
        until: DateTime<Utc>,
    },
    /// The poll was asked to stop before this feed started.
    Cancelled,
    /// Fetched, but the database refused to store it (a full disk, a read-only file):
    /// nothing of it was kept, and the next poll fetches it again.
    NotStored {
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct FeedReport {
    pub name: String,
    pub result: FeedResult,
    /// Set when a permanent redirect moved the feed.
    pub moved_to: Option<String>,
    /// How long the fetch took, when one was made.
    pub fetch_seconds: Option<f64>,
}

/// The sum of a poll.
#[derive(Debug, Clone, Default)]
pub struct PollReport {
    pub feeds: Vec<FeedReport>,
    /// The article pages the poll read, or tried to.
    pub articles: ArticleCounts,
}

impl PollReport {
    pub fn count(&self, pred: impl Fn(&FeedResult) -> bool) -> usize {
        self.feeds.iter().filter(|f| pred(&f.result)).count()
    }

    pub fn entries(&self) -> IngestCounts {
        let mut total = IngestCounts::default();
        for f in &self.feeds {
            if let FeedResult::Fetched(c) = f.result {
                total += c;
            }
        }
        total
    }

    /// Each feed that failed, or could not be stored, with why.
    pub fn failed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.feeds.iter().filter_map(|f| match &f.result {
            FeedResult::Failed { message, .. } | FeedResult::NotStored { message } => {
                Some((f.name.as_str(), message.as_str()))
            }
            _ => None,
        })
    }

    /// Why the database could not be written during this poll, if it could not.
    pub fn storage_failure(&self) -> Option<&str> {
        self.feeds.iter().find_map(|f| match &f.result {
            FeedResult::NotStored { message } => Some(message.as_str()),
            _ => None,
        })
    }
}

impl Poller {
    pub fn new(config: Arc<Config>, store: Arc<Mutex<Store>>) -> anyhow::Result<Poller> {
        Ok(Poller {
            fetcher: Fetcher::new(&config.settings)?,
            scorer: Arc::new(std::sync::OnceLock::new()),
            writer: StoreWriter::spawn(store.clone()),
            store,
            config,
            robots: Arc::default(),
        })
    }

    /// This poller with `robots`, the robots.txt cache of the polls before it.
    pub fn with_robots_cache(mut self, robots: Arc<RobotsCache>) -> Poller {
        self.robots = robots;
        self
    }

    /// Polls `feeds` with bounded concurrency; `force` ignores backoff. `on_done` is
    /// called after each feed (progress display). Stops starting new feeds once
    /// `shutdown` turns true; refreshes already writing finish.
    pub async fn poll(
        &self,
        feeds: Vec<FeedConfig>,
        force: bool,
        shutdown: Option<watch::Receiver<bool>>,
        on_done: impl Fn(&FeedReport),
    ) -> PollReport {
        // One read of every feed's state up front, rather than one per feed queued
        // behind other feeds' writes on the store thread.
        let states = match self
            .with_store(|s| {
                s.begin_background_checkpoints();
                s.feed_states()
            })
            .await
        {
            Ok(states) => states,
            Err(err) => {
                let _ =
                    crate::store::off_async(&self.store, |s| s.end_background_checkpoints()).await;
                let message = err.to_string();
                let feeds = feeds
                    .into_iter()
                    .map(|f| FeedReport {
                        name: f.name,
                        result: failed_result(&message),
                        moved_to: None,
                        fetch_seconds: None,
                    })
                    .collect();
                return PollReport {
                    feeds,
                    articles: ArticleCounts::default(),
                };
            }
        };
        let states = &states;
        let stop = shutdown.clone();
        let mut stream = futures_util::stream::iter(feeds.into_iter().map(|feed| {
            let shutdown = shutdown.clone();
            async move {
                if shutdown.as_ref().is_some_and(|s| *s.borrow()) {
                    return FeedReport {
                        name: feed.name,
                        result: FeedResult::Cancelled,
                        moved_to: None,
                        fetch_seconds: None,
                    };
                }
                let state = states.get(&feed.name).cloned();
                self.refresh_feed(&feed, state, force, shutdown).await
            }
        }))
        .buffer_unordered(self.config.settings.concurrency);
        let mut report = PollReport::default();
        while let Some(feed) = stream.next().await {
            on_done(&feed);
            report.feeds.push(feed);
        }
        drop(stream);
        // The pages the new entries need, before the poll returns: its candidates are
        // then scored on them.
        report.articles = self.read_articles(stop).await;
        // Fold what the background checkpoints have not yet into the database file.
        // Not through the writer: its jobs run inside a transaction, where SQLite
        // refuses to checkpoint.
        let checkpoint =
            crate::store::off_async(&self.store, |s| s.end_background_checkpoints()).await;
        if let Err(err) = checkpoint
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            tracing::warn!(error = %err, "checkpoint after the poll failed");
        }
        report.feeds.sort_by(|a, b| a.name.cmp(&b.name));
        report
    }

    /// Refreshes one feed: fetch → parse → normalize → reach (an aggregator's items
    /// become the articles they link) → score → store.
    pub async fn refresh_feed(
        &self,
        feed: &FeedConfig,
        state: Option<FeedState>,
        force: bool,
        shutdown: Option<watch::Receiver<bool>>,
    ) -> FeedReport {
        let mut report = FeedReport {
            name: feed.name.clone(),
            result: FeedResult::Cancelled,
            moved_to: None,
            fetch_seconds: None,
        };
        let Some(state) = state else {
            report.result = failed_result("feed is not in the database (run a poll again)");
            return report;
        };
        if !force && let Some(until) = state.next_poll.filter(|t| *t > crate::clock::now()) {
            report.result = FeedResult::Waiting { until };
            return report;
        }

        let validators = Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        };
        let started = std::time::Instant::now();
        let fetch = async {
            if feed.kind == Some(FeedKind::Page) {
                self.fetcher.fetch_listing(&state.url, &validators).await
            } else {
                self.fetcher.fetch(&state.url, &validators).await
            }
        };
        let outcome = match shutdown {
            Some(mut stop) => tokio::select! {
                outcome = fetch => outcome,
                _ = stop.wait_for(|stop| *stop) => return report,
            },
            None => fetch.await,
        };
        report.fetch_seconds = Some(started.elapsed().as_secs_f64());

        (report.result, report.moved_to) = match outcome {
            FetchOutcome::NotModified { moved_to, max_age } => (
                self.store_not_modified(&state, moved_to.clone(), max_age)
                    .await,
                moved_to,
            ),
            FetchOutcome::Failed(err) => (self.record_failure(&state, err).await, None),
            FetchOutcome::Fetched(fetched) => {
                let moved_to = fetched.moved_to.clone();
                let result = self.store_fetched(&state, feed, fetched).await;
                let moved = matches!(result, FeedResult::Fetched(_));
                (result, moved_to.filter(|_| moved))
            }
        };
        report
    }

    async fn store_not_modified(
        &self,
        state: &FeedState,
        moved_to: Option<String>,
        max_age: Option<Duration>,
    ) -> FeedResult {
        let id = state.id;
        let next_poll = self.cache_floor(max_age);
        let stored = self
            .with_store(move |s| {
                s.record_not_modified(id, moved_to.as_deref(), next_poll, crate::clock::now())
            })
            .await;
        match stored {
            Ok(()) => FeedResult::NotModified,
            Err(err) => not_stored(state, &err),
        }
    }

    /// Parses, normalizes and scores a fetched body, and stores it in one transaction.
    async fn store_fetched(
        &self,
        state: &FeedState,
        feed: &FeedConfig,
        fetched: Fetched,
    ) -> FeedResult {
        // Parsing, normalizing and scoring are CPU work: off the async threads, so
        // feeds are processed on every core while others are still downloading.
        let (scorer, boost, status) = (self.scorer.clone(), feed.boost, fetched.status);
        let config = self.config.clone();
        let policy = ReachPolicy::of(feed, &config.settings);
        let (body, charset, base) = (fetched.body, fetched.charset, fetched.final_url);
        let scored = on_cpu_pool(move || {
            let scorer = scorer.get_or_init(|| config.scorer());
            let doc = score_document(&body, charset.as_deref(), &base, scorer, boost, &policy)?;
            let scored = doc
                .entries
                .into_iter()
                .map(|(entry, score, reach)| ScoredEntry::new(entry, score).with_reach(reach))
                .collect::<Vec<_>>();
            Ok((scored, doc.notes, doc.aggregator))
        })
        .await
        // feed-rs's own panics are caught inside as ParserPanicked; one here is ours.
        .unwrap_or(Err(ParseError::Crashed));
        let (scored, notes, aggregator) = match scored {
            Ok(scored) => scored,
            Err(err) => {
                let err = FetchError {
                    kind: FailureKind::Other,
                    http_status: Some(status),
                    retry_after: None,
                    message: err.to_string(),
                };
                return self.record_failure(state, err).await;
            }
        };
        if !notes.is_empty() {
            tracing::info!(feed = %state.name, notes = %notes.join("; "), "feed read with notes");
        }
        let record = FetchRecord {
            http_status: fetched.status,
            etag: fetched.etag,
            last_modified: fetched.last_modified,
            moved_to: fetched.moved_to,
            next_poll: self.cache_floor(fetched.max_age),
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            aggregator: aggregator.map(|source| source.name().to_owned()),
        };
        let id = state.id;
        match self
            .with_store(move |s| s.record_fetched(id, &record, &scored, crate::clock::now()))
            .await
        {
            Ok(counts) => FeedResult::Fetched(counts),
            Err(err) => not_stored(state, &err),
        }
    }

    /// The earliest next poll a server's `Cache-Control: max-age` allows, when
    /// `respect_cache_control` is on (capped at `max_backoff`, so a year-long max-age
    /// cannot silence a feed).
    fn cache_floor(&self, max_age: Option<Duration>) -> Option<DateTime<Utc>> {
        let settings = &self.config.settings;
        let wait = max_age
            .filter(|_| settings.respect_cache_control)?
            .min(settings.max_backoff);
        (!wait.is_zero()).then(|| later(crate::clock::now(), wait))
    }

    async fn record_failure(&self, state: &FeedState, err: FetchError) -> FeedResult {
        let gone = err.kind == FailureKind::Gone;
        let now = crate::clock::now();
        let wait = if gone {
            GONE_RETRY
        } else {
            backoff(
                state.consecutive_failures + 1,
                self.config.settings.max_backoff,
                jitter(),
            )
            // A server may ask for longer, but max_backoff is the README's promise.
            .max(
                err.retry_after
                    .unwrap_or_default()
                    .min(self.config.settings.max_backoff),
            )
        };
        let failure = FailureRecord {
            http_status: err.http_status,
            message: err.message.clone(),
            gone,
            next_poll: later(now, wait),
        };
        tracing::warn!(feed = %state.name, url = %state.url, error = %err.message, retry_in_secs = wait.as_secs(), "feed failed");
        let id = state.id;
        match self
            .with_store(move |s| s.record_failure(id, &failure, now))
            .await
        {
            Ok(_) => FeedResult::Failed {
                message: err.message,
                gone,
            },
            Err(store_err) => not_stored(state, &store_err),
        }
    }

    /// Runs `f` on the store, on the writer thread (SQLite calls block).
    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.writer.call(f).await
    }
}

/// Runs CPU work on rayon's pool (one thread per core) and waits for it without
/// holding an async thread; `None` if it panicked.
///
/// Always the same few threads: each rule set's regex keeps a lazy DFA cache per
/// thread that uses it, and tokio's blocking pool, which this work ran on before,
/// hands jobs to whichever of its many threads is idle, each warming caches of its
/// own. A cold poll of the bench farm peaked at 38.9 MiB that way and 30.5 MiB with
/// the scoring threads fixed, and took 10% less CPU (alternating runs of both builds).
async fn on_cpu_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        // A panic must not reach rayon, which would abort the process.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        let _ = done.send(outcome.ok());
    });
    result.await.ok().flatten()
}

/// A fetched document's entries, each with its score and reach.
#[derive(Debug)]
pub struct ScoredDocument {
    pub entries: Vec<(Entry, Score, Reach)>,
    /// The aggregator the document came from, if it is one's.
    pub aggregator: Option<Source>,
    /// For the feed's status: what was recovered, whether it was cut
    /// (see [`parse::Parsed::notes`]).
    pub notes: Vec<String>,
}

/// The pure middle of the pipeline: a fetched body → its entries (an aggregator's as
/// the articles they link, see [`reach`]), each with its score. (Also the fuzz
/// target's entry point: any bytes must come out as entries or an error.)
pub fn score_document(
    body: &[u8],
    charset: Option<&str>,
    base: &str,
    scorer: &Scorer,
    boost: f64,
    policy: &ReachPolicy,
) -> Result<ScoredDocument, ParseError> {
    if policy.kind == Some(FeedKind::Page) {
        let entries = listing::read_listing(body, charset, base, policy.links.as_ref())?;
        return Ok(ScoredDocument {
            entries: scored(reach::listed(policy, entries), scorer, boost),
            aggregator: None,
            notes: Vec::new(),
        });
    }
    let parsed = parse::parse_feed(body, charset, base)?;
    let aggregator = reach::source(policy, base, &parsed.feed);
    let entries = normalize::normalize_feed(&parsed.feed);
    let entries = reach::reach(policy, aggregator, &parsed.feed, entries);
    Ok(ScoredDocument {
        entries: scored(entries, scorer, boost),
        aggregator,
        notes: parsed.notes,
    })
}

fn scored(entries: Vec<(Entry, Reach)>, scorer: &Scorer, boost: f64) -> Vec<(Entry, Score, Reach)> {
    entries
        .into_iter()
        .map(|(entry, reach)| {
            let score = scorer.score(&entry, boost);
            (entry, score, reach)
        })
        .collect()
}

/// `wait` after `now`, or the end of time: a server may ask for any `Retry-After`.
fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A feed whose outcome the database would not take: logged with the reason, once per
/// feed, and reported as such (see [`FeedResult::NotStored`]).
fn not_stored(state: &FeedState, err: &StoreError) -> FeedResult {
    tracing::error!(feed = %state.name, url = %state.url, error = %err, "cannot store the feed");
    FeedResult::NotStored {
        message: format!("could not store it: {err}"),
    }
}

fn failed_result(message: &str) -> FeedResult {
    FeedResult::Failed {
        message: message.to_owned(),
        gone: false,
    }
}

/// Delay before retry number `failures` (1-based): 5 min, 10, 20… up to `max`,
/// multiplied by `jitter` (0.8–1.2) so failing feeds do not retry in lockstep.
pub fn backoff(failures: u32, max: Duration, jitter: f64) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    let base = BACKOFF_BASE.saturating_mul(1 << exp).min(max);
    base.mul_f64(jitter.clamp(0.5, 1.5)).min(max)
}

fn jitter() -> f64 {
    0.8 + fastrand::f64() * 0.4
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work that panics on the CPU pool comes back as `None`, and the pool (and the
    /// process: rayon aborts on a panic it catches itself) goes on.
    #[test]
    fn a_panic_on_the_cpu_pool_is_an_answer_not_an_abort() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            assert_eq!(
                on_cpu_pool(|| -> u32 { panic!("hostile feed") }).await,
                None
            );
            assert_eq!(on_cpu_pool(|| 6 * 7).await, Some(42));
        });
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let max = Duration::from_secs(6 * 3600);
        let mins: Vec<u64> = (1..=8)
            .map(|n| backoff(n, max, 1.0).as_secs() / 60)
            .collect();
        assert_eq!(mins, [5, 10, 20, 40, 80, 160, 320, 360]);
        assert_eq!(backoff(1, max, 1.2), Duration::from_secs(360));
        assert_eq!(backoff(40, max, 1.2), max);
    }
}
