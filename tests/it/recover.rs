//! Malformed feeds read the way lenient readers read them: the fixtures in
//! `fixtures/recover/` (one per malformation real feeds have), feedparser's ill-formed
//! cases, and a poll showing a recovered feed's status stays `ok`.

use std::path::{Path, PathBuf};

use gleaner::ingest::parse::{ParseError, parse_feed};

use crate::util::{FeedServer, RULES, Route, Workspace, feed};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/recover")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn each_malformation_is_recovered_and_noted() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "bare-ampersands.xml",
            &[
                "AT&T outage: what our retries did",
                "Runbooks that age well",
            ],
            &["recovered: bare ampersands escaped"],
        ),
        (
            "control-characters.xml",
            &["Disk full on the primary"],
            &["recovered: invalid control characters removed"],
        ),
        (
            "mismatched-end-tags.xml",
            &["Load shedding in practice", "Error budgets"],
            &["recovered: mismatched end tags repaired"],
        ),
        (
            "cut-off.xml",
            &["Why our deploys stopped paging", "Postgres failover, twice"],
            &["recovered: cut-off document: kept the 2 complete entries"],
        ),
        (
            "atom-text-types.xml",
            &["Replication lag \u{2014} a postmortem", "Compaction storms"],
            &[
                "recovered: atom text construct of type text/plain read as text",
                "recovered: atom text construct of type application/x-custom skipped",
                "recovered: atom text construct of type application/octet-stream decoded",
                "recovered: atom text construct of type application/xhtml+xml read as xhtml",
                "recovered: atom text construct of type HTML read as html",
            ],
        ),
        (
            "jsonfeed-http-version.json",
            &["Tail sampling without regret", "Cardinality budgets"],
            &[
                "recovered: JSON Feed version missing or misspelt, read as 1.1",
                "recovered: JSON Feed tags given as a string read as one tag",
                "recovered: mistyped or missing JSON Feed fields fixed",
            ],
        ),
        (
            "jsonfeed-no-version.json",
            &["Paged at 3am by a certificate"],
            &["recovered: JSON Feed version missing or misspelt, read as 1.1"],
        ),
        (
            "jsonfeed-invalid-utf8.json",
            &["Caf\u{e9} \u{2014} la panne du r\u{fffd}seau"],
            &["recovered: invalid UTF-8 bytes replaced"],
        ),
    ];
    for (name, want_titles, want_notes) in cases {
        let parsed = parse_feed(&fixture(name), None, "https://blog.example/feed")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(titles(&parsed.feed), *want_titles, "{name}");
        assert_eq!(parsed.notes, *want_notes, "{name}");
    }
}

#[test]
fn recovered_text_is_what_the_publisher_meant() {
    let p = parse_feed(&fixture("bare-ampersands.xml"), None, "https://x/").unwrap();
    let e = &p.feed.entries[0];
    assert_eq!(
        e.links[0].href,
        "https://eng.example.com/?p=4211&preview=false"
    );
    let entries = gleaner::ingest::normalize::normalize_feed(&p.feed);
    assert_eq!(
        entries[0].summary,
        "Queues & retries \u{2026} a write-up of the DNS & BGP incident."
    );
    assert_eq!(entries[0].author.as_deref(), Some("Dana Ops"));

    let p = parse_feed(&fixture("atom-text-types.xml"), None, "https://x/").unwrap();
    assert_eq!(p.feed.title.as_ref().unwrap().content, "Storage team");
    assert_eq!(
        p.feed.rights.as_ref().unwrap().content,
        "\u{a9} 2026 Example Inc."
    );
    assert_eq!(p.feed.description, None, "the custom subtitle is skipped");
    let entries = gleaner::ingest::normalize::normalize_feed(&p.feed);
    assert_eq!(entries[0].summary, "How replication lag hid an outage.");
    assert_eq!(entries[1].summary, "When compaction falls behind.");

    let p = parse_feed(&fixture("mismatched-end-tags.xml"), None, "https://x/").unwrap();
    assert_eq!(p.feed.language.as_deref(), Some("en-us"));
    let entries = gleaner::ingest::normalize::normalize_feed(&p.feed);
    // feed-rs reads an RSS description up to its first child element: unescaped
    // markup in it is lost with or without the repair.
    assert_eq!(entries[0].summary, "First line");
    assert_eq!(entries[1].title, "Error budgets");
}

fn illformed() -> Vec<PathBuf> {
    crate::util::corpus_files("feedparser/tests/illformed")
}

