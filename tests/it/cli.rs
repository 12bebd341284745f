//! The CLI and daemon, driven as a user drives them.

use crate::util::{Daemon, FeedServer, Item, RULES, Route, Workspace, http_get, rss};
use serde_json::Value;

fn titles(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn conditional_get_sends_validators_and_a_304_changes_nothing() {
    let server = FeedServer::start();
    let body = rss(&[Item::new(
        "a1",
        "https://blog.example/a1",
        "Our outage on Tuesday",
        "An incident.",
    )]);
    server.route(
        "/feed",
        Route::feed(body).with_validators("\"v1\"", "Mon, 23 Nov 2026 10:00:00 GMT"),
    );
    let ws = Workspace::new("", &[("A", &server.url("/feed"), None)], RULES);

    let first = ws.ok(&["poll"]);
    assert!(
        first.contains("1 fetched, 0 not modified, 0 failed"),
        "{first}"
    );
    assert!(first.contains("entries: 1 new, 0 updated"), "{first}");
    let second = ws.ok(&["poll"]);
    assert!(second.contains("0 fetched, 1 not modified"), "{second}");
    assert!(second.contains("entries: 0 new, 0 updated"), "{second}");

    let seen = server.seen("/feed");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].if_none_match, None);
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(
        seen[1].if_modified_since.as_deref(),
        Some("Mon, 23 Nov 2026 10:00:00 GMT")
    );
    assert_eq!(seen[1].status, 304);
    let ua = seen[0].user_agent.clone().unwrap();
    assert!(
        ua.starts_with(&format!("gleaner/{}", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );
    assert_eq!(ws.sql_count("SELECT count(*) FROM posts"), 1);

    let feeds = ws.json(&["feeds", "--format", "json"]);
    assert_eq!(feeds[0]["status"], "not_modified");
    assert_eq!(feeds[0]["http_status"], 304);
    assert_eq!(feeds[0]["entries"], 1);
}

#[test]
fn dedupe_across_polls_feeds_and_guid_changes() {
    let server = FeedServer::start();
    let post = "https://blog.example/post-1";
    server.route(
        "/a",
        Route::feed(rss(&[Item::new(
            "g1",
            post,
            "Retry storms",
            "How retries hurt",
        )])),
    );
    server.route(
        "/b",
        Route::feed(rss(&[Item::new(
            "other-guid",
            post,
            "Retry storms (syndicated)",
            "copy",
        )])),
    );
    let ws = Workspace::new(
        "",
        &[
            ("A", &server.url("/a"), Some("Org A")),
            ("B", &server.url("/b"), None),
        ],
        RULES,
    );
    ws.ok(&["poll"]);
    let first_seen = ws.json(&["shortlist", "--format", "json"])[0]["first_seen"].clone();

    // Same post again, then with an edited title, then with a new GUID.
    ws.ok(&["poll"]);
    server.route(
        "/a",
        Route::feed(rss(&[Item::new(
            "g1",
            post,
            "Retry storms, revisited",
            "How retries hurt",
        )])),
    );
    let updated = ws.ok(&["poll"]);
    assert!(updated.contains("0 new, 1 updated"), "{updated}");
    server.route(
        "/a",
        Route::feed(rss(&[Item::new(
            "g1-renamed",
            post,
            "Retry storms, revisited",
            "How retries hurt",
        )])),
    );
    let renamed = ws.ok(&["poll"]);
    assert!(renamed.contains("0 new, 0 updated"), "{renamed}");

    assert_eq!(ws.sql_count("SELECT count(*) FROM posts"), 1);
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(titles(&list), ["Retry storms, revisited"]);
    assert_eq!(list[0]["feed"], "A");
    assert_eq!(list[0]["org"], "Org A");
    assert_eq!(list[0]["also_in"], serde_json::json!(["B"]));
    assert_eq!(
        list[0]["first_seen"], first_seen,
        "an update keeps the first-seen time"
    );
}

#[test]
fn tracking_parameters_do_not_split_a_post() {
    let server = FeedServer::start();
    server.route(
        "/a",
        Route::feed(rss(&[Item::new(
            "x",
            "https://Blog.Example:443/p?utm_source=rss&utm_medium=feed#top",
            "Incident report",
            "",
        )])),
    );
    server.route(
        "/b",
        Route::feed(rss(&[Item::new(
            "y",
            "https://blog.example/p?fbclid=abc&gclid=def",
            "Incident report",
            "",
        )])),
    );
    let ws = Workspace::new(
        "",
        &[
            ("A", &server.url("/a"), None),
            ("B", &server.url("/b"), None),
        ],
        RULES,
    );
    ws.ok(&["poll"]);
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list:#}");
    assert_eq!(list[0]["url"], "https://blog.example/p");
    assert_eq!(list[0]["also_in"], serde_json::json!(["B"]));
}

#[test]
fn week_boundaries_follow_the_configured_zone() {
    // The dates below are in the past whatever the machine's clock says.
    crate::util::set_now(crate::util::instant("2026-11-25T12:00:00Z"));
    let server = FeedServer::start();
    // Sunday 2026-11-22 23:59 and Monday 2026-11-23 00:00 in New York.
    let mut sunday = Item::new("sun", "https://blog.example/sun", "Sunday outage", "");
    sunday.published = Some("Sun, 22 Nov 2026 23:59:00 -0500".into());
    let mut monday = Item::new("mon", "https://blog.example/mon", "Monday outage", "");
    monday.published = Some("Mon, 23 Nov 2026 00:00:00 -0500".into());
    server.route("/f", Route::feed(rss(&[sunday, monday])));
    let ws = Workspace::new(
        "timezone = \"America/New_York\"",
        &[("F", &server.url("/f"), None)],
        RULES,
    );
    ws.ok(&["poll"]);
    assert_eq!(
        titles(&ws.json(&["shortlist", "--week", "2026-W47", "--format", "json"])),
        ["Sunday outage"]
    );
    assert_eq!(
        titles(&ws.json(&["shortlist", "--week", "2026-W48", "--format", "json"])),
        ["Monday outage"]
    );

    // In UTC both are Monday the 23rd: the same week.
    ws.write_config(
        "timezone = \"UTC\"",
        &[("F", &server.url("/f"), None)],
        RULES,
    );
    assert_eq!(
        ws.json(&["shortlist", "--week", "2026-W48", "--format", "json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn shortlist_is_ranked_and_explained_in_every_format() {
    let server = FeedServer::start();
    let mut strong = Item::new(
        "1",
        "https://blog.example/strong",
        "Outage: retry storm",
        "An incident caused by retries.",
    );
    strong.author = Some("Dana Ops");
    server.route(
        "/f",
        Route::feed(rss(&[
            Item::new(
                "2",
                "https://blog.example/weak",
                "Thoughts",
                "We had an incident.",
            ),
            strong,
            Item::new(
                "3",
                "https://blog.example/webinar",
                "Outage webinar",
                "Join our webinar about incidents.",
            ),
            Item::new(
                "4",
                "https://blog.example/none",
                "Unrelated",
                "Nothing to see.",
            ),
        ])),
    );
    let ws = Workspace::new("", &[("F", &server.url("/f"), Some("Example Co"))], RULES);
    ws.ok(&["poll"]);

    let list = ws.json(&["shortlist", "--week", "--format", "json"]);
    // Webinar: 6 - 8 + 3 - 4 = -3; unrelated: 0: neither reaches min_score.
    assert_eq!(titles(&list), ["Outage: retry storm", "Thoughts"]);
    let top = &list[0];
    assert_eq!(top["score"], 6.0 + 4.0 + 3.0 + 2.0);
    assert_eq!(top["author"], "Dana Ops");
    assert_eq!(top["org"], "Example Co");
    assert_eq!(top["url"], "https://blog.example/strong");
    assert!(chrono::DateTime::parse_from_rfc3339(top["published"].as_str().unwrap()).is_ok());
    let reasons: Vec<(String, String, f64)> = top["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().into(),
                r["field"].as_str().unwrap().into(),
                r["points"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("incident".into(), "title".into(), 6.0),
            ("incident".into(), "summary".into(), 3.0),
            ("retries".into(), "title".into(), 4.0),
            ("retries".into(), "summary".into(), 2.0),
        ]
    );

    let md = ws.ok(&["shortlist", "--limit", "1"]);
    assert!(
        md.contains("1. [Outage: retry storm](https://blog.example/strong)"),
        "{md}"
    );
    assert!(md.contains("Dana Ops — Example Co"), "{md}");
    assert!(!md.contains("Thoughts"), "--limit 1 shows one entry\n{md}");

    let csv = ws.ok(&["shortlist", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("id,score,title,url,feed,org,author,published,week,also_in,reasons"));

    let id = top["id"].as_i64().unwrap().to_string();
    let explained = ws.ok(&["explain", &id]);
    assert!(explained.contains("score:     15.00"), "{explained}");
    assert!(
        explained.contains("+6.00  incident  in title"),
        "{explained}"
    );
    let (code, _, err) = ws.run(&["explain", "999999"]);
    assert_eq!(code, 1);
    assert!(err.contains("no entry with id 999999"), "{err}");
}

#[test]
fn rescore_applies_changed_rules_without_refetching() {
    let (server, ws) = Workspace::polled(Route::feed(rss(&[Item::new(
        "1",
        "https://blog.example/k",
        "TCP keepalives",
        "On idle connections.",
    )])));
    let (code, _, _) = ws.run(&["shortlist"]);
    assert_eq!(code, 1, "nothing matches the rules yet");

    let rules = format!(
        "{RULES}\n[[rule]]\nname = \"networking\"\npattern = '(?i)\\bkeepalives?\\b'\nweight = 2.5\n"
    );
    ws.write_config("", &[("F", &server.url("/f"), None)], &rules);
    let out = ws.ok(&["rescore"]);
    assert_eq!(
        out,
        "rescored 1 entries by matching the 1 new or edited rule against their text and re-weighing the stored matches of the other 3; 1 scores changed\n"
    );
    assert_eq!(server.seen("/f").len(), 1, "rescore never fetches");
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(list[0]["score"], 5.0);
    assert_eq!(list[0]["reasons"][0]["rule"], "networking");

    // A new weight only: the stored match is re-weighed.
    ws.write_config(
        "",
        &[("F", &server.url("/f"), None)],
        &rules.replace("weight = 2.5", "weight = 4"),
    );
    let out = ws.ok(&["rescore"]);
    assert_eq!(
        out,
        "rescored 1 entries by re-weighing their stored matches (no rule new or edited); 1 scores changed\n"
    );
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(list[0]["score"], 8.0);
    assert_eq!(list[0]["reasons"][0]["points"], 8.0);
}

#[test]
fn check_reports_every_problem_with_its_line() {
    let ws = Workspace::new("", &[], "");
    std::fs::write(
        ws.config(),
        r#"[settings]
timezone = "Nowhere/Special"
poll_schedule = "every half hour"
colour = "blue"

[[feed]]
name = "dup"
url = "https://a.example/feed"

[[feed]]
name = "dup"
url = "ftp://b.example/feed"

[[rule]]
name = "broken"
pattern = '(?i)\b(incident'
weight = 2
"#,
    )
    .unwrap();
    let (code, out, err) = ws.run(&["check"]);
    assert_eq!(code, 2, "{out}{err}");
    for expected in [
        "has 6 problems",
        ":2: unknown time zone `Nowhere/Special`",
        ":3: bad cron expression `every half hour`",
        ":4: unknown key `colour` in [settings]",
        ":12: feed url `ftp://b.example/feed` is not http(s)",
        ":10: duplicate feed name `dup` (first on line 6)",
        ":16: bad regex",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // Nothing else runs on a bad config.
    let (code, _, _) = ws.run(&["poll"]);
    assert_eq!(code, 2);
    assert!(!ws.db().exists());
}

#[test]
fn a_failing_feed_never_stops_the_others() {
    let server = FeedServer::start();
    server.route(
        "/good",
        Route::feed(rss(&[Item::new(
            "1",
            "https://blog.example/1",
            "Incident review",
            "",
        )])),
    );
    server.route("/missing", Route::status(404));
    server.route("/gone", Route::status(410));
    server.route(
        "/page",
        Route::feed("<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/real.xml\"></head></html>")
            .header("content-type", "text/html"),
    );
    server.route(
        "/broken",
        Route::feed("<rss version=\"2.0\"><channel><item><title>unclosed"),
    );
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}/feed")
    };
    let ws = Workspace::new(
        "",
        &[
            ("Good", &server.url("/good"), None),
            ("Missing", &server.url("/missing"), None),
            ("Gone", &server.url("/gone"), None),
            ("Page", &server.url("/page"), None),
            ("Broken", &server.url("/broken"), None),
            ("Refused", &refused, None),
            // gleaner answers `.invalid` names itself (RFC 6761): no resolver is asked.
            ("Nowhere", "http://does-not-exist.invalid/feed", None),
        ],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(
        out.contains("polled 7 feeds: 1 fetched, 0 not modified, 6 failed"),
        "{out}"
    );
    for line in [
        "Missing: HTTP 404 Not Found",
        "Gone: HTTP 410 Gone",
        &format!(
            "Page: got an HTML page, not a feed; the page links these feeds: {}",
            server.url("/real.xml")
        ),
        "Broken: not a feed",
        "Refused: connection refused by 127.0.0.1",
        "Nowhere: host does not resolve: does-not-exist.invalid",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert_eq!(
        titles(&ws.json(&["shortlist", "--format", "json"])),
        ["Incident review"]
    );

    let feeds = ws.json(&["feeds", "--format", "json"]);
    let status = |name: &str| {
        feeds
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(feeds[0]["name"], "Gone", "gone feeds are listed first");
    assert_eq!(status("Gone")["status"], "gone");
    assert_eq!(status("Missing")["status"], "error");
    assert_eq!(status("Missing")["http_status"], 404);
    assert_eq!(status("Missing")["consecutive_failures"], 1);
    assert_eq!(status("Good")["status"], "ok");
    assert!(status("Good")["last_success"].as_str().is_some());
    assert!(status("Missing")["last_success"].is_null());
    let next =
        chrono::DateTime::parse_from_rfc3339(status("Missing")["next_poll"].as_str().unwrap())
            .unwrap();
    assert!(
        next > crate::util::now(),
        "a failed feed waits before its next try"
    );

    // Backing off: a plain poll skips the failed feeds; --force retries them.
    let again = ws.ok(&["poll"]);
    assert!(again.contains("6 waiting"), "{again}");
    let forced = ws.ok(&["poll", "--force"]);
    assert!(forced.contains("6 failed"), "{forced}");
    assert_eq!(
        ws.json(&["feeds", "--format", "json"])
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "Missing")
            .unwrap()["consecutive_failures"],
        2
    );
}

#[test]
fn permanent_redirects_move_the_feed_and_temporary_ones_do_not() {
    let server = FeedServer::start();
    let body = rss(&[Item::new("1", "https://blog.example/1", "Outage", "")]);
    server.route("/old", Route::redirect(301, "/new"));
    server.route("/new", Route::feed(body.clone()));
    server.route("/old308", Route::redirect(308, "/new"));
    server.route("/temp", Route::redirect(302, "/elsewhere"));
    server.route("/temp307", Route::redirect(307, "/elsewhere"));
    server.route("/elsewhere", Route::feed(body));
    let ws = Workspace::new(
        "",
        &[
            ("Moved", &server.url("/old"), None),
            ("Moved308", &server.url("/old308"), None),
            ("Temp", &server.url("/temp"), None),
            ("Temp307", &server.url("/temp307"), None),
        ],
        RULES,
    );
    let out = ws.ok(&["poll"]);
    assert!(
        out.contains(&format!("moved: Moved now polls {}", server.url("/new"))),
        "{out}"
    );
    let feeds = ws.json(&["feeds", "--format", "json"]);
    let url = |name: &str| {
        feeds
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["url"]
            .clone()
    };
    assert_eq!(url("Moved"), server.url("/new").as_str());
    assert_eq!(url("Moved308"), server.url("/new").as_str());
    assert_eq!(url("Temp307"), server.url("/temp307").as_str());
    let moved = feeds
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Moved")
        .unwrap();
    assert_eq!(moved["moved_from"], server.url("/old").as_str());
    assert!(
        ws.ok(&["feeds"])
            .contains(&format!("moved from {}", server.url("/old")))
    );
    assert_eq!(url("Temp"), server.url("/temp").as_str());
    ws.ok(&["poll"]);
    assert_eq!(
        server.seen("/old").len(),
        1,
        "the moved feed is polled at its new URL"
    );
}

#[test]
fn redirect_loops_stop_at_the_limit() {
    let server = FeedServer::start();
    server.route("/loop", Route::redirect(302, "/loop"));
    let ws = Workspace::new("", &[("Loop", &server.url("/loop"), None)], RULES);
    let out = ws.ok(&["poll"]);
    assert!(out.contains("Loop: more than 5 redirects"), "{out}");
    assert_eq!(server.seen("/loop").len(), 6);
}

#[test]
fn a_new_feeds_back_catalogue_lands_in_past_weeks() {
    // March 2026 is in the past whatever the machine's clock says.
    crate::util::set_now(crate::util::instant("2026-11-25T12:00:00Z"));
    let mut old = Item::new("old", "https://blog.example/old", "Old outage", "");
    old.published = Some("Mon, 02 Mar 2026 10:00:00 GMT".into());
    let mut undated = Item::new(
        "undated",
        "https://blog.example/undated",
        "Undated outage",
        "",
    );
    undated.published = None;
    let fresh = Item::new("fresh", "https://blog.example/fresh", "Fresh outage", "");
    let (server, ws) = Workspace::polled(Route::feed(rss(&[old, undated, fresh])));
    assert_eq!(
        titles(&ws.json(&["shortlist", "--format", "json"])),
        ["Fresh outage"]
    );
    assert_eq!(
        titles(&ws.json(&["shortlist", "--week", "2026-W10", "--format", "json"])),
        ["Old outage"]
    );

    // Undated entries that appear after the first poll are new: this week's.
    let mut later = Item::new("later", "https://blog.example/later", "Later outage", "");
    later.published = None;
    server.route("/f", Route::feed(rss(&[later])));
    ws.ok(&["poll"]);
    assert_eq!(
        titles(&ws.json(&["shortlist", "--format", "json"])),
        ["Later outage", "Fresh outage"]
    );
}

#[test]
fn hostile_feed_text_is_plain_and_escaped() {
    let mut item = Item::new(
        "1",
        "javascript:alert(document.cookie)",
        "<img src=x onerror=alert(1)>Outage <script>alert(2)</script>",
        "<p onclick=\"steal()\">An <b>incident</b></p><style>.x{}</style>",
    );
    item.author = Some("<a href=\"javascript:x\">Mallory</a>");
    let (_server, ws) = Workspace::polled(Route::feed(rss(&[item])));
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(list[0]["title"], "Outage");
    assert_eq!(list[0]["excerpt"], "An incident");
    assert_eq!(list[0]["author"], "Mallory");
    assert!(list[0]["url"].is_null(), "javascript: links are never kept");
    let md = ws.ok(&["shortlist"]);
    for bad in ["<script", "javascript:", "onerror", "onclick", "<img"] {
        assert!(!md.contains(bad), "{bad} in\n{md}");
    }
}

#[test]
fn broken_databases_are_refused_untouched() {
    let ws = Workspace::new("", &[], RULES);
    std::fs::create_dir_all(ws.db().parent().unwrap()).unwrap();
    std::fs::write(ws.db(), "this is somebody's spreadsheet").unwrap();
    let (code, _, err) = ws.run(&["feeds"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a SQLite database; refusing to touch it"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.db()).unwrap(),
        "this is somebody's spreadsheet"
    );
}

#[test]
fn db_flag_and_env_config_are_honoured() {
    let server = FeedServer::start();
    server.route(
        "/f",
        Route::feed(rss(&[Item::new(
            "1",
            "https://blog.example/1",
            "Outage",
            "",
        )])),
    );
    let ws = Workspace::new("", &[("F", &server.url("/f"), None)], RULES);
    let other_db = ws.path().join("elsewhere/other.db");
    let out = assert_cmd::Command::cargo_bin("gleaner")
        .unwrap()
        .env("GLEANER_CONFIG", ws.config())
        .args(["--db", other_db.to_str().unwrap(), "poll"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(other_db.exists());
    assert!(!ws.db().exists());
}

/// `backtest --config candidate.toml` previews edited rules; the live database is left
/// as it was, though the candidate names other feeds and another zone.
#[test]
fn a_backtest_of_a_candidate_config_writes_nothing() {
    let (server, ws) = Workspace::polled(Route::feed(rss(&[Item::new(
        "1",
        "https://blog.example/1",
        "Outage postmortem",
        "",
    )])));
    let id = ws.json(&["queue", "--format", "json"])[0]["id"].to_string();
    ws.ok(&["pick", &id]);
    let dump = || -> Vec<String> {
        let conn = rusqlite::Connection::open(ws.db()).unwrap();
        let mut rows = Vec::new();
        for table in ["feeds", "posts", "decisions", "meta"] {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
                .unwrap();
            let columns = stmt.column_count();
            let mut query = stmt.query([]).unwrap();
            while let Some(r) = query.next().unwrap() {
                let row: Vec<String> = (0..columns)
                    .map(|i| match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                        other => format!("{other:?}"),
                    })
                    .collect();
                rows.push(format!("{table}: {}", row.join(" | ")));
            }
        }
        rows
    };
    let before = dump();
    let candidate = ws.path().join("candidate.toml");
    let text = std::fs::read_to_string(ws.config())
        .unwrap()
        .replacen(
            "[settings]\n",
            "[settings]\ntimezone = \"America/New_York\"\n",
            1,
        )
        .replace(&server.url("/f"), &server.url("/moved"))
        + "\n[[feed]]\nname = \"G\"\nurl = \"http://127.0.0.1:9/g\"\n";
    std::fs::write(&candidate, text).unwrap();
    let run = assert_cmd::Command::cargo_bin("gleaner")
        .unwrap()
        .env_remove("GLEANER_CONFIG")
        .env("GLEANER_NOW", crate::util::now().to_rfc3339())
        .args([
            "--config",
            candidate.to_str().unwrap(),
            "backtest",
            "--decisions",
        ])
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(matches!(run.status.code(), Some(0 | 1)), "{out}{err}");
    assert_eq!(dump(), before, "{out}{err}");
}

/// A missing config is named once, with its cause once and what to do.
#[test]
fn a_missing_config_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let out = assert_cmd::Command::cargo_bin("gleaner")
        .unwrap()
        .env_remove("GLEANER_CONFIG")
        .args(["--config", missing.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read config"), "{err}");
    assert!(
        err.contains("pass --config PATH or set GLEANER_CONFIG"),
        "{err}"
    );
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn unknown_feed_names_and_bad_weeks_are_usage_errors() {
    let ws = Workspace::new("", &[("F", "http://127.0.0.1:9/f", None)], RULES);
    let (code, _, err) = ws.run(&["poll", "--feed", "Nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("no feed named `Nope`"), "{err}");
    let (code, _, err) = ws.run(&["shortlist", "--week", "2026-W60"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad week `2026-W60`"), "{err}");
}

#[cfg(unix)]
#[test]
fn the_daemon_polls_on_schedule_serves_health_and_metrics_and_stops_on_sigterm() {
    let server = FeedServer::start();
    let body = rss(&[Item::new(
        "1",
        "https://blog.example/1",
        "Outage at scale",
        "",
    )]);
    server.route(
        "/f",
        Route::feed(body).with_validators("\"e1\"", "Mon, 23 Nov 2026 10:00:00 GMT"),
    );
    let ws = Workspace::new(
        "poll_schedule = \"*/1 * * * * *\"\nshortlist_schedule = \"*/1 * * * * *\"",
        &[("F", &server.url("/f"), None)],
        &format!("{RULES}\n[server]\nlisten = \"127.0.0.1:0\"\ntoken = \"t0ken\"\n"),
    );
    let (mut daemon, mut lines) = Daemon::start(&ws);
    let (mut polls, mut shortlists, mut addr) = (0, 0, String::new());
    let mut log = Vec::new();
    // Wait for events, not time: the daemon says when a poll or a shortlist is done.
    while polls < 3 || shortlists < 1 {
        let line = lines.next().expect("daemon exited early").unwrap();
        let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if let Some(listening) = crate::util::listening_addr(&event) {
            addr = listening;
        }
        match event["message"].as_str() {
            Some("poll finished") => polls += 1,
            Some("shortlist written") => shortlists += 1,
            _ => {}
        }
        log.push(line);
    }

    let bearer = [("Authorization", "Bearer t0ken")];
    let (status, body) = http_get(&addr, "/healthz", &bearer);
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok: last poll finished"), "{body}");
    let (status, metrics) = http_get(&addr, "/metrics", &bearer);
    assert_eq!(status, 200);
    for name in [
        "gleaner_feed_fetches_total{result=\"ok\"} 1",
        "gleaner_feed_fetches_total{result=\"not_modified\"}",
        "gleaner_entries_new_total 1",
        "gleaner_feeds_failing 0",
        "gleaner_last_poll_timestamp_seconds",
        "gleaner_poll_duration_seconds_count",
        "gleaner_fetch_duration_seconds_bucket",
    ] {
        assert!(metrics.contains(name), "missing {name} in\n{metrics}");
    }
    assert_eq!(
        http_get(&addr, "/healthz", &[]).0,
        401,
        "the token guards every request"
    );
    assert_eq!(
        http_get(&addr, "/metrics", &[("Authorization", "Bearer wrong")]).0,
        401
    );

    let status = std::process::Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let exit = daemon.child.wait().unwrap();
    assert!(
        exit.success(),
        "daemon exit {exit:?}\n{}\n{}",
        log.join("\n"),
        rest.join("\n")
    );
    assert!(
        rest.iter().any(|l| l.contains("\"stopped\"")),
        "{}",
        rest.join("\n")
    );

    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(ws.sql_count("SELECT count(*) FROM posts"), 1);
    assert!(
        server.seen("/f").len() >= 3,
        "polled at start and on schedule"
    );
    let week = ws.json(&["shortlist", "--format", "json"])[0]["week"]
        .as_str()
        .unwrap()
        .to_owned();
    let file =
        std::fs::read_to_string(ws.path().join(format!("data/shortlists/{week}.md"))).unwrap();
    assert!(
        file.contains("[Outage at scale](https://blog.example/1)"),
        "{file}"
    );
}

/// The daemon keeps its database open between polls, so nothing folds the write-ahead
/// log into the database file unless each poll does (its commits run inside the store
/// writer's transactions, where SQLite refuses to checkpoint: that warning once ended
/// every poll and the log only grew).
#[cfg(unix)]
#[test]
fn each_daemon_poll_is_folded_into_the_database_file() {
    let server = FeedServer::start();
    let items = [
        Item::new("1", "https://blog.example/1", "Outage at scale", ""),
        Item::new("2", "https://blog.example/2", "Retries, again", ""),
    ];
    server.route("/f", Route::feed(rss(&items)));
    let ws = Workspace::new(
        "poll_schedule = \"0 0 0 1 1 *\"",
        &[("F", &server.url("/f"), None)],
        &format!("{RULES}\n[server]\nlisten = \"127.0.0.1:0\"\n"),
    );
    let (_daemon, _) = Daemon::start_polled(&ws);
    // Only the database file, without its log: what checkpoints wrote there.
    let copy = tempfile::tempdir().unwrap();
    let file = copy.path().join("copy.db");
    std::fs::copy(ws.db(), &file).unwrap();
    let conn = rusqlite::Connection::open(&file).unwrap();
    let posts: i64 = conn
        .query_row("SELECT count(*) FROM posts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(posts, 2);
}

/// The daemon arms each firing in the configured zone's real rules: the Monday after
/// New York's clocks go back, 08:00 is 13:00 UTC (a job keeping the offset it was
/// created with, as tokio-cron-scheduler's do, would fire at 12:00); and once a firing
/// has run, the next is armed the same way.
#[test]
fn the_daemon_keeps_its_schedule_in_the_zone_across_a_dst_change() {
    use crate::util::{Daemon, instant, set_now};
    let armed = |ws: &Workspace, count: usize| -> Vec<String> {
        let (_daemon, lines) = Daemon::start(ws);
        let mut seen = Vec::new();
        for line in lines.map_while(Result::ok) {
            let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if event["message"] == "next firing armed" && event["schedule"] == "shortlist" {
                seen.push(event["next"].as_str().unwrap().to_owned());
                if seen.len() == count {
                    break;
                }
            }
        }
        seen
    };
    let settings = "timezone = \"America/New_York\"\nshortlist_schedule = \"0 0 8 * * Mon\"\npoll_schedule = \"0 0 8 * * Mon\"";
    let ws = Workspace::new(settings, &[], RULES);

    set_now(instant("2026-10-31T12:00:00Z"));
    assert_eq!(armed(&ws, 1), ["2026-11-02T13:00:00Z"]);

    // Seconds before that firing (room for a slow start: the daemon must arm it before
    // it is due): it runs, and arms the one a week later.
    set_now(instant("2026-11-02T12:59:54Z"));
    assert_eq!(
        armed(&ws, 2),
        ["2026-11-02T13:00:00Z", "2026-11-09T13:00:00Z"]
    );
}

#[test]
fn shortlists_due_at_monday_midnight_are_for_the_week_that_starts_then() {
    use crate::util::{Daemon, instant, set_now};
    let settings = "shortlist_schedule = \"0 0 0 * * Mon\"\npoll_schedule = \"0 0 8 * * Mon\"";
    let ws = Workspace::new(settings, &[], RULES);
    // Seconds before the slot, so the daemon arms it first. The scheduler may wake a
    // moment early, still on Sunday by the clock: the slot, not the clock, names the
    // weeks.
    set_now(instant("2026-11-29T23:59:54Z"));
    let (_daemon, lines) = Daemon::start(&ws);
    let mut written = Vec::new();
    for line in lines.map_while(Result::ok) {
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if event["message"] == "shortlist written" {
            let path = std::path::PathBuf::from(event["path"].as_str().unwrap());
            written.push(path.file_name().unwrap().to_string_lossy().into_owned());
            if written.len() == 2 {
                break;
            }
        }
    }
    assert_eq!(written, ["2026-W48.md", "2026-W49.md"]);
}

#[test]
fn commands_that_find_nothing_say_why_and_exit_1() {
    let ws = Workspace::new("", &[], RULES);
    let (code, _, err) = ws.run(&["feeds"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no feed is configured: add one with `gleaner add URL`"),
        "{err}"
    );
    let (code, out, err) = ws.run(&["sources"]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no site to suggest yet"), "{err}");
}
