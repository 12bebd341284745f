//! Reach: aggregator feeds (Hacker News, Lobsters, Reddit shapes) whose items link
//! article pages served on other loopback ports, and the pages gleaner reads for them
//! and for short entries: metadata, robots.txt, budgets, private addresses, hostile
//! pages. Every server is on 127.0.0.1.

use serde_json::{Value, json};

use crate::util::{
    Daemon, FeedServer, Item, Misbehaviour, READ_ARTICLES, RULES, RawServer, Route, Workspace,
    by_url, http_get, reach_fixture, recently, rss, xml_escape,
};

/// An hnrss-style feed: (title, article URL, item id, submitter).
fn hnrss(items: &[(&str, &str, u32, &str)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
         <title>Hacker News: Newest</title><link>https://news.ycombinator.com/</link>\
         <description>Hacker News RSS</description><generator>hnrss v2.1.1</generator>",
    );
    for (title, link, id, submitter) in items {
        let thread = format!("https://news.ycombinator.com/item?id={id}");
        out.push_str(&format!(
            "<item><title>{}</title><description><![CDATA[<p>Article URL: <a href=\"{link}\">{link}</a></p>\
             <p>Comments URL: <a href=\"{thread}\">{thread}</a></p><p>Points: 51</p><p># Comments: 7</p>]]></description>\
             <pubDate>{}</pubDate><link>{}</link><dc:creator>{submitter}</dc:creator>\
             <comments>{thread}</comments><guid isPermaLink=\"false\">{thread}</guid></item>",
            xml_escape(title),
            recently().to_rfc2822(),
            xml_escape(link),
        ));
    }
    out + "</channel></rss>"
}

/// A Lobsters-style feed: (title, article URL, short id, submitter).
fn lobsters(items: &[(&str, &str, &str, &str)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Lobsters</title>\
         <link>https://lobste.rs/</link><description></description>",
    );
    for (title, link, id, submitter) in items {
        let thread = format!("https://lobste.rs/s/{id}");
        out.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{thread}</guid>\
             <author>127.0.0.1 via {submitter}</author><pubDate>{}</pubDate>\
             <comments>{thread}</comments><category>devops</category></item>",
            xml_escape(title),
            xml_escape(link),
            recently().to_rfc2822(),
        ));
    }
    out + "</channel></rss>"
}

/// A Reddit-style Atom feed of r/sre: (title, `[link]` target or None for a text
/// post, post id, submitter).
fn reddit(entries: &[(&str, Option<&str>, &str, &str)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <category term=\"sre\" label=\"r/sre\"/><id>/r/sre/.rss</id>\
         <link rel=\"alternate\" href=\"https://www.reddit.com/r/sre/\" type=\"text/html\" />\
         <title>Site Reliability Engineering</title>",
    );
    for (title, link, id, submitter) in entries {
        let thread = format!("https://www.reddit.com/r/sre/comments/{id}/slug/");
        let text = if link.is_none() {
            "<div class=\"md\"><p>Our postmortems keep ending with more alerts. How do you stop that?</p></div>"
        } else {
            ""
        };
        let content = format!(
            "{text} submitted by <a href=\"https://www.reddit.com/user/{submitter}\"> /u/{submitter} </a> <br/>\
             <span><a href=\"{}\">[link]</a></span> <span><a href=\"{thread}\">[comments]</a></span>",
            link.unwrap_or(&thread)
        );
        out.push_str(&format!(
            "<entry><author><name>/u/{submitter}</name></author><category term=\"sre\" label=\"r/sre\"/>\
             <content type=\"html\">{}</content><id>t3_{id}</id><link href=\"{thread}\" />\
             <updated>{at}</updated><published>{at}</published><title>{}</title></entry>",
            xml_escape(&content),
            xml_escape(title),
            at = recently().to_rfc3339(),
        ));
    }
    out + "</feed>"
}

