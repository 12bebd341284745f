//! Sites with no feed, watched through the page that lists their articles
//! (`kind = "page"`, `gleaner add --page`): a loopback site with a listing page, article
//! pages, and a page that links no article.

use crate::util::{FeedServer, READ_ARTICLES, RULES, Route, Workspace, by_url, reach_fixture};

/// A listing page as site builders write it: navigation, cards around a heading, a
/// tag link and pagination; `articles` are (slug, title), newest first.
fn listing(articles: &[(&str, &str)]) -> String {
    let mut html = String::from(
        "<!doctype html><html><head><title>Articles | Drill Labs</title></head><body>\
         <nav><a href=\"/\">Home</a> <a href=\"/about\">About</a> <a href=\"/articles\">Articles</a></nav><main>",
    );
    for (slug, title) in articles {
        html.push_str(&format!(
            "<a class=\"card\" href=\"/articles/{slug}\"><h3>{title}</h3><p>An excerpt.</p></a>\
             <a href=\"/articles/{slug}\">Read more</a>"
        ));
    }
    html.push_str(
        "<a href=\"/articles/tag/on-call\">on-call</a> <a href=\"/articles?p=2\">Older</a></main></body></html>",
    );
    html
}

fn watching(site: &FeedServer, settings: &str) -> Workspace {
    let ws = Workspace::new(
        settings,
        &[
            ("Drill Labs", &site.url("/articles"), Some("Drill Labs")),
            ("Empty", &site.url("/news"), None),
        ],
        RULES,
    );
    let config = std::fs::read_to_string(ws.config()).unwrap();
    let config = config.replace(
        "org = \"Drill Labs\"\n",
        "org = \"Drill Labs\"\nkind = \"page\"\ntags = [\"vendor\"]\n",
    );
    let config = config.replace(
        &format!("url = \"{}\"\n", site.url("/news")),
        &format!("url = \"{}\"\nkind = \"page\"\n", site.url("/news")),
    );
    std::fs::write(ws.config(), config).unwrap();
    ws
}

