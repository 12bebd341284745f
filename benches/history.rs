//! Large-history benchmark: databases of 10,000 and 1,000,000 entries spread over two
//! years and 2,000 feeds, and the time of what the editor runs on them: the shortlist
//! of the last full week, this week's review queue, `feeds`, `explain`, and `rescore`
//! of everything: after a new rule (only it is matched against text), after a new
//! weight (the stored matches are re-weighed) and after every rule's pattern was
//! edited (all of them are matched against text again). Prints a table and the
//! 1,000,000 / 10,000 ratios for the shortlist and the queue (they should not grow
//! with history).
//!
//!     cargo bench --bench history            # both sizes
//!     GLEANER_BENCH_SIZES=10000 cargo bench --bench history

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use gleaner::config::{Config, RuleConfig};
use gleaner::ingest::normalize::Entry;
use gleaner::rank::rescore::{rescore, rescore_if_stale};
use gleaner::score::{Field, Scorer};
use gleaner::store::{FetchRecord, ScoredEntry, Store};
use gleaner::week::IsoWeek;

const FEEDS: usize = 2_000;
const BATCH: usize = 500;

fn main() {
    let sizes: Vec<usize> = std::env::var("GLEANER_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut config =
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")).unwrap();
    config.feeds.clear();
    let scorer = config.scorer();
    let (mut shortlist_times, mut queue_times) = (Vec::new(), Vec::new());
    // A rule every title of the history matches (see the rescores below).
    let service_rule = RuleConfig {
        name: "service".into(),
        pattern: r"(?i)\bservice\b".into(),
        weight: 0.5,
        fields: vec![Field::Title],
        line: 0,
    };
    println!(
        "{:>10}  {:>8}  {:>12}  {:>8}  {:>8}  {:>10}  {:>10}  {:>10}  {:>10}",
        "entries",
        "build s",
        "shortlist ms",
        "queue ms",
        "feeds ms",
        "explain ms",
        "new rule/s",
        "weights/s",
        "all rules/s"
    );
    for &n in &sizes {
        let dir = tempfile::tempdir().unwrap();
        // GLEANER_BENCH_KEEP=1 keeps each database (and prints where) for inspection.
        let keep = std::env::var_os("GLEANER_BENCH_KEEP").is_some();
        let mut store = Store::open(&dir.path().join("history.db")).unwrap();
        let names: Vec<(String, String)> = (0..FEEDS)
            .map(|i| {
                (
                    format!("feed {i}"),
                    format!("https://blog{i}.example.com/feed"),
                )
            })
            .collect();
        store
            .sync_feeds(names.iter().map(|(a, b)| (a.as_str(), b.as_str())))
            .unwrap();
        // As every command does on opening a database: the (empty) store is noted as
        // scored with these rules.
        rescore_if_stale(&mut store, &config).unwrap();
        let built = Instant::now();
        fill(&mut store, &scorer, n);
        let build = built.elapsed();

        // The history ends on the Monday of `week`; the week before is the last full
        // one. Its shortlist is full at every size (this week's holds 5 posts at
        // 10,000 entries): the ratio compares the same work on more history.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let week = IsoWeek::containing(now, config.settings.timezone);
        let shortlist = median(|| {
            // As `gleaner shortlist` does: load the ranker (training on decisions), build.
            let ranker = gleaner::rank::shortlist::Ranker::load(&store, &config).unwrap();
            let list =
                gleaner::rank::shortlist::build(&store, &ranker, week.previous(), 20).unwrap();
            assert_eq!(list.len(), 20);
        });
        // As `gleaner queue` does. All posts were first seen on the Monday of this
        // week: the queue holds last week's posts as late arrivals, and this week's.
        let queue = median(|| {
            let ranker = gleaner::rank::shortlist::Ranker::load(&store, &config).unwrap();
            let items = gleaner::review::queue_items(&store, &ranker, week).unwrap();
            assert!(!items.is_empty());
        });
        let names: Vec<&str> = names.iter().map(|(a, _)| a.as_str()).collect();
        let feeds = median(|| assert_eq!(store.feed_health(&names).unwrap().len(), FEEDS));
        let explain = median(|| assert!(store.post((n / 2) as i64).unwrap().is_some()));
        // A new rule that every title matches: only it is matched, against titles, and
        // every score changes (every row rewritten).
        let mut widened = config.clone();
        widened.rules.push(service_rule.clone());
        let new_rule = rescore_rate(&mut store, &widened, 1);
        // Then a weight only: the stored matches are re-weighed (4 in 5 scores change).
        widened.settings.field_weights.title += 0.5;
        let new_weights = rescore_rate(&mut store, &widened, 0);
        // Then every pattern edited (the same words, written differently) and the
        // weight back: every rule is matched against every text again.
        for rule in &mut widened.rules {
            rule.pattern = format!("(?:{})", rule.pattern);
        }
        widened.settings.field_weights.title -= 0.5;
        let all_rules = rescore_rate(&mut store, &widened, widened.rules.len());
        // Back to the rules the next size is built with.
        rescore(&mut store, &config).unwrap();
        println!(
            "{n:>10}  {:>8.1}  {:>12.2}  {:>8.2}  {:>8.2}  {:>10.3}  {new_rule:>10.0}  {new_weights:>10.0}  {all_rules:>10.0}",
            build.as_secs_f64(),
            ms(shortlist),
            ms(queue),
            ms(feeds),
            ms(explain)
        );
        shortlist_times.push((n, shortlist));
        queue_times.push((n, queue));
        if keep {
            println!("kept {}", dir.keep().join("history.db").display());
        }
    }
    for (what, times) in [("shortlist", shortlist_times), ("queue", queue_times)] {
        if let [(small, a), .., (large, b)] = times[..] {
            println!(
                "{what} on {large} entries takes {:.2}x its time on {small}",
                b.as_secs_f64() / a.as_secs_f64()
            );
        }
    }
}

/// Rescores everything with `config`, matching `rules_matched` rules against text;
/// entries per second.
fn rescore_rate(store: &mut Store, config: &Config, rules_matched: usize) -> f64 {
    let t = Instant::now();
    let done = rescore(store, config).unwrap();
    let rate = done.scanned as f64 / t.elapsed().as_secs_f64();
    assert_eq!(done.rules_matched, rules_matched);
    assert!(done.changed * 2 > done.scanned, "most scores change");
    rate
}

/// `n` entries, evenly over two years up to 2026-11-23, round-robin over the feeds (so
/// a week holds posts of many feeds, as it does for a real editor), a third of them
/// about reliability, stored one feed's batch of up to 500 entries at a time.
fn fill(store: &mut Store, scorer: &Scorer, n: usize) {
    let end = Utc
        .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
        .unwrap()
        .timestamp();
    let span = 2 * 365 * 86_400;
    let topics = [
        "Incident review: the outage of",
        "Retries and backoff in",
        "Introducing our webinar on",
        "Scaling Postgres for",
        "Design systems at",
    ];
    let body = "We saw elevated latency and errors while the deploy rolled out; the on-call engineer rolled back. ".repeat(8);
    let ids: Vec<i64> = (0..FEEDS)
        .map(|f| store.feed_state(&format!("feed {f}")).unwrap().unwrap().id)
        .collect();
    let mut pending: Vec<Vec<ScoredEntry>> = vec![Vec::new(); FEEDS];
    for k in 0..n {
        let feed = k % FEEDS;
        let published = Utc
            .timestamp_opt(end - span + (k as i64 * span / n as i64), 0)
            .unwrap();
        let entry = Entry {
            item_key: format!("g:{k}"),
            url: Some(format!("https://blog{feed}.example.com/posts/{k}")),
            title: format!("{} service {k}", topics[k % topics.len()]),
            summary: body[..300].to_owned(),
            content: body.clone(),
            article: String::new(),
            author: Some(format!("Author {}", k % 50)),
            published: Some(published),
            updated: None,
        };
        let score = scorer.score(&entry, 0.0);
        pending[feed].push(ScoredEntry::new(entry, score));
        if pending[feed].len() == BATCH || k + FEEDS >= n {
            let batch = std::mem::take(&mut pending[feed]);
            store
                .record_fetched(
                    ids[feed],
                    &FetchRecord::default(),
                    &batch,
                    Utc.timestamp_opt(end, 0).unwrap(),
                )
                .unwrap();
        }
    }
    store.checkpoint().unwrap();
}

/// Runs per timing of [`median`]: sub-millisecond reads drift run to run.
const RUNS: usize = 21;

fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
