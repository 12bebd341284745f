//! Real-world feeds from other projects' test suites (`../shared/corpora`), through the
//! whole parse → normalize → score path: nothing may panic, and markup never survives.

use std::path::{Path, PathBuf};

use gleaner::config::Config;
use gleaner::score::Scorer;

fn corpus(sub: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora")
        .join(sub);
    assert!(
        dir.is_dir(),
        "corpus {} is missing: CI must run with shared/ beside the checkout",
        dir.display()
    );
    dir
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if !path.to_string_lossy().ends_with(".serde.json") {
            out.push(path);
        }
    }
}

/// Parses, normalizes and scores every file under `sub`; returns (files, parsed).
fn run_corpus(sub: &str) -> (usize, usize) {
    let config = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")).unwrap();
    let scorer = Scorer::new(&config);
    let mut paths = Vec::new();
    files(&corpus(sub), &mut paths);
    paths.sort();
    let mut parsed = 0;
    for path in &paths {
        let body = std::fs::read(path).unwrap();
        let Ok(feed) = gleaner::parse::parse_feed(&body, None, "http://example.org/feed") else {
            continue;
        };
        parsed += 1;
        for entry in gleaner::normalize::normalize_feed(&feed) {
            let _ = scorer.score(&entry, 0.0);
            for text in [&entry.title, &entry.summary, &entry.content] {
                assert!(
                    !text.contains("<script"),
                    "{}: script survived in {text:?}",
                    path.display()
                );
            }
            if let Some(url) = &entry.url {
                assert!(
                    url.starts_with("http://") || url.starts_with("https://"),
                    "{}: {url}",
                    path.display()
                );
            }
        }
    }
    (paths.len(), parsed)
}

#[test]
fn every_feed_rs_fixture_goes_through_without_a_panic() {
    let (files, parsed) = run_corpus("feed-rs");
    assert!(files >= 60, "only {files} files");
    // All but the deliberately truncated feed and non-feed XML parse.
    assert!(parsed * 10 >= files * 9, "{parsed} of {files} parsed");
}

#[test]
fn every_wellformed_feedparser_case_goes_through_without_a_panic() {
    let (files, parsed) = run_corpus("feedparser/tests/wellformed");
    assert!(files >= 1000, "only {files} files");
    println!("feedparser wellformed: {parsed} of {files} parsed");
    assert!(parsed * 10 >= files * 8, "{parsed} of {files} parsed");
}