fn article_parts(candidate: &Value) -> usize {
    candidate["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["field"] == "article")
        .count()
}

#[test]
fn aggregator_items_are_their_articles_credited_from_their_pages() {
    let pages = FeedServer::start();
    pages.route(
        "/jsonld",
        Route::page(reach_fixture("article-jsonld-object.html")),
    );
    pages.route("/og", Route::page(reach_fixture("article-opengraph.html")));
    pages.route(
        "/meta",
        Route::page(reach_fixture("article-meta-author.html")),
    );
    pages.route("/bare", Route::page(reach_fixture("article-bare.html")));
    pages.route(
        "/private/draft",
        Route::page(reach_fixture("article-bare.html")),
    );
    pages.route(
        "/robots.txt",
        Route::page("User-agent: *\nDisallow: /private/\n").header("content-type", "text/plain"),
    );
    let feeds = FeedServer::start();
    let (jsonld, og, meta, bare, disallowed) = (
        pages.url("/jsonld"),
        pages.url("/og"),
        pages.url("/meta"),
        pages.url("/bare"),
        pages.url("/private/draft"),
    );
    feeds.route(
        "/hn",
        Route::feed(hnrss(&[
            ("How a checkout went down", &jsonld, 101, "zdw"),
            ("Notes from a draft", &disallowed, 102, "zdw"),
        ])),
    );
    feeds.route(
        "/lobsters",
        Route::feed(lobsters(&[("Storms at Acme", &og, "abc123", "caius")])),
    );
    feeds.route(
        "/reddit",
        Route::feed(reddit(&[
            ("Checkout, down", Some(&meta), "1gx1def", "latency_hawk"),
            (
                "Action items after an outage",
                None,
                "1gx2abc",
                "pager_weary",
            ),
        ])),
    );
    feeds.route(
        "/blog",
        Route::feed(rss(&[Item::new(
            "b1",
            &bare,
            "A morning to forget",
            "Teaser.",
        )])),
    );
    let ws = Workspace::new(
        READ_ARTICLES,
        &[
            ("HN", &feeds.url("/hn"), None),
            ("Lobsters", &feeds.url("/lobsters"), None),
            ("r/sre", &feeds.url("/reddit"), None),
            ("Acme Blog", &feeds.url("/blog"), Some("Acme")),
        ],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(
        out.contains("articles: 4 read, 0 failed, 1 skipped"),
        "{out}"
    );
    let list = ws.json(&["shortlist", "--format", "json", "--limit", "50"]);

    // JSON-LD: the author and publisher; the submitter is nobody's author.
    let hn = by_url(&list, &jsonld);
    assert_eq!(hn["author"], "Jane Doe");
    assert_eq!(hn["org"], "Acme Engineering");
    assert_eq!(hn["feed"], "HN");
    assert_eq!(hn["via"], json!(["HN"]));
    assert_eq!(hn["also_in"], json!([]));
    assert_eq!(
        hn["discussion"],
        json!(["https://news.ycombinator.com/item?id=101"])
    );
    assert_eq!(hn["article"]["status"], "read");
    assert!(hn["article"]["words"].as_u64().unwrap() > 200, "{hn:#}");
    assert!(article_parts(hn) >= 2, "scored on the page: {hn:#}");
    assert!(
        hn["excerpt"]
            .as_str()
            .unwrap()
            .contains("On the morning of March 3rd"),
        "the page's text: {hn:#}"
    );
    // OpenGraph.
    let lob = by_url(&list, &og);
    assert_eq!(
        (lob["author"].as_str(), lob["org"].as_str()),
        (Some("Jane Doe"), Some("Acme Engineering Blog"))
    );
    assert_eq!(lob["discussion"], json!(["https://lobste.rs/s/abc123"]));
    // <meta name=author>, no site name: the host.
    let red = by_url(&list, &meta);
    assert_eq!(
        (red["author"].as_str(), red["org"].as_str()),
        (Some("Kim Poe"), Some("127.0.0.1"))
    );
    // A subscribed blog's teaser: its page read, its own org kept.
    let blog = by_url(&list, &bare);
    assert_eq!(blog["org"], "Acme");
    assert_eq!(blog["article"]["status"], "read");
    assert!(article_parts(blog) >= 1, "{blog:#}");
    // A self post stays Reddit's, credited as SRE Weekly does.
    let thread = "https://www.reddit.com/r/sre/comments/1gx2abc/slug/";
    let text_post = by_url(&list, thread);
    assert_eq!(text_post["author"], "u/pager_weary and commenters");
    assert_eq!(text_post["org"], "Reddit r/sre");
    assert_eq!(text_post["article"], Value::Null);
    for c in list.as_array().unwrap() {
        for name in ["zdw", "caius", "latency_hawk"] {
            assert!(
                !c["author"].as_str().unwrap_or("").contains(name),
                "the submitter {name} as an author: {c:#}"
            );
        }
    }

    // robots.txt disallows the draft: never requested, and explained.
    assert!(pages.seen("/private/draft").is_empty());
    let id = ws.sql_count(&format!("SELECT id FROM posts WHERE url = '{disallowed}'"));
    let explained = ws.ok(&["explain", &id.to_string()]);
    assert!(
        explained.contains("article:   not read: robots.txt"),
        "{explained}"
    );
    let json = ws.json(&["explain", &id.to_string(), "--format", "json"]);
    assert_eq!(
        json["article"],
        json!({"status": "skipped", "reason": "robots.txt", "words": 0})
    );
    let explained = ws.ok(&["explain", &hn["id"].to_string()]);
    assert!(
        explained.contains(&format!("article:   read from {jsonld}")),
        "{explained}"
    );
    assert!(explained.contains("via:       HN"), "{explained}");
    assert!(
        explained.contains("(article)") || explained.contains("in article"),
        "{explained}"
    );

    // The draft's `Author — Org` is the article's.
    ws.ok(&["pick", &hn["id"].to_string(), &text_post["id"].to_string()]);
    let draft = ws.ok(&["draft", "--allow-todo"]);
    assert!(draft.contains("Jane Doe — Acme Engineering"), "{draft}");
    assert!(
        draft.contains("u/pager\\_weary and commenters — Reddit r/sre"),
        "{draft}"
    );

    // A second poll reads no page again, nor robots.txt: nothing is due.
    let again = ws.ok(&["poll"]);
    assert!(!again.contains("articles:"), "{again}");
    for path in ["/jsonld", "/og", "/meta", "/bare", "/robots.txt"] {
        assert_eq!(pages.seen(path).len(), 1, "{path}");
    }
    let agent = pages.seen("/jsonld")[0].user_agent.clone().unwrap();
    assert!(agent.starts_with("gleaner/"), "{agent}");
}

/// The same article from a subscribed blog and from two aggregators is one candidate,
/// the blog's, with both aggregators in `via`, whichever feed is fetched first and
/// although the blog was subscribed last.
#[test]
fn one_article_from_a_blog_and_two_aggregators_is_the_blogs_candidate() {
    let pages = FeedServer::start();
    pages.route(
        "/post",
        Route::page(reach_fixture("article-jsonld-object.html")),
    );
    let article = pages.url("/post");
    let long_text: String =
        "Retries amplified the incident when every client retried at once. ".repeat(30);
    let feeds = FeedServer::start();
    feeds.route(
        "/hn",
        Route::feed(hnrss(&[(
            "How a retry storm took down our checkout",
            &format!("{article}?utm_source=hn"),
            7,
            "zdw",
        )])),
    );
    feeds.route(
        "/lobsters",
        Route::feed(lobsters(&[(
            "Retry storm at Acme",
            &article,
            "x1",
            "caius",
        )])),
    );
    let mut item = Item::new(
        "acme-1",
        &article,
        "How a retry storm took down our checkout",
        &long_text,
    );
    item.author = Some("Dana Ops");
    feeds.route("/blog", Route::feed(rss(&[item])));
    let subscriptions = [
        ("HN", feeds.url("/hn"), None),
        ("Lobsters", feeds.url("/lobsters"), None),
        ("Acme Blog", feeds.url("/blog"), Some("Acme")),
    ];
    let feeds_of = |order: &[usize]| -> Vec<(&str, &str, Option<&str>)> {
        order
            .iter()
            .map(|&i| {
                let (name, url, org) = &subscriptions[i];
                (*name, url.as_str(), *org)
            })
            .collect()
    };
    // All at once, then aggregators before the blog, then the blog first.
    let orders: [&[&str]; 3] = [
        &[],
        &["HN", "Lobsters", "Acme Blog"],
        &["Acme Blog", "Lobsters", "HN"],
    ];
    for order in orders {
        let ws = Workspace::new(READ_ARTICLES, &feeds_of(&[0, 1, 2]), RULES);
        if order.is_empty() {
            ws.ok(&["poll"]);
        } else {
            for name in order {
                ws.ok(&["poll", "--feed", name]);
            }
        }
        let list = ws.json(&["shortlist", "--format", "json"]);
        assert_eq!(list.as_array().unwrap().len(), 1, "{order:?}: {list:#}");
        let c = &list[0];
        assert_eq!(c["url"], article.as_str(), "{order:?}");
        assert_eq!(c["feed"], "Acme Blog", "{order:?}");
        assert_eq!(c["org"], "Acme", "{order:?}: a subscribed blog's org wins");
        assert_eq!(c["author"], "Dana Ops", "{order:?}: so does its author");
        assert_eq!(c["via"], json!(["HN", "Lobsters"]), "{order:?}");
        assert_eq!(c["also_in"], json!([]), "{order:?}");
        assert_eq!(c["sources"], 3, "{order:?}");
        assert_eq!(
            c["discussion"],
            json!([
                "https://news.ycombinator.com/item?id=7",
                "https://lobste.rs/s/x1"
            ]),
            "{order:?}"
        );
        assert!(
            c["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["rule"] == "sources" && r["field"] == "3 feeds"),
            "{c:#}"
        );
        // The page adds nothing to the blog's full text.
        let fields: Vec<&str> = c["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == "retries")
            .map(|r| r["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["title", "summary"], "{order:?}");
        assert!(
            c["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["field"] != "article"),
            "{c:#}"
        );
        let markdown = ws.ok(&["shortlist"]);
        assert!(markdown.contains("via: HN, Lobsters"), "{markdown}");
        assert!(
            markdown.contains(
                "discussion: [news.ycombinator.com](https://news.ycombinator.com/item?id=7)"
            ),
            "{markdown}"
        );
    }
    assert_eq!(pages.seen("/post").len(), 3, "once per workspace");
}

/// Anyone can submit a link to an aggregator: a page on a loopback address (by its IP
/// or by a name that resolves to it) is not fetched unless allowed, and neither is its
/// robots.txt. The feed itself, on loopback too, is fetched.
#[test]
fn a_loopback_article_is_skipped_without_allow_private_articles() {
    let pages = FeedServer::start();
    pages.route("/post", Route::page(reach_fixture("article-bare.html")));
    let by_ip = pages.url("/post");
    let by_name = format!("http://localhost:{}/post?by=name", pages.addr.port());
    let feeds = FeedServer::start();
    feeds.route(
        "/hn",
        Route::feed(hnrss(&[
            ("An outage, by address", &by_ip, 1, "zdw"),
            ("An outage, by name", &by_name, 2, "zdw"),
        ])),
    );
    let ws = Workspace::new(
        "fetch_articles = \"auto\"",
        &[("HN", &feeds.url("/hn"), None)],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(out.contains("1 fetched"), "{out}");
    assert!(
        out.contains("articles: 0 read, 0 failed, 2 skipped"),
        "{out}"
    );
    assert!(pages.seen("/post").is_empty());
    assert!(pages.seen("/robots.txt").is_empty());
    let list = ws.json(&["shortlist", "--format", "json"]);
    for url in [&by_ip, &by_name] {
        assert_eq!(
            by_url(&list, url)["article"],
            json!({"status": "skipped", "reason": "private address", "words": 0}),
            "{url}"
        );
    }
}

/// A huge page is read up to its cap, a slow one is cut at the deadline and tried
/// again later, one that is not HTML is skipped, and none of them fails its feed.
#[test]
fn hostile_article_pages_are_bounded_and_fail_alone() {
    let pages = FeedServer::start();
    let paragraph =
        "<p>Every client retried at once and the incident grew, so budgets and jitter matter.</p>";
    let huge = format!(
        "<html><body><article>{}</article></body></html>",
        paragraph.repeat(120_000)
    );
    assert!(huge.len() > 10 << 20);
    pages.route("/huge", Route::page(huge));
    pages.route(
        "/report.pdf",
        Route::page("%PDF-1.4 retries").header("content-type", "application/pdf"),
    );
    pages.route("/gone", Route::status(404));
    let slow = RawServer::start(Misbehaviour::Trickle);
    let slow_url = slow.url.replace("/feed", "/slow-post");
    let feeds = FeedServer::start();
    let (huge_url, pdf_url, gone_url) = (
        pages.url("/huge"),
        pages.url("/report.pdf"),
        pages.url("/gone"),
    );
    feeds.route(
        "/blog",
        Route::feed(rss(&[
            Item::new("1", &huge_url, "Huge", "An incident."),
            Item::new("2", &pdf_url, "A PDF", "An incident."),
            Item::new("3", &gone_url, "Gone", "An incident."),
            Item::new("4", &slow_url, "Slow", "An incident."),
        ])),
    );
    let ws = Workspace::new(
        &format!("{READ_ARTICLES}\nrequest_timeout_secs = 2\nmax_per_feed = 0"),
        &[("Blog", &feeds.url("/blog"), None)],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(out.contains("1 fetched, 0 not modified, 0 failed"), "{out}");
    assert!(
        out.contains("articles: 1 read, 2 failed, 1 skipped"),
        "{out}"
    );
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(by_url(&list, &huge_url)["article"]["status"], "read");
    let longest = ws.sql_count("SELECT max(length(CAST(text AS BLOB))) FROM articles");
    assert!(longest <= 64 * 1024, "{longest}");
    assert_eq!(
        by_url(&list, &pdf_url)["article"],
        json!({"status": "skipped", "reason": "not HTML (application/pdf)", "words": 0})
    );
    assert_eq!(
        by_url(&list, &gone_url)["article"],
        json!({"status": "failed", "reason": "HTTP 404 Not Found", "words": 0})
    );
    let slow_article = &by_url(&list, &slow_url)["article"];
    assert_eq!(slow_article["status"], "failed");
    assert!(
        slow_article["reason"]
            .as_str()
            .unwrap()
            .contains("no complete answer within 2s"),
        "{slow_article}"
    );
    let id = by_url(&list, &gone_url)["id"].to_string();
    let explained = ws.ok(&["explain", &id]);
    assert!(
        explained.contains("not read: HTTP 404 Not Found (attempt 1 of 4; tried again from"),
        "{explained}"
    );
    // Their next tries are minutes away: the next poll fetches none of them.
    ws.ok(&["poll"]);
    assert_eq!(pages.seen("/gone").len(), 1);
    assert_eq!(pages.seen("/huge").len(), 1);
    assert_eq!(pages.seen("/report.pdf").len(), 1);
}

/// `auto` reads a short entry's page and not a long one's; `article_budget` bounds a
/// poll, the rest waiting for the next; a feed's `fetch_articles` overrides.
#[test]
fn short_entries_are_read_within_the_budget() {
    let pages = FeedServer::start();
    for path in ["/a", "/b", "/c", "/long", "/quiet"] {
        pages.route(path, Route::page(reach_fixture("article-bare.html")));
    }
    let long_text = "words ".repeat(200);
    let feeds = FeedServer::start();
    let mut items = Vec::new();
    let urls: Vec<String> = ["/a", "/b", "/c", "/long"]
        .iter()
        .map(|p| pages.url(p))
        .collect();
    for (i, url) in urls.iter().enumerate() {
        let text = if i == 3 {
            long_text.as_str()
        } else {
            "A teaser."
        };
        items.push(Item::new(
            &url[url.len() - 2..],
            url,
            "A morning to forget",
            text,
        ));
    }
    feeds.route("/blog", Route::feed(rss(&items)));
    let quiet = pages.url("/quiet");
    feeds.route(
        "/quiet",
        Route::feed(rss(&[Item::new(
            "q",
            &quiet,
            "Another morning",
            "A teaser.",
        )])),
    );
    let ws = Workspace::new(
        &format!("{READ_ARTICLES}\narticle_budget = 2"),
        &[
            ("Blog", &feeds.url("/blog"), None),
            ("Quiet", &feeds.url("/quiet"), None),
        ],
        RULES,
    );
    let mut config = std::fs::read_to_string(ws.config()).unwrap();
    config = config.replace(
        &format!("url = \"{}\"\n", feeds.url("/quiet")),
        &format!(
            "url = \"{}\"\nfetch_articles = \"never\"\n",
            feeds.url("/quiet")
        ),
    );
    std::fs::write(ws.config(), config).unwrap();

    let first = ws.ok(&["poll"]);
    assert!(
        first.contains(
            "articles: 2 read, 0 failed, 0 skipped; more wait for the next poll (article_budget)"
        ),
        "{first}"
    );
    let waiting = ws.sql_count("SELECT count(*) FROM articles WHERE status = 'pending'");
    assert_eq!(waiting, 1);
    let id = ws.sql_count("SELECT post_id FROM articles WHERE status = 'pending'");
    let explained = ws.ok(&["explain", &id.to_string()]);
    assert!(explained.contains("not read yet: budget"), "{explained}");
    let second = ws.ok(&["poll"]);
    assert!(
        second.contains("articles: 1 read, 0 failed, 0 skipped\n"),
        "{second}"
    );
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM articles WHERE status = 'read'"),
        3
    );
    assert!(pages.seen("/long").is_empty(), "enough words in the feed");
    assert!(pages.seen("/quiet").is_empty(), "fetch_articles = never");

    // An edited entry is scored again with the page it already has, never refetched.
    items[0].title = "A morning to forget, revised";
    feeds.route("/blog", Route::feed(rss(&items)));
    let edited = ws.ok(&["poll"]);
    assert!(edited.contains("0 new, 1 updated"), "{edited}");
    let id = ws.sql_count(&format!("SELECT id FROM posts WHERE url = '{}'", urls[0]));
    let post = ws.json(&["explain", &id.to_string(), "--format", "json"]);
    assert_eq!(post["title"], "A morning to forget, revised");
    assert!(article_parts(&post) >= 1, "{post:#}");
    assert_eq!(pages.seen("/a").len(), 1);
}

/// The daemon reads a poll's articles before the poll ends, and counts them.
#[test]
fn the_daemon_reads_articles_and_counts_them() {
    let pages = FeedServer::start();
    pages.route(
        "/post",
        Route::page(reach_fixture("article-opengraph.html")),
    );
    let feeds = FeedServer::start();
    feeds.route(
        "/hn",
        Route::feed(hnrss(&[("Storms", &pages.url("/post"), 5, "zdw")])),
    );
    let ws = Workspace::new(READ_ARTICLES, &[("HN", &feeds.url("/hn"), None)], RULES);
    let (_daemon, addr) = Daemon::start_polled(&ws);
    let (status, metrics) = http_get(&addr, "/metrics", &[]);
    assert_eq!(status, 200);
    assert!(
        metrics.contains("gleaner_article_fetches_total{result=\"read\"} 1"),
        "{metrics}"
    );
    assert_eq!(pages.seen("/post").len(), 1);
}
