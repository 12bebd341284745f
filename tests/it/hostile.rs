//! Servers that misbehave on purpose. Each case ends with a clear per-feed status and
//! leaves the other feeds alone.

use crate::util::{
    FeedServer, Item, Misbehaviour, RULES, RawServer, Route, Workspace, brotli_bomb, feed,
    gzip_bomb, now, rss, secs_from, secs_until,
};

fn good_feed(server: &FeedServer) -> String {
    server.route(
        "/good",
        Route::feed(rss(&[Item::new(
            "1",
            "https://blog.example/1",
            "Incident review",
            "",
        )])),
    );
    server.url("/good")
}

#[test]
fn silent_trickling_and_endless_servers_are_cut_off() {
    let server = FeedServer::start();
    let silent = RawServer::start(Misbehaviour::Silent);
    let trickle = RawServer::start(Misbehaviour::Trickle);
    let endless = RawServer::start(Misbehaviour::Endless);
    let ws = Workspace::new(
        "request_timeout_secs = 2\nmax_body_bytes = 1048576",
        &[
            ("Good", &good_feed(&server), None),
            ("Silent", &silent.url, None),
            ("Trickle", &trickle.url, None),
            ("Endless", &endless.url, None),
        ],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(out.contains("1 fetched, 0 not modified, 3 failed"), "{out}");
    assert!(
        out.contains("Silent: no complete answer within 2s (request_timeout_secs)"),
        "{out}"
    );
    assert!(
        out.contains("Trickle: no complete answer within 2s (request_timeout_secs)"),
        "{out}"
    );
    assert!(
        out.contains("Endless: body larger than the 1024 KiB cap"),
        "{out}"
    );
}

#[test]
fn compression_bombs_stop_at_the_decompressed_cap() {
    let server = FeedServer::start();
    let size = 64 << 20;
    server.route(
        "/gzip",
        Route::feed(gzip_bomb(size)).header("content-encoding", "gzip"),
    );
    server.route(
        "/br",
        Route::feed(brotli_bomb(size)).header("content-encoding", "br"),
    );
    let ws = Workspace::new(
        "max_body_bytes = 1048576",
        &[
            ("Good", &good_feed(&server), None),
            ("Gzip", &server.url("/gzip"), None),
            ("Brotli", &server.url("/br"), None),
        ],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(
        out.contains("Gzip: body larger than the 1024 KiB cap"),
        "{out}"
    );
    assert!(
        out.contains("Brotli: body larger than the 1024 KiB cap"),
        "{out}"
    );
    assert!(out.contains("1 fetched"), "{out}");
}

#[test]
fn retry_after_is_honoured_in_seconds_and_http_date_forms() {
    let server = FeedServer::start();
    let in_three_hours = (crate::util::now() + chrono::Duration::hours(3))
        .to_rfc2822()
        .replace("+0000", "GMT");
    server.route("/429", Route::status(429).header("retry-after", "7200"));
    server.route(
        "/month",
        Route::status(503).header("retry-after", "2592000"),
    );
    server.route(
        "/503",
        Route::status(503).header("retry-after", &in_three_hours),
    );
    let ws = Workspace::new(
        "max_backoff_secs = 36000",
        &[
            ("Good", &good_feed(&server), None),
            ("Limited", &server.url("/429"), None),
            ("Down", &server.url("/503"), None),
            ("Month", &server.url("/month"), None),
        ],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(out.contains("Limited: HTTP 429 Too Many Requests"), "{out}");
    assert!(out.contains("Down: HTTP 503 Service Unavailable"), "{out}");
    let feeds = ws.json(&["feeds", "--format", "json"]);
    assert!(secs_until(&feed(&feeds, "Limited")["next_poll"]) >= 7200 - 60);
    assert!(secs_until(&feed(&feeds, "Down")["next_poll"]) >= 3 * 3600 - 60);
    // A month's Retry-After is held to max_backoff_secs: the feed is tried again within it.
    let month = secs_until(&feed(&feeds, "Month")["next_poll"]);
    assert!((36000 - 60..=36000).contains(&month), "{month}");
    let again = ws.ok(&["poll"]);
    assert!(again.contains("3 waiting"), "{again}");
    assert_eq!(
        server.seen("/429").len(),
        1,
        "a rate-limited feed is not asked again early"
    );
}

#[test]
fn repeated_failures_back_off_exponentially_and_success_resets() {
    let server = FeedServer::start();
    server.route("/flaky", Route::status(500));
    // Polls every second, so the next poll shown is the backoff itself, not the next
    // half-hour slot after it.
    let ws = Workspace::new(
        "poll_schedule = \"* * * * * *\"",
        &[("Flaky", &server.url("/flaky"), None)],
        RULES,
    );
    let mut waits = Vec::new();
    for _ in 0..4 {
        let before = now();
        ws.ok(&["poll", "--force"]);
        let polled_in = (now() - before).num_seconds() + 1;
        let feeds = ws.json(&["feeds", "--format", "json"]);
        waits.push((
            secs_from(before, &feed(&feeds, "Flaky")["next_poll"]),
            polled_in,
        ));
    }
    // 5, 10, 20, 40 minutes, each ±20% jitter.
    for (i, &(wait, polled_in)) in waits.iter().enumerate() {
        let base = 300 * (1 << i);
        assert!(
            wait >= base * 8 / 10 && wait <= base * 12 / 10 + polled_in,
            "retry {i}: {wait}s ({waits:?})"
        );
    }
    assert_eq!(
        feed(&ws.json(&["feeds", "--format", "json"]), "Flaky")["consecutive_failures"],
        4
    );

    server.route(
        "/flaky",
        Route::feed(rss(&[Item::new(
            "1",
            "https://blog.example/1",
            "Outage",
            "",
        )])),
    );
    ws.ok(&["poll", "--force"]);
    let feeds = ws.json(&["feeds", "--format", "json"]);
    assert_eq!(feed(&feeds, "Flaky")["consecutive_failures"], 0);
    assert_eq!(feed(&feeds, "Flaky")["status"], "ok");
    assert!(
        secs_until(&feed(&feeds, "Flaky")["next_poll"]) <= 2,
        "back on the normal schedule"
    );
}

#[test]
fn cache_control_max_age_is_a_floor_when_respected() {
    let server = FeedServer::start();
    let body = rss(&[Item::new("1", "https://blog.example/1", "Outage", "")]);
    server.route(
        "/cached",
        Route::feed(body).header("cache-control", "public, max-age=7200"),
    );
    let ws = Workspace::new("", &[("Cached", &server.url("/cached"), None)], RULES);
    ws.ok(&["poll"]);
    assert!(
        secs_until(&feed(&ws.json(&["feeds", "--format", "json"]), "Cached")["next_poll"])
            >= 7200 - 60
    );
    assert!(ws.ok(&["poll"]).contains("1 waiting"));
    assert_eq!(server.seen("/cached").len(), 1);

    let ignoring = Workspace::new(
        "respect_cache_control = false",
        &[("Cached", &server.url("/cached"), None)],
        RULES,
    );
    ignoring.ok(&["poll"]);
    ignoring.ok(&["poll"]);
    assert_eq!(server.seen("/cached").len(), 3);
}

#[test]
fn empty_bodies_and_mislabelled_charsets() {
    // March 2026 is in the past whatever the machine's clock says.
    crate::util::set_now(crate::util::instant("2026-11-25T12:00:00Z"));
    let server = FeedServer::start();
    server.route("/empty", Route::feed(""));
    let utf8 = rss(&[Item::new(
        "1",
        "https://blog.example/1",
        "Café outage — résumé",
        "",
    )]);
    server.route(
        "/mislabelled",
        Route::feed(utf8).header("content-type", "application/rss+xml; charset=iso-8859-1"),
    );
    let mut latin1 = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><item><guid>2</guid><link>https://blog.example/2</link><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate><title>Caf".to_vec();
    latin1.extend_from_slice(&[0xE9, b' ']);
    latin1.extend_from_slice(b"incident</title></item></channel></rss>");
    server.route(
        "/latin1",
        Route::feed(latin1).header("content-type", "text/xml; charset=ISO-8859-1"),
    );
    let ws = Workspace::new(
        "",
        &[
            ("Empty", &server.url("/empty"), None),
            ("Mislabelled", &server.url("/mislabelled"), None),
            ("Latin1", &server.url("/latin1"), None),
        ],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(out.contains("Empty: the response body is empty"), "{out}");
    let list = ws.json(&["shortlist", "--format", "json"]);
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Café outage — résumé"]);
    let latin1 = ws.json(&["shortlist", "--week", "2026-W10", "--format", "json"]);
    assert_eq!(latin1[0]["title"], "Café incident");
}

#[test]
fn a_feed_that_changes_every_guid_makes_no_duplicates() {
    let server = FeedServer::start();
    let ws = Workspace::new("", &[("Churn", &server.url("/churn"), None)], RULES);
    for poll in 0..3 {
        let guids: Vec<String> = (0..3).map(|i| format!("random-{poll}-{i}")).collect();
        let links = [
            "https://blog.example/a",
            "https://blog.example/b",
            "https://blog.example/c",
        ];
        let items: Vec<Item> = (0..3)
            .map(|i| Item::new(&guids[i], links[i], "Outage", ""))
            .collect();
        server.route("/churn", Route::feed(rss(&items)));
        ws.ok(&["poll"]);
    }
    assert_eq!(ws.sql_count("SELECT count(*) FROM posts"), 3);
    assert_eq!(
        ws.json(&["shortlist", "--format", "json"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_feed_whose_every_entry_is_the_same_post_is_one_candidate() {
    let server = FeedServer::start();
    let items: Vec<Item> = (0..5)
        .map(|_| Item {
            guid: None,
            ..Item::new("", "https://blog.example/same?utm_source=x", "Outage", "")
        })
        .collect();
    server.route("/same", Route::feed(rss(&items)));
    let ws = Workspace::new("", &[("Same", &server.url("/same"), None)], RULES);
    let out = ws.ok(&["poll"]);
    assert!(out.contains("entries: 1 new"), "{out}");
    assert_eq!(
        ws.json(&["shortlist", "--format", "json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn entity_expansion_attacks_are_inert() {
    let server = FeedServer::start();
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<rss version="2.0"><channel><item><guid>1</guid><link>https://blog.example/lol</link><title>Outage &lol9;</title></item></channel></rss>"#;
    let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><guid>2</guid><link>https://blog.example/xxe</link><title>Incident &xxe;</title></item></channel></rss>"#;
    server.route("/laughs", Route::feed(laughs));
    server.route("/xxe", Route::feed(xxe));
    let ws = Workspace::new(
        "",
        &[
            ("Laughs", &server.url("/laughs"), None),
            ("Xxe", &server.url("/xxe"), None),
        ],
        RULES,
    );
    // Both documents are read (their entries stored), with the entities left alone.
    let out = ws.ok(&["poll"]);
    assert!(
        out.contains("polled 2 feeds: 2 fetched, 0 not modified, 0 failed"),
        "{out}"
    );
    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    let mut stored = conn
        .prepare(
            "SELECT url, title || ' ' || summary || ' ' || content FROM posts JOIN post_texts ON post_id = id ORDER BY url",
        )
        .unwrap();
    let posts: Vec<(String, String)> = stored
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    let (laughs, xxe) = (&posts[0], &posts[1]);
    assert_eq!(laughs.0, "https://blog.example/lol");
    assert!(
        laughs.1.starts_with("Outage") && laughs.1.len() < 100,
        "an entity was expanded: {} chars",
        laughs.1.len()
    );
    assert_eq!(xxe.0, "https://blog.example/xxe");
    assert!(xxe.1.starts_with("Incident"), "{xxe:?}");
    assert!(
        !xxe.1.contains("root:"),
        "an external entity was read: {xxe:?}"
    );
}

/// A TLS error (here: an https URL whose server speaks plain HTTP) is recorded on the
/// feed with the reason and retried with backoff; the other feeds are polled.
#[test]
fn a_tls_error_is_recorded_and_retried_with_backoff() {
    let server = FeedServer::start();
    let not_tls = format!("https://{}/good", server.addr);
    // Polls every second, so the next poll shown is the backoff, not the next slot.
    let ws = Workspace::new(
        "poll_schedule = \"* * * * * *\"",
        &[("Good", &good_feed(&server), None), ("Tls", &not_tls, None)],
        RULES,
    );
    let before = now();
    let out = ws.ok(&["poll"]);
    let polled_in = (now() - before).num_seconds() + 1;
    assert!(out.contains("1 fetched, 0 not modified, 1 failed"), "{out}");
    let feeds = ws.json(&["feeds", "--format", "json"]);
    let tls = feed(&feeds, "Tls");
    assert_eq!(tls["status"], "error");
    assert_eq!(tls["consecutive_failures"], 1);
    let error = tls["error"].as_str().unwrap();
    assert!(error.contains("cannot connect to 127.0.0.1"), "{error}");
    let wait = secs_from(before, &tls["next_poll"]);
    assert!(
        (240..=360 + polled_in).contains(&wait),
        "retried in 5 minutes ±20%: {wait}s"
    );
    assert!(ws.ok(&["poll"]).contains("1 waiting"));
}

/// A feed sent deflate-compressed (HTTP's `deflate`: zlib) is read like any other.
#[test]
fn a_deflate_encoded_feed_is_read() {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(
        rss(&[Item::new(
            "1",
            "https://blog.example/1",
            "Deflated outage",
            "",
        )])
        .as_bytes(),
    )
    .unwrap();
    let (_server, ws) =
        Workspace::polled(Route::feed(z.finish().unwrap()).header("content-encoding", "deflate"));
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(list[0]["title"], "Deflated outage", "{list:#}");
}
