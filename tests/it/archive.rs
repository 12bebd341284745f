//! `gleaner archive`: a newsletter's past issues, read from its WordPress feed page
//! after page, become the editor's picks of the weeks they cover.

use serde_json::Value;

use crate::util::{FeedServer, Item, RULES, Route, Workspace, instant, rss, set_now};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/it/fixtures/archive")
            .join(name),
    )
    .unwrap()
}

/// The second page of the newsletter's feed: issue #410 of Monday 1 June 2026.
fn page_two() -> String {
    r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Reliability Weekly</title><link>https://weekly.example</link>
<item><title>Reliability Weekly Issue #410</title><link>https://weekly.example/reliability-weekly-issue-410/</link>
<pubDate>Mon, 01 Jun 2026 01:00:00 +0000</pubDate><guid isPermaLink="false">https://weekly.example/?p=3400</guid>
<content:encoded><![CDATA[
<div class="sreweekly-entry"><div class="sreweekly-title"><a href="https://blog.queueworks.example/posts/backpressure">Backpressure in practice</a></div>
<div class="sreweekly-description"><p>Queues that say no early.</p><p><small>Dana Whitfield &#8212; Queueworks</small></p></div></div>
<div class="sreweekly-entry"><div class="sreweekly-title"><a href="https://oncall.example/handoffs">Handoffs that hold</a></div>
<div class="sreweekly-description"><p>Shift changes without dropped pages.</p><p><small>Ida Berg</small></p></div></div>
]]></content:encoded></item></channel></rss>"#
        .to_owned()
}

/// Queueworks' blog: two posts the newsletter linked and four it passed over, in the
/// weeks its issues covered.
fn blog(server: &FeedServer) -> String {
    let posts = [
        (
            "rs",
            "/posts/retry-storms",
            "Retry storms, and how we learned to stop them",
            "2026-06-10T09:00:00Z",
        ),
        (
            "rs2",
            "/posts/retry-storms-part-two",
            "Retry storms, part two",
            "2026-06-03T09:00:00Z",
        ),
        (
            "a",
            "/posts/launch",
            "Announcing our new dashboard",
            "2026-06-09T09:00:00Z",
        ),
        (
            "b",
            "/posts/webinar",
            "Join our webinar on queues",
            "2026-06-11T09:00:00Z",
        ),
        (
            "c",
            "/posts/hiring",
            "We are hiring engineers",
            "2026-06-04T09:00:00Z",
        ),
        (
            "d",
            "/posts/pricing",
            "New pricing for teams",
            "2026-05-27T09:00:00Z",
        ),
    ];
    let links: Vec<String> = posts
        .iter()
        .map(|(_, path, _, _)| format!("https://blog.queueworks.example{path}"))
        .collect();
    let items: Vec<Item<'_>> = posts
        .iter()
        .zip(&links)
        .map(|((guid, _, title, at), link)| {
            let mut item = Item::new(guid, link, title, "About queues and retries.");
            item.published = Some(instant(at).to_rfc2822());
            item
        })
        .collect();
    server.route("/blog", Route::feed(rss(&items)));
    server.url("/blog")
}

