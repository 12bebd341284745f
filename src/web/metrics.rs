//! Metrics: every metric gleaner exports, declared in this one file.
//!
//! Names follow `gleaner_<name>_<unit>[_total]`; labels are few and low-cardinality
//! (never a feed name or URL: `gleaner feeds` is where per-feed detail lives). The
//! daemon records them after each poll from the poll's report, and serves them on
//! `/metrics` in the OpenMetrics text format, which Prometheus scrapes natively.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::ingest::pipeline::{FeedResult, PollReport};

/// `result` of one feed's refresh.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: &'static str,
}

pub struct Metrics {
    registry: Registry,
    /// gleaner_feed_fetches_total{result="ok|not_modified|error|gone"}
    feed_fetches: Family<ResultLabel, Counter>,
    /// gleaner_fetch_duration_seconds: one feed's fetch, redirects and body included.
    fetch_duration: Histogram,
    /// gleaner_entries_new_total
    entries_new: Counter,
    /// gleaner_entries_updated_total
    entries_updated: Counter,
    /// gleaner_feeds_failing: feeds whose last attempt failed (gone included).
    feeds_failing: Gauge,
    /// gleaner_feeds: feeds configured.
    feeds: Gauge,
    /// gleaner_last_poll_timestamp_seconds: when the last poll finished (Unix time).
    last_poll: Gauge<f64, AtomicU64>,
    /// gleaner_poll_duration_seconds: one whole poll of every feed.
    poll_duration: Histogram,
    /// gleaner_polls_skipped_total: scheduled polls skipped because one was running.
    polls_skipped: Counter,
    /// gleaner_article_fetches_total{result="read|failed|skipped"}
    article_fetches: Family<ResultLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let feed_fetches = Family::<ResultLabel, Counter>::default();
        registry.register(
            "gleaner_feed_fetches",
            "Feed refreshes, by result",
            feed_fetches.clone(),
        );
        let fetch_duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "gleaner_fetch_duration_seconds",
            "Time to fetch one feed, redirects and body included",
            fetch_duration.clone(),
        );
        let entries_new = Counter::default();
        registry.register(
            "gleaner_entries_new",
            "Entries stored for the first time",
            entries_new.clone(),
        );
        let entries_updated = Counter::default();
        registry.register(
            "gleaner_entries_updated",
            "Stored entries whose text changed",
            entries_updated.clone(),
        );
        let feeds_failing = Gauge::default();
        registry.register(
            "gleaner_feeds_failing",
            "Feeds whose last attempt failed",
            feeds_failing.clone(),
        );
        let feeds = Gauge::default();
        registry.register("gleaner_feeds", "Feeds configured", feeds.clone());
        let last_poll = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "gleaner_last_poll_timestamp_seconds",
            "When the last poll finished, in Unix time",
            last_poll.clone(),
        );
        let poll_duration = Histogram::new(exponential_buckets(0.1, 2.0, 12));
        registry.register(
            "gleaner_poll_duration_seconds",
            "Time to poll every feed once",
            poll_duration.clone(),
        );
        let polls_skipped = Counter::default();
        registry.register(
            "gleaner_polls_skipped",
            "Scheduled polls skipped because the previous one was still running",
            polls_skipped.clone(),
        );
        let article_fetches = Family::<ResultLabel, Counter>::default();
        registry.register(
            "gleaner_article_fetches",
            "Article pages fetched (or skipped: robots.txt, a private address, not HTML), by result",
            article_fetches.clone(),
        );
        Metrics {
            article_fetches,
            registry,
            feed_fetches,
            fetch_duration,
            entries_new,
            entries_updated,
            feeds_failing,
            feeds,
            last_poll,
            poll_duration,
            polls_skipped,
        }
    }

    /// Records a finished poll: `failing` is how many feeds are failing after it.
    pub fn record_poll(
        &self,
        report: &PollReport,
        seconds: f64,
        finished_unix: f64,
        failing: u64,
        configured: usize,
    ) {
        for feed in &report.feeds {
            let result = match &feed.result {
                FeedResult::Fetched(_) => "ok",
                FeedResult::NotModified => "not_modified",
                FeedResult::Failed { gone: true, .. } => "gone",
                FeedResult::Failed { .. } => "error",
                FeedResult::NotStored { .. } => "not_stored",
                FeedResult::Waiting { .. } | FeedResult::Cancelled => continue,
            };
            self.feed_fetches
                .get_or_create(&ResultLabel { result })
                .inc();
            if let Some(s) = feed.fetch_seconds {
                self.fetch_duration.observe(s);
            }
        }
        let articles = report.articles;
        for (result, n) in [
            ("read", articles.read),
            ("failed", articles.failed),
            ("skipped", articles.skipped),
        ] {
            if n > 0 {
                self.article_fetches
                    .get_or_create(&ResultLabel { result })
                    .inc_by(n as u64);
            }
        }
        let entries = report.entries();
        self.entries_new.inc_by(entries.new as u64);
        self.entries_updated.inc_by(entries.updated as u64);
        self.feeds_failing.set(failing as i64);
        self.feeds.set(configured as i64);
        self.last_poll.set(finished_unix);
        self.poll_duration.observe(seconds);
    }

    pub fn record_skipped_poll(&self) {
        self.polls_skipped.inc();
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::pipeline::FeedReport;
    use crate::store::IngestCounts;

    #[test]
    fn a_poll_is_recorded_under_the_documented_names() {
        let m = Metrics::new();
        let report = PollReport {
            feeds: vec![
                FeedReport {
                    name: "a".into(),
                    result: FeedResult::Fetched(IngestCounts {
                        new: 3,
                        updated: 1,
                        unchanged: 0,
                    }),
                    moved_to: None,
                    fetch_seconds: Some(0.2),
                },
                FeedReport {
                    name: "b".into(),
                    result: FeedResult::Failed {
                        message: "x".into(),
                        gone: true,
                    },
                    moved_to: None,
                    fetch_seconds: Some(0.1),
                },
            ],
            articles: crate::ingest::pipeline::ArticleCounts {
                read: 2,
                failed: 1,
                skipped: 0,
                over_budget: false,
            },
        };
        m.record_poll(&report, 1.5, 1_700_000_000.0, 1, 2);
        let text = m.encode();
        for line in [
            "gleaner_feed_fetches_total{result=\"ok\"} 1",
            "gleaner_feed_fetches_total{result=\"gone\"} 1",
            "gleaner_entries_new_total 3",
            "gleaner_entries_updated_total 1",
            "gleaner_feeds_failing 1",
            "gleaner_feeds 2",
            "gleaner_last_poll_timestamp_seconds 1700000000.0",
            "gleaner_poll_duration_seconds_count 1",
            "gleaner_fetch_duration_seconds_count 2",
            "gleaner_article_fetches_total{result=\"read\"} 2",
            "gleaner_article_fetches_total{result=\"failed\"} 1",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }
}
