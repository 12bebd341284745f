//! Subscribing: add (with feed discovery), remove, OPML import and export.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{FeedServer, Item, RULES, Route, Workspace, rss};

fn feed_body(title: &str) -> String {
    rss(&[Item::new("1", "https://blog.example/1", "Outage", "")])
        .replace("<title>Test</title>", &format!("<title>{title}</title>"))
}

fn subscribed(ws: &Workspace) -> Vec<(String, String)> {
    let config = gleaner::config::Config::load(&ws.config()).unwrap();
    config
        .feeds
        .into_iter()
        .map(|f| (f.name, f.url.to_string()))
        .collect()
}

#[test]
fn add_finds_the_feed_a_page_links_and_keeps_the_files_comments() {
    let server = FeedServer::start();
    server.route(
        "/blog",
        Route::feed("<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/atom+xml\" href=\"/blog/atom.xml\"></head></html>")
            .header("content-type", "text/html"),
    );
    server.route(
        "/blog/atom.xml",
        Route::feed(feed_body("Example Engineering")),
    );
    server.route(
        "/plain",
        Route::feed("<!DOCTYPE html><html><body>no links here</body></html>")
            .header("content-type", "text/html"),
    );
    server.route("/feed.xml", Route::feed(feed_body("Fallback Blog")));
    let ws = Workspace::new("", &[], RULES);
    let original = std::fs::read_to_string(ws.config()).unwrap();
    std::fs::write(ws.config(), format!("# my subscriptions\n{original}")).unwrap();

    let out = ws.ok(&["add", &server.url("/blog"), "--org", "Example"]);
    assert_eq!(
        out,
        format!(
            "added `Example Engineering`: {}\n",
            server.url("/blog/atom.xml")
        )
    );
    // A page that links nothing: the common paths are tried.
    let out = ws.ok(&["add", &server.url("/plain")]);
    assert_eq!(
        out,
        format!("added `Fallback Blog`: {}\n", server.url("/feed.xml"))
    );
    assert_eq!(
        subscribed(&ws),
        [
            ("Example Engineering".into(), server.url("/blog/atom.xml")),
            ("Fallback Blog".into(), server.url("/feed.xml"))
        ]
    );
    let text = std::fs::read_to_string(ws.config()).unwrap();
    assert!(text.starts_with("# my subscriptions\n"), "{text}");
    assert!(text.contains("org = \"Example\""), "{text}");

    // The same feed again, directly or with tracking parameters: refused, file unchanged.
    let (code, _, err) = ws.run(&[
        "add",
        &format!("{}?utm_source=x", server.url("/blog/atom.xml")),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("already subscribed as `Example Engineering`"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(ws.config()).unwrap(), text);
    // Through the page: the error says which feed the page led to.
    let (code, _, err) = ws.run(&["add", &server.url("/blog")]);
    assert_eq!(code, 2);
    let led_to = format!(
        "{} leads to the feed {}, which is already subscribed as `Example Engineering`",
        server.url("/blog"),
        server.url("/blog/atom.xml")
    );
    assert!(err.contains(&led_to), "{err}");

    // Nothing to find: a clear error, nothing added.
    server.route("/feed.xml", Route::status(404));
    let (code, _, err) = ws.run(&["add", &server.url("/plain")]);
    assert_eq!(code, 2);
    assert!(err.contains("no feed found for"), "{err}");

    let out = ws.ok(&["remove", "Fallback Blog"]);
    assert!(out.starts_with("removed `Fallback Blog`"), "{out}");
    assert_eq!(subscribed(&ws).len(), 1);
    let (code, _, _) = ws.run(&["remove", "Fallback Blog"]);
    assert_eq!(code, 1);
}

#[test]
fn opml_import_and_export_round_trip_the_engineering_blogs_list() {
    let opml = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora/engineering-blogs/engineering_blogs.opml");
    assert!(opml.exists(), "{} is missing", opml.display());
    let source = gleaner::subscriptions::read_opml(&std::fs::read_to_string(&opml).unwrap())
        .unwrap()
        .feeds;
    let distinct: BTreeSet<String> = source
        .iter()
        .filter_map(|f| gleaner::ingest::normalize::canonical_url(&f.xml_url))
        .collect();
    assert!(distinct.len() > 400, "{}", distinct.len());

    let ws = Workspace::new("", &[], RULES);
    let out = ws.ok(&["import", opml.to_str().unwrap()]);
    assert!(
        out.starts_with(&format!("imported {} feeds", distinct.len())),
        "{out}"
    );
    let config = gleaner::config::Config::load(&ws.config()).unwrap();
    assert_eq!(config.feeds.len(), distinct.len());
    assert!(
        config.feeds.iter().all(|f| f.tags == ["Engineering Blogs"]),
        "the enclosing outline is a tag"
    );
    // Importing again adds nothing.
    let again = ws.ok(&["import", opml.to_str().unwrap()]);
    assert!(
        again.starts_with(&format!(
            "imported 0 feeds; {} already subscribed",
            source.len()
        )),
        "{again}"
    );

    // Export, import the export elsewhere: the same subscriptions, names and tags.
    let exported = ws.path().join("out.opml");
    ws.ok(&["export", "--output", exported.to_str().unwrap()]);
    let other = Workspace::new("", &[], RULES);
    other.ok(&["import", exported.to_str().unwrap()]);
    let a = gleaner::config::Config::load(&ws.config()).unwrap();
    let b = gleaner::config::Config::load(&other.config()).unwrap();
    let key = |c: &gleaner::config::Config| -> BTreeSet<(String, String, Vec<String>)> {
        c.feeds
            .iter()
            .map(|f| (f.name.clone(), f.url.to_string(), f.tags.clone()))
            .collect()
    };
    assert_eq!(key(&a), key(&b));
    let stdout = ws.ok(&["export"]);
    assert!(
        stdout.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">"),
        "{stdout}"
    );
}

/// Many terminals editing the subscriptions at once: every add and every remove
/// survives (each edit reads, changes and writes the file under a lock), and the file
/// keeps its mode and stays a symlink to where it lives.
#[test]
fn concurrent_adds_and_removes_all_survive() {
    use std::os::unix::fs::PermissionsExt;
    let server = FeedServer::start();
    let (adds, removes) = (48, 24);
    for i in 0..adds {
        server.route(
            &format!("/new{i}"),
            Route::feed(feed_body(&format!("New {i}"))),
        );
    }
    let old: Vec<(String, String)> = (0..removes)
        .map(|i| (format!("old{i}"), server.url(&format!("/old{i}"))))
        .collect();
    let ws = Workspace::with_feeds("", &old, RULES);
    // The editor keeps feeds.toml elsewhere, private, and links it here.
    let real = ws.path().join("private/feeds.toml");
    std::fs::create_dir(ws.path().join("private")).unwrap();
    std::fs::rename(ws.config(), &real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&real, ws.config()).unwrap();

    let mut children: Vec<(String, std::process::Child)> = Vec::new();
    for i in 0..adds.max(removes) {
        if i < adds {
            let url = server.url(&format!("/new{i}"));
            let child = ws
                .std_cmd(&["add", &url, "--name", &format!("new{i}")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            children.push((format!("add new{i}"), child));
        }
        if i < removes {
            let child = ws
                .std_cmd(&["remove", &format!("old{i}")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            children.push((format!("remove old{i}"), child));
        }
    }
    for (what, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let names: BTreeSet<String> = subscribed(&ws).into_iter().map(|(n, _)| n).collect();
    let expected: BTreeSet<String> = (0..adds).map(|i| format!("new{i}")).collect();
    assert_eq!(names, expected);
    assert!(std::fs::symlink_metadata(ws.config()).unwrap().is_symlink());
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// `check` accepts two names for one feed URL, but warns with both lines.
#[test]
fn check_warns_about_one_url_under_two_names() {
    let ws = Workspace::new(
        "",
        &[
            ("A", "https://blog.example/feed", None),
            ("B", "https://Blog.example/feed?utm_source=x", None),
            ("C", "https://other.example/feed", None),
            ("D", "http://www.blog.example/feed/", None),
        ],
        RULES,
    );
    let out = ws.ok(&["check"]);
    for copy in ["B", "D"] {
        assert!(
            out.contains(&format!("warning: feed `{copy}` has the URL of `A`")),
            "{out}"
        );
    }
    assert_eq!(out.matches("warning").count(), 2, "{out}");
}

/// The shipped reading list: valid, at least 150 feeds, each tagged with what kind of
/// source it is, every kind present, aggregators marked as such, no URL twice.
#[test]
fn the_shipped_reading_list_is_valid_tagged_and_unique() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml");
    let config = gleaner::config::Config::load(&shipped).unwrap();
    assert!(config.feeds.len() >= 150, "{} feeds", config.feeds.len());
    let kinds = [
        "company",
        "person",
        "publication",
        "vendor",
        "status",
        "aggregator",
    ];
    for feed in &config.feeds {
        assert!(
            feed.tags.iter().any(|t| kinds.contains(&t.as_str())),
            "{} has no kind among {kinds:?}",
            feed.name
        );
        let aggregator = feed.tags.iter().any(|t| t == "aggregator");
        assert_eq!(
            aggregator,
            feed.kind == Some(gleaner::config::FeedKind::Aggregator),
            "{}: tagged aggregator exactly when kind = \"aggregator\"",
            feed.name
        );
    }
    for kind in kinds {
        assert!(
            config
                .feeds
                .iter()
                .any(|f| f.tags.iter().any(|t| t == kind)),
            "no {kind} feed"
        );
    }
    let out = assert_cmd::Command::cargo_bin("gleaner")
        .unwrap()
        .args(["--config", shipped.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(": ok (") && !text.contains("warning"),
        "{text}"
    );
}
