//! Any bytes, served as a feed, must come out of parse → normalize → score → render as
//! entries or an error: never a panic, never markup in the output.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use gleaner::config::Config;
use gleaner::score::Scorer;
use libfuzzer_sys::fuzz_target;

static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    Config::from_str(Path::new("feeds.toml"), include_str!("../../../feeds.toml")).expect("the shipped feeds.toml is valid")
});
static SCORER: LazyLock<Scorer> = LazyLock::new(|| CONFIG.scorer());

fuzz_target!(|data: &[u8]| {
    // The first byte picks an HTTP charset, as a server would send it.
    let (charset, body) = match data.split_first() {
        Some((b, rest)) => ([None, Some("utf-8"), Some("iso-8859-1"), Some("utf-16"), Some("shift_jis")][*b as usize % 5], rest),
        None => (None, data),
    };
    // Each input is read as a feed and as a watched page (`kind = "page"`).
    let page = gleaner::ingest::reach::ReachPolicy { kind: Some(gleaner::config::FeedKind::Page), ..Default::default() };
    for policy in [Default::default(), page] {
    if let Ok(doc) = gleaner::ingest::pipeline::score_document(body, charset, "https://fuzz.example/feed", &SCORER, 0.0, &policy) {
        for (entry, score, _) in &doc.entries {
            // Text may *mention* a tag; rendered output must never carry one raw.
            let rendered = gleaner::render::md_link(&entry.title, entry.url.as_deref())
                + &gleaner::render::md_escape(&entry.summary)
                + &gleaner::render::md_escape(&entry.content);
            assert!(!rendered.to_ascii_lowercase().contains("<script"), "markup in output: {rendered:?}");
            if let Some(url) = &entry.url {
                assert!(url.starts_with("http://") || url.starts_with("https://"), "unsafe url {url}");
            }
            let sum: f64 = score.reasons.iter().map(|r| r.points).sum();
            assert!((gleaner::score::round2(sum) - score.total).abs() < 1e-9, "score is not the sum of its parts");
        }
    }
    }
});