#[test]
fn an_archive_becomes_picks_once_and_turns_the_learned_part_on() {
    set_now(instant("2026-06-20T12:00:00Z"));
    let server = FeedServer::start();
    server.route("/feed/", Route::feed(fixture("wordpress-feed.xml")));
    server.route("/feed/?paged=2", Route::feed(page_two()));
    let blog = blog(&server);
    let ws = Workspace::new(
        "",
        &[("Queueworks", &blog, Some("Queueworks"))],
        &format!("{RULES}\n[learning]\nmin_each = 3\n"),
    );
    ws.ok(&["poll"]);

    let feed = server.url("/feed/");
    let issues = ws.json(&["archive", &feed, "--format", "json"]);
    let issues = issues.as_array().unwrap();
    let titles: Vec<&str> = issues
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Reliability Weekly Issue #412",
            "Reliability Weekly Issue #411",
            "Taking a week off",
            "Reliability Weekly Issue #410"
        ],
        "both pages read, in order"
    );
    let latest = &issues[0];
    assert_eq!(latest["week"], "2026-W24");
    assert_eq!(latest["published"], "2026-06-15T01:12:38Z");
    let first: &Value = &latest["links"][0];
    assert_eq!(
        first["url"],
        "https://blog.queueworks.example/posts/retry-storms"
    );
    assert_eq!(first["author"], "Dana Whitfield");
    assert_eq!(first["org"], "Queueworks");
    let authors: Vec<&str> = latest["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["author"].as_str())
        .collect();
    assert!(
        authors.contains(&"Ana Souza, Bo Lin, Chidi Okafor, and Dee Park"),
        "{authors:?}"
    );
    assert!(
        authors.contains(&"u/pager_fatigue and commenters"),
        "{authors:?}"
    );
    // Sponsor boxes, the newsletter's own pages and javascript: links are no picks.
    let urls: Vec<&str> = issues
        .iter()
        .flat_map(|i| i["links"].as_array().unwrap())
        .map(|l| l["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 11, "{urls:#?}");
    assert!(
        urls.iter().all(|u| u.starts_with("https://")
            && !u.contains("weekly.example")
            && !u.contains("pagerly")),
        "{urls:#?}"
    );

    // Two links are posts gleaner read (the picks land on them); nine are new to it.
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM decisions WHERE origin = 'archive'"),
        11
    );
    assert_eq!(
        ws.sql_count(
            "SELECT count(*) FROM decisions d JOIN posts p ON p.id = d.post_id JOIN feeds f ON f.id = p.feed_id
             WHERE d.origin = 'archive' AND f.name = 'Queueworks'"
        ),
        2
    );

    // Again: nothing is added, and the learned part is on from the archive alone.
    let again = ws.ok(&["archive", &feed]);
    assert!(again.contains("recorded 0 picks"), "{again}");
    assert!(again.contains("11 already recorded"), "{again}");
    assert!(
        again.contains("4 posts of those weeks were passed over"),
        "{again}"
    );
    assert!(
        again.contains("learned part: active: trained on 11 picked and 4 rejected"),
        "{again}"
    );
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM decisions WHERE origin = 'archive'"),
        11
    );

    // The archive's weeks are weeks of decisions to measure the ranking on.
    let split = ws.json(&[
        "backtest",
        "--decisions",
        "--test-weeks",
        "1",
        "--format",
        "json",
    ]);
    assert!(split.to_string().contains("2026-W24"), "{split:#}");

    // Archive picks are history: no queue shows them and no draft lists them.
    let (code, _, _) = ws.run(&["draft", "--week", "2026-W24"]);
    assert_eq!(code, 1, "nothing picked by the editor that week");
    let queue = ws
        .run(&["queue", "--week", "2026-W24", "--format", "json"])
        .1;
    assert!(!queue.contains("retry-storms"), "{queue}");
}

#[test]
fn issues_kept_as_files_are_read_with_their_dates() {
    set_now(instant("2026-06-20T12:00:00Z"));
    let ws = Workspace::new("", &[], RULES);
    let folder = ws.path().join("issues");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("2026-06-14-issue-412.md"), fixture("draft.md")).unwrap();
    std::fs::write(folder.join("notes.txt"), "not an issue").unwrap();
    let issues = ws.json(&["archive", folder.to_str().unwrap(), "--format", "json"]);
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0]["week"], "2026-W24");
    assert!(!issues[0]["links"].as_array().unwrap().is_empty());

    // `--issues N` takes the newest N by the dates in the names, whatever the names'
    // order; a file without one is read but dated by nothing (not when it was written).
    std::fs::write(folder.join("2026-05-03-issue-406.md"), fixture("draft.md")).unwrap();
    std::fs::write(folder.join("0-undated.md"), fixture("draft.md")).unwrap();
    let weeks = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = vec!["archive", folder.to_str().unwrap(), "--format", "json"];
        all.extend_from_slice(args);
        let issues = ws.json(&all);
        issues
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["week"].clone())
            .collect()
    };
    assert_eq!(weeks(&["--issues", "1"]), [serde_json::json!("2026-W24")]);
    assert_eq!(
        weeks(&[]),
        [
            serde_json::json!("2026-W24"),
            serde_json::json!("2026-W18"),
            serde_json::Value::Null
        ]
    );
}