#[test]
fn a_site_without_a_feed_is_watched_through_its_article_list() {
    let site = FeedServer::start();
    let old = [
        ("drills-that-stick", "Drills that stick"),
        ("pagers", "Pagers at 3am"),
    ];
    site.route(
        "/articles",
        Route::page(listing(&old)).with_validators("\"v1\"", "Mon, 02 Nov 2026 08:00:00 GMT"),
    );
    site.route("/news", Route::page("<a href='/about'>About us</a>"));
    for path in ["/articles/drills-that-stick", "/articles/pagers"] {
        site.route(path, Route::page(reach_fixture("article-bare.html")));
    }
    site.route(
        "/articles/retry-storm",
        Route::page(reach_fixture("article-jsonld-object.html")),
    );
    let ws = watching(&site, READ_ARTICLES);
    ws.ok(&["check"]);

    // The first poll: what the page lists already is back catalogue, stored but not
    // read or queued. The page that links no article fails and says what to set.
    let (code, out, _) = ws.run(&["poll"]);
    assert_eq!(code, 0, "a feed's failure is its own: {out}");
    assert!(out.contains("1 failed") && out.contains("2 new"), "{out}");
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM posts WHERE backfill = 1"),
        2
    );
    assert!(
        site.seen("/articles/pagers").is_empty(),
        "back catalogue is not read"
    );
    let feeds = ws.json(&["feeds", "--format", "json"]);
    let empty = feeds
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Empty")
        .unwrap();
    let error = empty["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("links no article on 127.0.0.1") && error.contains("set the feed's links"),
        "{empty:#}"
    );

    // Unchanged: a conditional GET, answered 304.
    ws.ok(&["poll", "--force"]);
    let asked = site.seen("/articles");
    assert_eq!(
        asked.last().unwrap().if_none_match.as_deref(),
        Some("\"v1\"")
    );
    assert_eq!(asked.last().unwrap().status, 304);

    // A new article on top of the list: one new post, its page read for its text,
    // author and date; the site's org stays the feed's.
    let mut now_listed = vec![("retry-storm", "How a retry storm took down our checkout")];
    now_listed.extend(old);
    site.route(
        "/articles",
        Route::page(listing(&now_listed))
            .with_validators("\"v2\"", "Tue, 03 Nov 2026 08:00:00 GMT"),
    );
    let (_, out, _) = ws.run(&["poll", "--force"]);
    assert!(out.contains("1 new"), "{out}");
    assert!(out.contains("articles: 1 read"), "{out}");
    let list = ws.json(&["shortlist", "--format", "json", "--limit", "50"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list:#}");
    let storm = by_url(&list, &site.url("/articles/retry-storm"));
    assert_eq!(storm["title"], "How a retry storm took down our checkout");
    assert_eq!(storm["feed"], "Drill Labs");
    assert_eq!(storm["author"], "Jane Doe");
    assert_eq!(storm["org"], "Drill Labs");
    assert_eq!(storm["article"]["status"], "read");
    assert!(
        storm["excerpt"]
            .as_str()
            .unwrap()
            .contains("On the morning of March 3rd"),
        "{storm:#}"
    );
    assert_eq!(site.seen("/articles/retry-storm").len(), 1);
    assert!(site.seen("/articles/pagers").is_empty());

    // The site's builder starts writing its links with trailing slashes: the same
    // articles, nothing new, nothing read again.
    let posts = ws.sql_count("SELECT count(*) FROM posts");
    let mut slashed = listing(&now_listed);
    for (slug, _) in &now_listed {
        slashed = slashed.replace(
            &format!("/articles/{slug}\""),
            &format!("/articles/{slug}/\""),
        );
    }
    assert!(slashed.contains("/articles/pagers/\""), "{slashed}");
    site.route("/articles", Route::page(slashed));
    ws.ok(&["poll", "--force"]);
    assert_eq!(ws.sql_count("SELECT count(*) FROM posts"), posts);
    let list = ws.json(&["shortlist", "--format", "json", "--limit", "50"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list:#}");
    assert!(site.seen("/articles/retry-storm/").is_empty());
}

#[test]
fn add_page_subscribes_to_a_site_without_a_feed_and_shows_what_it_lists() {
    let site = FeedServer::start();
    site.route(
        "/articles",
        Route::page(listing(&[("a", "First drill"), ("b", "Second drill")])),
    );
    site.route(
        "/",
        Route::page(
            "<title>Home</title><a href='/about'>About</a> <a href='/articles/a'>First drill</a> \
             <a href='/articles/b/'>Second drill</a> <a href='/articles/c?x=1'>Third drill</a>",
        ),
    );
    let ws = Workspace::new("", &[], RULES);

    // Without --page, the error says the page can be watched instead.
    let (code, _, err) = ws.run(&["add", &site.url("/articles")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no feed found") && err.contains("--page"),
        "{err}"
    );
    let (code, _, err) = ws.run(&["add", &site.url("/"), "--page"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("pass --links, a regex of its articles' paths"),
        "{err}"
    );
    let (code, _, err) = ws.run(&["add", &site.url("/articles"), "--links", "^/a/"]);
    assert_eq!(code, 2);
    assert!(err.contains("--links is for --page"), "{err}");

    let out = ws.ok(&[
        "add",
        &site.url("/articles"),
        "--page",
        "--org",
        "Drill Labs",
    ]);
    assert!(out.contains("added `Articles | Drill Labs`"), "{out}");
    assert!(out.contains("it links 2 articles now"), "{out}");
    assert!(out.contains("  First drill\n  Second drill\n"), "{out}");
    let out = ws.ok(&[
        "add",
        &site.url("/"),
        "--page",
        "--links",
        r"^/articles/\w+$",
        "--name",
        "Root",
    ]);
    assert!(out.contains("it links 2 articles now"), "{out}");
    let config = std::fs::read_to_string(ws.config()).unwrap();
    assert!(config.contains("kind = \"page\""), "{config}");
    assert!(config.contains(r"links = '^/articles/\w+$'"), "{config}");
    ws.ok(&["check"]);
    // a and b from the list, c from the root; a, on both, is one post.
    let out = ws.ok(&["poll"]);
    assert!(out.contains("3 new"), "{out}");

    // Exported, the watched pages are link outlines; an import names them, not adds them.
    let opml = ws.path().join("out.opml");
    ws.ok(&["export", "--output", opml.to_str().unwrap()]);
    let other = Workspace::new("", &[], RULES);
    let out = other.ok(&["import", opml.to_str().unwrap()]);
    assert!(
        out.contains("2 link outline(s) not imported") && out.contains("gleaner add URL --page"),
        "{out}"
    );
    assert!(
        out.contains(&format!("  page: {}\n", site.url("/articles"))),
        "{out}"
    );
}
