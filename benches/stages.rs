//! Micro-benchmarks of the pure pipeline stages and the store, per feed of 20 entries
//! shaped like `../shared/bench/feedfarm.py`'s (2–6 paragraphs of HTML each, a third of
//! them on reliability topics), with the shipped `feeds.toml` rules.
//!
//!     cargo bench --bench stages

use std::path::Path;

use chrono::Utc;
use divan::Bencher;
use gleaner::config::Config;
use gleaner::ingest::normalize;
use gleaner::score::Scorer;
use gleaner::store::{FetchRecord, ScoredEntry, Store};

fn main() {
    divan::main();
}

const ENTRIES: usize = 20;

/// A deterministic RSS 2.0 feed like the farm's.
fn farm_feed(feed: usize) -> String {
    let words = "the a our we system service database cluster team request traffic query cache deploy region network storage queue worker metric alert page user customer during after before while because when which data config change fleet node";
    let words: Vec<&str> = words.split(' ').collect();
    let topics = [
        "incident",
        "outage",
        "retries",
        "React hooks",
        "webinar",
        "load shedding",
        "pricing update",
    ];
    let mut rng = fastrand::Rng::with_seed(feed as u64);
    let mut items = String::new();
    for j in 0..ENTRIES {
        let topic = topics[rng.usize(..topics.len())];
        let mut body = String::new();
        for _ in 0..rng.usize(2..=6) {
            let para: Vec<&str> = (0..60).map(|_| words[rng.usize(..words.len())]).collect();
            body.push_str(&format!("&lt;p&gt;{} {topic}.&lt;/p&gt;", para.join(" ")));
        }
        items.push_str(&format!(
            "<item><title>{topic}: lessons from #{feed}-{j}</title><link>https://blog{feed}.example.com/posts/{j}</link>\
             <guid isPermaLink=\"false\">urn:farm:{feed}:{j}</guid><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>\
             <description>{body}</description></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Blog {feed}</title>{items}</channel></rss>"
    )
}

fn config() -> Config {
    Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml"))
        .expect("shipped feeds.toml is valid")
}

#[divan::bench]
fn parse(bencher: Bencher) {
    let body = farm_feed(1);
    bencher
        .counter(divan::counter::ItemsCount::new(ENTRIES))
        .bench(|| {
            gleaner::ingest::parse::parse_feed(
                divan::black_box(body.as_bytes()),
                None,
                "https://blog1.example.com/feed",
            )
        });
}

/// A site's article list as `kind = "page"` reads it: `ENTRIES` cards (a heading, an
/// excerpt, a "Read more"), between a navigation bar and a footer of 200 links each.
fn listing_page() -> String {
    let mut html =
        String::from("<!doctype html><html><head><title>Articles</title></head><body><nav>");
    for i in 0..200 {
        html.push_str(&format!("<a href=\"/section-{i}\">Section {i}</a> "));
    }
    html.push_str("</nav><main>");
    for j in 0..ENTRIES {
        html.push_str(&format!(
            "<div class=\"card\"><a href=\"/articles/post-{j}\"><img src=\"/i/{j}.png\"></a>\
             <h3><a href=\"/articles/post-{j}\">Incident {j}: what retries did to us</a></h3>\
             <p>{}</p><a href=\"/articles/post-{j}\">Read more</a></div>",
            "An excerpt of the article about the outage and its retries. ".repeat(4)
        ));
    }
    html.push_str("</main><footer>");
    for i in 0..200 {
        html.push_str(&format!(
            "<a href=\"https://elsewhere.example/{i}\">Link {i}</a> "
        ));
    }
    html.push_str("</footer></body></html>");
    html
}

/// The same number of entries as `parse`, from a watched page instead of a feed.
#[divan::bench]
fn read_listing(bencher: Bencher) {
    let body = listing_page();
    bencher
        .counter(divan::counter::ItemsCount::new(ENTRIES))
        .bench(|| {
            gleaner::ingest::listing::read_listing(
                divan::black_box(body.as_bytes()),
                None,
                "https://blog1.example.com/articles",
                None,
            )
        });
}

#[divan::bench]
fn normalize(bencher: Bencher) {
    let feed = gleaner::ingest::parse::parse_feed(
        farm_feed(1).as_bytes(),
        None,
        "https://blog1.example.com/feed",
    )
    .unwrap()
    .feed;
    bencher
        .counter(divan::counter::ItemsCount::new(ENTRIES))
        .bench(|| normalize::normalize_feed(divan::black_box(&feed)));
}

#[divan::bench]
fn score(bencher: Bencher) {
    let config = config();
    let scorer = config.scorer();
    let feed = gleaner::ingest::parse::parse_feed(
        farm_feed(1).as_bytes(),
        None,
        "https://blog1.example.com/feed",
    )
    .unwrap()
    .feed;
    let entries = normalize::normalize_feed(&feed);
    bencher
        .counter(divan::counter::ItemsCount::new(ENTRIES))
        .bench(|| {
            entries
                .iter()
                .map(|e| scorer.score(divan::black_box(e), 0.0).total)
                .sum::<f64>()
        });
}

#[divan::bench]
fn compile_rules() -> Scorer {
    config().scorer()
}

/// One feed's batch of 20 new entries into a database already holding `n` feeds' worth.
#[divan::bench(args = [0, 1000])]
fn store_new_batch(bencher: Bencher, n: usize) {
    let config = config();
    let scorer = config.scorer();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let names: Vec<(String, String)> = (0..=n + 10_000)
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
    let batch = |feed: usize| -> Vec<ScoredEntry> {
        let parsed =
            gleaner::ingest::parse::parse_feed(farm_feed(feed).as_bytes(), None, "https://x/")
                .unwrap()
                .feed;
        normalize::normalize_feed(&parsed)
            .into_iter()
            .map(|e| {
                let s = scorer.score(&e, 0.0);
                ScoredEntry::new(e, s)
            })
            .collect()
    };
    let states = store.feed_states().unwrap();
    let id = |feed: usize| states[&format!("feed {feed}")].id;
    for feed in 0..n {
        store
            .record_fetched(id(feed), &FetchRecord::default(), &batch(feed), Utc::now())
            .unwrap();
    }
    let mut next = n;
    bencher
        .counter(divan::counter::ItemsCount::new(ENTRIES))
        .with_inputs(|| {
            next += 1;
            (id(next), batch(next))
        })
        .bench_local_values(|(id, entries)| {
            store
                .record_fetched(id, &FetchRecord::default(), &entries, Utc::now())
                .unwrap()
        });
}