/// A newsletter feed whose one issue links two posts of site `b` and one of site `c`.
fn issue_linking(b: &FeedServer, c: &FeedServer) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Weekly</title><link>https://weekly.example</link>
<item><title>Issue 1</title><link>https://weekly.example/issue-1/</link><pubDate>Mon, 15 Jun 2026 01:00:00 +0000</pubDate>
<content:encoded><![CDATA[
<div class="sreweekly-entry"><div class="sreweekly-title"><a href="{b1}">One</a></div><div class="sreweekly-description"><p>A.</p><p><small>Ann</small></p></div></div>
<div class="sreweekly-entry"><div class="sreweekly-title"><a href="{b2}">Two</a></div><div class="sreweekly-description"><p>B.</p><p><small>Ann</small></p></div></div>
<div class="sreweekly-entry"><div class="sreweekly-title"><a href="{c1}">Three</a></div><div class="sreweekly-description"><p>C.</p><p><small>Cy</small></p></div></div>
]]></content:encoded></item></channel></rss>"#,
        b1 = b.url("/posts/one"),
        b2 = b.url("/posts/two"),
        c1 = c.url("/three"),
    )
}

/// Sites the archive linked and the editor does not subscribe to are suggested, most
/// linked first, with the feed their pages link (found once, then cached); a site whose
/// page leads to no feed has no command; a dismissed one is not suggested again; a
/// subscribed one never is. Discovery keeps off private addresses unless allowed: the
/// links are strangers'.
#[test]
fn sources_suggests_the_sites_an_archive_linked_with_their_feeds() {
    set_now(instant("2026-06-20T12:00:00Z"));
    let (newsletter, b, c, blog) = (
        FeedServer::start(),
        FeedServer::start(),
        FeedServer::start(),
        FeedServer::start(),
    );
    newsletter.route("/feed/", Route::feed(issue_linking(&b, &c)));
    b.route(
        "/",
        Route::feed("<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed.xml\"></head></html>")
            .header("content-type", "text/html"),
    );
    b.route(
        "/feed.xml",
        Route::feed(rss(&[Item::new("1", "https://x.example/1", "A post", "")])),
    );
    blog.route(
        "/feed",
        Route::feed(rss(&[Item::new("1", &blog.url("/p/1"), "Ours", "")])),
    );
    let blog_feed = blog.url("/feed");
    let feeds = [("Blog", blog_feed.as_str(), None)];

    // By default every linked site here is on a private address: none is fetched.
    let private = Workspace::new("", &feeds, RULES);
    private.ok(&["archive", &newsletter.url("/feed/")]);
    let refused = private.json(&["sources", "--format", "json"]);
    assert_eq!(refused[0]["site"], b.addr.to_string(), "{refused:#}");
    assert!(refused[0]["feed_url"].is_null(), "{refused:#}");
    assert_eq!(
        refused[0]["subscribe"],
        format!("gleaner add {}", b.url("/")),
        "not looked at: `add`, the editor's own request, may look"
    );
    assert!(
        b.seen("/").is_empty() && c.seen("/").is_empty(),
        "nothing fetched"
    );

    let ws = Workspace::new("allow_private_articles = true", &feeds, RULES);
    ws.ok(&["poll"]);
    ws.ok(&["archive", &newsletter.url("/feed/")]);

    let sources = ws.json(&["sources", "--format", "json"]);
    let site = |s: &FeedServer| s.addr.to_string();
    assert_eq!(sources.as_array().unwrap().len(), 2, "{sources:#}");
    assert_eq!(sources[0]["site"], site(&b));
    assert_eq!(sources[0]["linked"], 2);
    assert_eq!(sources[0]["picked"], 2);
    assert_eq!(sources[0]["seen_via"], serde_json::json!(["archive"]));
    assert_eq!(sources[0]["feed_url"], b.url("/feed.xml"));
    assert_eq!(
        sources[0]["subscribe"],
        format!("gleaner add {}", b.url("/feed.xml"))
    );
    assert_eq!(sources[1]["site"], site(&c));
    assert!(sources[1]["feed_url"].is_null(), "{sources:#}");
    assert!(
        sources[1]["subscribe"].is_null(),
        "its page answered 404: `gleaner add` would fail. {sources:#}"
    );
    let table = ws.ok(&["sources"]);
    assert!(
        table.contains("no feed found at") && table.contains("--page"),
        "{table}"
    );

    ws.ok(&["sources", "dismiss", &site(&c)]);
    let again = ws.json(&["sources", "--format", "json"]);
    assert_eq!(again.as_array().unwrap().len(), 1, "{again:#}");
    assert_eq!(b.seen("/").len(), 1, "discovery is cached");

    // The review page suggests the top few too.
    let (_daemon, addr) = crate::util::Daemon::start_polled(&ws);
    let (status, page) = crate::util::http_get(&addr, "/", &[]);
    assert_eq!(status, 200, "{page}");
    let section = &page[page
        .find("Sites to subscribe to")
        .expect("the sources section")..];
    assert!(section.contains(&site(&b)), "{section}");
    assert!(
        section.contains(&format!("gleaner add {}", b.url("/feed.xml"))),
        "{section}"
    );
    assert!(!section.contains(&site(&c)), "dismissed: {section}");
}