/// feedparser's ill-formed cases (its `bozo` means "not well-formed, recovered"): all
/// but three are read. Those three have nothing to read: an `<rss>` with no channel, an
/// empty document, and a feed cut inside its only entry (keeping none of it, which
/// would show the feed as fine while nothing was read).
#[test]
fn feedparser_illformed_cases_are_read() {
    let paths = illformed();
    assert_eq!(paths.len(), 19);
    let mut failed = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match parse_feed(
            &std::fs::read(path).unwrap(),
            None,
            "http://127.0.0.1:8097/",
        ) {
            Ok(parsed) if name == "rdf_channel_empty_textinput.xml" => assert_eq!(
                parsed.notes,
                ["recovered: cut-off document: kept the 1 complete entry"]
            ),
            Ok(_) => {}
            Err(ParseError::Invalid(_)) => failed.push(name),
            Err(other) => panic!("{name}: {other}"),
        }
    }
    assert_eq!(
        failed,
        [
            "aaa_illformed.xml",
            "rss_empty_document.xml",
            "rss_incomplete_cdata.xml"
        ]
    );
}

/// Through the real program: a recovered feed's status is `ok` and its entries are
/// stored; a document with too many entries is a failure that says what to do.
#[test]
fn a_recovered_feed_polls_ok() {
    let server = FeedServer::start();
    let names = [
        ("Amp", "bare-ampersands.xml", 2),
        ("Cut", "cut-off.xml", 2),
        ("Atom", "atom-text-types.xml", 2),
        ("Json", "jsonfeed-invalid-utf8.json", 1),
    ];
    let mut feeds = Vec::new();
    for (name, file, _) in names {
        let path = format!("/{file}");
        server.route(&path, Route::feed(fixture(file)));
        feeds.push((name, server.url(&path)));
    }
    let huge = format!(
        "<rss version=\"2.0\"><channel>{}</channel></rss>",
        "<item/>".repeat(20_001)
    );
    server.route("/huge", Route::feed(huge));
    feeds.push(("Huge", server.url("/huge")));
    let config: Vec<(&str, &str, Option<&str>)> =
        feeds.iter().map(|(n, u)| (*n, u.as_str(), None)).collect();
    let ws = Workspace::new("", &config, RULES);
    let out = ws.ok(&["poll"]);
    assert!(
        out.contains("Huge: the document holds 20001 entries, more than the 20000"),
        "{out}"
    );
    let list = ws.json(&["feeds", "--format", "json"]);
    for (name, _, entries) in names {
        assert_eq!(feed(&list, name)["status"], "ok", "{name}");
        assert_eq!(feed(&list, name)["entries"], entries, "{name}");
        let note = feed(&list, name)["note"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(note.starts_with("recovered: "), "{name}: {note:?}");
    }
    assert_eq!(
        feed(&list, "Amp")["note"],
        "recovered: bare ampersands escaped"
    );
    assert_eq!(feed(&list, "Huge")["status"], "error");
    let table = ws.ok(&["feeds"]);
    assert!(
        table.contains("recovered: bare ampersands escaped"),
        "{table}"
    );
}

/// A feed of 1,500 entries listed oldest first keeps its newest 1,000, and says so.
#[test]
fn a_long_feed_keeps_its_newest_entries_and_says_it_was_cut() {
    let server = FeedServer::start();
    let start = crate::util::now() - chrono::Duration::days(30);
    let items: String = (0..1_500)
        .map(|i| {
            let at = (start + chrono::Duration::minutes(i)).to_rfc2822();
            format!("<item><guid>g{i}</guid><link>https://blog.example/{i}</link><title>Post {i}</title><pubDate>{at}</pubDate></item>")
        })
        .collect();
    server.route(
        "/long",
        Route::feed(format!(
            "<rss version=\"2.0\"><channel>{items}</channel></rss>"
        )),
    );
    let ws = Workspace::new("", &[("Long", &server.url("/long"), None)], RULES);
    ws.ok(&["poll"]);
    let list = ws.json(&["feeds", "--format", "json"]);
    assert_eq!(feed(&list, "Long")["entries"], 1_000);
    assert_eq!(
        feed(&list, "Long")["note"],
        "cut to the newest 1,000 of 1,500 entries"
    );
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM posts WHERE url = 'https://blog.example/1499'"),
        1
    );
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM posts WHERE url = 'https://blog.example/499'"),
        0
    );
}
