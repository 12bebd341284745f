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
    let source =
        gleaner::subscriptions::parse_opml(&std::fs::read_to_string(&opml).unwrap()).unwrap();
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