/// The `gleaner sources` → `gleaner add` workflow: a blog subscribed after an archive
/// linked its post owns that post (its feed, its text), the archive's pick staying on
/// it; the archive's credit line gives the post its org. A linked site that cannot be
/// reached is asked again next time rather than remembered as feedless.
#[test]
fn a_blog_subscribed_after_the_archive_owns_the_posts_it_linked() {
    set_now(instant("2026-06-20T12:00:00Z"));
    let (newsletter, b) = (FeedServer::start(), FeedServer::start());
    // Never reachable (RFC 6761), whatever else runs on this machine meanwhile.
    let down = "down.invalid";
    let post = b.url("/posts/one");
    newsletter.route(
        "/feed/",
        Route::feed(format!(
            r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Weekly</title><link>https://weekly.example</link>
<item><title>Issue 1</title><link>https://weekly.example/issue-1/</link><pubDate>Mon, 15 Jun 2026 01:00:00 +0000</pubDate>
<content:encoded><![CDATA[
<div class="sreweekly-entry"><div class="sreweekly-title"><a href="{post}">One</a></div><div class="sreweekly-description"><p>A.</p><p><small>Ann Lee &#8212; B Corp</small></p></div></div>
<div class="sreweekly-entry"><div class="sreweekly-title"><a href="http://{down}/x">Gone</a></div><div class="sreweekly-description"><p>C.</p><p><small>Cy Young</small></p></div></div>
]]></content:encoded></item></channel></rss>"#
        )),
    );
    let ws = Workspace::new("allow_private_articles = true", &[], RULES);
    ws.ok(&["archive", &newsletter.url("/feed/")]);
    let id = ws.post_id("One").to_string();
    let explained = ws.json(&["explain", &id, "--format", "json"]);
    assert_eq!(explained["author"], "Ann Lee", "{explained:#}");
    assert_eq!(explained["org"], "B Corp", "{explained:#}");

    let sources = ws.json(&["sources", "--format", "json"]);
    let unreachable = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site"] == down)
        .expect("the unreachable site is suggested");
    assert!(unreachable["feed_url"].is_null(), "{sources:#}");
    assert_eq!(
        ws.sql_count(&format!(
            "SELECT count(*) FROM sources WHERE site = '{down}' AND checked_at IS NOT NULL"
        )),
        0,
        "not remembered as feedless"
    );

    let mut item = Item::new("1", &post, "One: the whole story", "The full text.");
    item.published = Some(instant("2026-06-10T09:00:00Z").to_rfc2822());
    b.route("/feed.xml", Route::feed(rss(&[item])));
    ws.ok(&["add", &b.url("/feed.xml"), "--name", "B"]);
    ws.ok(&["poll"]);
    let explained = ws.json(&["explain", &id, "--format", "json"]);
    assert_eq!(explained["feed"], "B", "{explained:#}");
    assert_eq!(explained["title"], "One: the whole story", "{explained:#}");
    assert_eq!(explained["decision"], "picked", "{explained:#}");
    let sites = ws.json(&["sources", "--format", "json"]);
    assert!(
        sites
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["site"] != b.addr.to_string()),
        "subscribed now: {sites:#}"
    );
}
