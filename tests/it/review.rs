//! The editor's workflow from the command line: queue, pick, reject, defer, undo, draft.

use serde_json::Value;

use crate::util::{
    FeedServer, Item, RULES, Route, Workspace, at_instants, gleaner_json, last_weeks_friday_noon,
    rss,
};

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

fn id_of(v: &Value, title: &str) -> String {
    v.as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == title)
        .unwrap_or_else(|| panic!("{title} not in {v:#}"))["id"]
        .as_i64()
        .unwrap()
        .to_string()
}

/// Three posts this week, two (published last week) arriving this week and last.
fn workspace() -> (FeedServer, Workspace) {
    let server = FeedServer::start();
    let mut a = Item::new(
        "a",
        "https://blog.example/a",
        "Outage: retry storm",
        "An incident.",
    );
    a.author = Some("Dana Ops");
    let b = Item::new("b", "https://blog.example/b", "Incident review", "");
    let c = Item::new(
        "c",
        "https://blog.example/c",
        "Outage <b>report</b> & more",
        "",
    );
    server.route("/f", Route::feed(rss(&[a, b, c])));
    let ws = Workspace::new("", &[("F", &server.url("/f"), Some("Example Co"))], RULES);
    ws.ok(&["poll"]);
    (server, ws)
}

#[test]
fn picks_rejects_and_defers_leave_the_queue_and_undo_restores() {
    let (_server, ws) = workspace();
    let queue = ws.json(&["queue", "--format", "json"]);
    assert_eq!(ids(&queue).len(), 3);
    assert_eq!(queue[0]["state"], "new");
    assert_eq!(queue[0]["title"], "Outage: retry storm", "best first");
    let (a, b, c) = (
        id_of(&queue, "Outage: retry storm"),
        id_of(&queue, "Incident review"),
        id_of(&queue, "Outage report & more"),
    );

    let out = ws.ok(&[
        "pick",
        &a,
        "--note",
        "Retries made it worse; a clear write-up.",
    ]);
    assert!(out.starts_with(&format!("picked #{a} (")), "{out}");
    ws.ok(&["reject", &b, "--note", "vendor pitch"]);
    ws.ok(&["defer", &c]);
    let (code, out, _) = ws.run(&["queue", "--format", "json"]);
    assert_eq!((code, out.trim()), (1, "[]"), "every candidate decided");

    // Undo the rejection: b is back, undecided.
    assert_eq!(
        ws.ok(&["undo", &b]),
        format!("undid rejected of #{b}; it is new again\n")
    );
    assert_eq!(
        ids(&ws.json(&["queue", "--format", "json"])),
        [b.parse::<i64>().unwrap()]
    );
    // Pick then undo: the earlier decision applies again.
    ws.ok(&["pick", &c]);
    assert_eq!(
        ws.ok(&["undo", &c]),
        format!("undid picked of #{c}; it is deferred again\n")
    );
    let (code, _, err) = ws.run(&["undo", "999999"]);
    assert_eq!(code, 1);
    assert!(err.contains("#999999 has no decision to undo"), "{err}");
    let (code, _, err) = ws.run(&["pick", "999999"]);
    assert_eq!(code, 1);
    assert!(err.contains("no entry with id 999999"), "{err}");

    let db = rusqlite::Connection::open(ws.db()).unwrap();
    let (state, note): (String, String) = db
        .query_row("SELECT state, note FROM decisions WHERE post_id = ?1 AND undone = 0 ORDER BY id DESC LIMIT 1", [&a], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (state.as_str(), note.as_str()),
        ("picked", "Retries made it worse; a clear write-up.")
    );
}

#[test]
fn a_deferred_post_is_carried_over_to_next_weeks_queue() {
    let (_server, ws) = workspace();
    let queue = ws.json(&["queue", "--format", "json"]);
    let c = id_of(&queue, "Incident review");
    let out = ws.ok(&["defer", &c]);
    let this_week = queue[0]["week"].as_str().unwrap().to_owned();
    let next_week = out.split(['(', ')']).nth(1).unwrap().to_owned();
    assert_ne!(next_week, this_week);
    assert!(!ids(&ws.json(&["queue", "--format", "json"])).contains(&c.parse().unwrap()));
    let next = ws.json(&["queue", "--week", &next_week, "--format", "json"]);
    assert_eq!(ids(&next), [c.parse::<i64>().unwrap()]);
    assert_eq!(next[0]["carried_over"], true);
    assert_eq!(next[0]["state"], "deferred");
    assert!(
        ws.ok(&["queue", "--week", &next_week])
            .contains("[carried over]")
    );
}

#[test]
fn a_late_arrival_reaches_this_weeks_queue_once() {
    at_instants(|_| {
        // Published on the Friday of last week (UTC, the workspace's zone): last week on
        // any day and at any hour of this one. "Eight days ago" was two weeks back on Mondays.
        let mut late = Item::new(
            "late",
            "https://blog.example/late",
            "Outage we wrote up late",
            "",
        );
        late.published = Some(last_weeks_friday_noon().to_rfc2822());
        let on_time = Item::new("now", "https://blog.example/now", "Incident this week", "");
        // The feed's first poll only carries the on-time post; the late one appears after.
        let (server, ws) = Workspace::polled(Route::feed(rss(&[on_time])));
        let mut late_again = Item::new(
            "late",
            "https://blog.example/late",
            "Outage we wrote up late",
            "",
        );
        late_again.published = late.published.clone();
        server.route(
            "/f",
            Route::feed(rss(&[
                Item::new("now", "https://blog.example/now", "Incident this week", ""),
                late_again,
            ])),
        );
        ws.ok(&["poll"]);

        let this_week = ws.json(&["queue", "--format", "json"]);
        let titles: Vec<&str> = this_week
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap())
            .collect();
        assert!(titles.contains(&"Outage we wrote up late"), "{titles:?}");
        let late_item = this_week
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["title"] == "Outage we wrote up late")
            .unwrap();
        assert_eq!(late_item["late"], true);
        // Last week's queue does not hold it too (it was not there to be seen then):
        // nothing else was published last week, so that queue is empty.
        let (code, last, err) = ws.run(&["queue", "--week", "last", "--format", "json"]);
        assert_eq!((code, last.trim()), (1, "[]"), "{err}");
        // Picked from this week's queue, it is in this week's draft.
        let id = id_of(&this_week, "Outage we wrote up late");
        ws.ok(&["pick", &id]);
        assert!(
            ws.ok(&["draft", "--allow-todo"])
                .contains("Outage we wrote up late")
        );
    });
}

/// A post first seen weeks after it was published (its feed failed for a while, or it
/// appeared late in the feed) reaches the queue of the week it was first seen, marked
/// late; a feed's back catalogue on its first poll does not: it stays in its own weeks.
#[test]
fn a_post_first_seen_weeks_late_reaches_a_queue_but_a_first_polls_catalogue_does_not() {
    at_instants(|_| {
        let weeks_ago = |weeks: i64| {
            Some((crate::util::recently() - chrono::Duration::weeks(weeks)).to_rfc2822())
        };
        let mut catalogue = Item::new("old", "https://blog.example/old", "Old outage", "");
        catalogue.published = weeks_ago(3);
        let (server, ws) = Workspace::polled(Route::feed(rss(&[catalogue])));
        let mut catalogue = Item::new("old", "https://blog.example/old", "Old outage", "");
        catalogue.published = weeks_ago(3);
        let mut resurfaced = Item::new("lost", "https://blog.example/lost", "Outage we missed", "");
        resurfaced.published = weeks_ago(2);
        server.route("/f", Route::feed(rss(&[catalogue, resurfaced])));
        ws.ok(&["poll"]);

        let queue = ws.json(&["queue", "--format", "json"]);
        let titles: Vec<&str> = queue
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Outage we missed"], "{queue:#}");
        assert_eq!(queue[0]["late"], true);
        // Picked from this week's queue, it is in this week's draft.
        ws.ok(&["pick", &id_of(&queue, "Outage we missed")]);
        assert!(
            ws.ok(&["draft", "--allow-todo"])
                .contains("Outage we missed")
        );
    });
}

#[test]
fn the_draft_lists_picks_in_order_with_blurbs_and_attribution() {
    let (_server, ws) = workspace();
    let queue = ws.json(&["queue", "--format", "json"]);
    let (a, c) = (
        id_of(&queue, "Outage: retry storm"),
        id_of(&queue, "Outage report & more"),
    );
    let (code, _, _) = ws.run(&["draft"]);
    assert_eq!(code, 1, "nothing picked yet");
    ws.ok(&["pick", &c]);
    ws.ok(&["pick", &a, "--note", "Retries <made> it worse."]);

    // A pick without a blurb: the draft is printed, with a warning and status 3.
    let (code, md, err) = ws.run(&["draft"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&format!("1 of 2 picks have no blurb yet (#{c})")),
        "{err}"
    );
    let first = md.find("Outage report").unwrap();
    let second = md.find("Outage: retry storm").unwrap();
    assert!(first < second, "in the order picked:\n{md}");
    assert!(md.contains("## [Outage: retry storm](https://blog.example/a)\n\nRetries \\<made\\> it worse.\n\n&emsp;&emsp;Dana Ops — Example Co\n"), "{md}");
    assert!(
        md.contains("_TODO: blurb_\n\n&emsp;&emsp;Example Co\n"),
        "no note, no author:\n{md}"
    );
    assert!(!md.contains("\n    "), "no indented code block:\n{md}");
    let (code, allowed, _) = ws.run(&["draft", "--allow-todo"]);
    assert_eq!((code, allowed), (0, md.clone()));

    let by_score = ws.ok(&["draft", "--order", "score", "--allow-todo"]);
    assert!(
        by_score.find("Outage: retry storm").unwrap() < by_score.find("Outage report").unwrap()
    );

    ws.ok(&["note", &c, "A candid report."]);
    let html = ws.ok(&["draft", "--format", "html"]);
    assert!(
        html.contains("<h2><a href=\"https://blog.example/a\" rel=\"noopener noreferrer\">Outage: retry storm</a></h2>"),
        "{html}"
    );
    assert!(
        html.contains("<p>Retries &lt;made&gt; it worse.</p>"),
        "{html}"
    );
    assert!(html.contains("Outage report &amp; more"), "{html}");
    assert!(
        html.contains("<p class=\"attribution\" style=\"margin-left: 2em\"><small>Dana Ops — Example Co</small></p>"),
        "{html}"
    );
}

#[test]
fn the_review_page_decides_with_forms_and_refuses_cross_site_posts() {
    use crate::util::{Daemon, form_field, form_refs, http_get, http_post};
    let server = FeedServer::start();
    let mut hostile = Item::new(
        "h",
        "javascript:alert(1)",
        "<script>alert(1)</script>Outage <b>now</b>",
        "<img src=x onerror=alert(2)>An incident.",
    );
    hostile.author = Some("<i>Mallory</i>");
    server.route(
        "/f",
        Route::feed(rss(&[
            hostile,
            Item::new("ok", "https://blog.example/ok", "Incident review", ""),
        ])),
    );
    let ws = Workspace::new("", &[("F", &server.url("/f"), Some("Org & Co"))], RULES);
    let (_daemon, addr) = Daemon::start_polled(&ws);

    let (status, html) = http_get(&addr, "/", &[]);
    assert_eq!(status, 200);
    assert!(
        html.contains("Outage now") && html.contains("Incident review"),
        "{html}"
    );
    for bad in [
        "<script>alert",
        "javascript:",
        "onerror=",
        "<i>Mallory",
        "<b>now",
    ] {
        assert!(!html.contains(bad), "{bad} in the page");
    }
    assert!(
        html.contains("Mallory — Org &amp; Co"),
        "attribution escaped"
    );
    let csrf = form_field(&html, "csrf");
    let id = html
        .split("data-id=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let week = form_field(&html, "week");
    let form = |token: &str| {
        vec![
            ("id", id.clone()),
            ("action", "pick".into()),
            ("week", week.clone()),
            ("pos", "0".into()),
            ("note", "A clear write-up.".into()),
            ("csrf", token.to_owned()),
        ]
    };

    // Refused: wrong token, foreign origin, cross-site fetch. Nothing changes.
    let wrong = form("not-the-token");
    assert_eq!(http_post(&addr, "/decide", &[], &form_refs(&wrong)).0, 403);
    let right = form(&csrf);
    assert_eq!(
        http_post(
            &addr,
            "/decide",
            &[("Origin", "https://evil.example")],
            &form_refs(&right)
        )
        .0,
        403
    );
    assert_eq!(
        http_post(
            &addr,
            "/decide",
            &[("Sec-Fetch-Site", "cross-site")],
            &form_refs(&right)
        )
        .0,
        403
    );
    assert_eq!(
        http_get(&addr, "/decide", &[]).0,
        405,
        "decisions are POST only"
    );
    let moved = [
        ("id", id.as_str()),
        ("dir", "up"),
        ("week", "2026-W99"),
        ("csrf", csrf.as_str()),
    ];
    let (status, answer) = http_post(&addr, "/move", &[], &moved);
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.contains("bad week `2026-W99`: a form names an ISO week like 2026-W48"),
        "{answer}"
    );
    assert_eq!(ws.sql_count("SELECT count(*) FROM decisions"), 0);

    // Accepted from the page itself: a redirect back to the queue, and the pick stored.
    let origin = format!("http://{addr}");
    let (status, response) =
        http_post(&addr, "/decide", &[("Origin", &origin)], &form_refs(&right));
    assert_eq!(status, 303, "{response}");
    assert!(
        response.contains(&format!("location: /?week={week}#0")),
        "{response}"
    );
    assert_eq!(
        ws.sql_count(
            "SELECT count(*) FROM decisions WHERE state = 'picked' AND note = 'A clear write-up.'"
        ),
        1
    );
    let (_, after) = http_get(&addr, "/", &[]);
    assert!(after.contains("<h2>Decided</h2>"), "{after}");
    let (status, draft) = http_get(&addr, &format!("/draft?week={week}"), &[]);
    assert_eq!(status, 200);
    assert!(draft.contains("A clear write-up."), "{draft}");
    assert!(!draft.contains("<script>alert"), "{draft}");
}

/// The finished week's shortlist goes to the webhook in the background: while the hook
/// holds the post unanswered, polls go on finishing; released, the post is logged.
#[test]
fn the_weekly_shortlist_is_posted_to_the_webhook_without_holding_up_polls() {
    use crate::util::{Daemon, Gate, is};
    let server = FeedServer::start();
    let mut last_week = Item::new(
        "lw",
        "https://blog.example/lw",
        "Outage & retries",
        "An incident.",
    );
    last_week.published = Some((crate::util::now() - chrono::Duration::days(7)).to_rfc2822());
    server.route("/f", Route::feed(rss(&[last_week])));
    let hook = Gate::new();
    server.route("/hook", Route::status(200).held(&hook));
    let notify = format!(
        "{RULES}\n[notify]\nwebhook = \"{}\"\nreview_url = \"http://127.0.0.1:8311/\"\n",
        server.url("/hook")
    );
    let ws = Workspace::new(
        "poll_schedule = \"*/1 * * * * *\"\nshortlist_schedule = \"*/1 * * * * *\"",
        &[("F", &server.url("/f"), Some("Example Co"))],
        &notify,
    );
    let (_daemon, mut lines) = Daemon::start(&ws);
    // Polls that finish after a shortlist was written (and its post sent off) while
    // the hook has answered nothing.
    lines.until("a shortlist written", 5, |e| is(e, "shortlist written"));
    for _ in 0..2 {
        lines.until("a poll while the hook holds the post", 5, |e| {
            is(e, "poll finished")
        });
    }
    server.wait_until("the post to reach the hook", |t| t.arrived("/hook") >= 1);
    assert_eq!(
        server.traffic(|t| t.answered("/hook")),
        0,
        "the hook held every post meanwhile"
    );
    hook.open();
    lines.until("the post to be logged", 10, |e| {
        is(e, "shortlist posted to the webhook")
    });
    let hooks = server.seen("/hook");
    assert_eq!(hooks[0].method, "POST");
    let message: Value = serde_json::from_slice(&hooks[0].body).unwrap();
    let text = message["text"].as_str().unwrap();
    assert!(text.starts_with("*gleaner shortlist for "), "{text}");
    assert!(
        text.contains("1. <https://blog.example/lw|Outage &amp; retries> — Example Co"),
        "{text}"
    );
    assert!(
        text.ends_with("<http://127.0.0.1:8311/|Review the queue>"),
        "{text}"
    );
}

/// The review page in headless Chromium: `j` selects the second entry, `p` picks it,
/// and the database and the draft say so (the README's screenshots are `desk`'s).
#[test]
fn in_a_real_browser_the_keyboard_picks_the_selected_entry() {
    use crate::util::{Browser, Daemon, http_get};
    let server = FeedServer::start();
    let mut a = Item::new(
        "a",
        "https://blog.example/a",
        "Outage: how retries took down checkout",
        "A retry storm, the incident timeline, and what we changed.",
    );
    a.author = Some("Dana Ops");
    let b = Item::new(
        "b",
        "https://blog.example/b",
        "Incident review: the DNS outage",
        "Our resolvers failed over to a stale zone.",
    );
    let c = Item::new(
        "c",
        "https://blog.example/c",
        "On-call retries and backoff",
        "What our pager taught us about retries.",
    );
    server.route("/f", Route::feed(rss(&[a, b, c])));
    let ws = Workspace::new(
        "",
        &[("Example Blog", &server.url("/f"), Some("Example Co"))],
        RULES,
    );
    let (_daemon, addr) = Daemon::start_polled(&ws);
    let (_, html) = http_get(&addr, "/", &[]);
    let order: Vec<String> = html
        .split("data-id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(order.len(), 3, "{html}");

    let browser = Browser::start();
    browser.goto(&format!("http://{addr}/"));
    browser.keys("j");
    browser.keys("p");
    // The form posts, and the page comes back to the queue at the same position.
    browser.wait_for(
        "the browser to come back to the queue at the same position",
        |b| b.url().ends_with("#1"),
    );

    let picked = ws.sql_count(&format!(
        "SELECT count(*) FROM decisions WHERE post_id = {} AND state = 'picked' AND undone = 0",
        order[1]
    ));
    assert_eq!(picked, 1, "the second entry is picked");
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM decisions"),
        1,
        "and nothing else"
    );
    let picked_title = ws.json(&["explain", &order[1], "--format", "json"])["title"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, draft) = http_get(&addr, "/draft", &[]);
    assert!(
        draft.contains(&picked_title),
        "the draft lists {picked_title}:\n{draft}"
    );
    let (status, queue) = http_get(&addr, "/", &[]);
    assert_eq!(status, 200, "{queue}");
    let left: Vec<&str> = queue
        .split("data-id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(
        left,
        [&order[0], &order[2]],
        "the picked entry left the queue"
    );
}

#[test]
fn backtest_measures_the_rules_on_labelled_posts() {
    let ws = Workspace::new("shortlist_size = 2", &[], RULES);
    let labels = ws.path().join("labels.jsonl");
    // Week A: the outage post (picked) outranks the webinar; week B: a tie between a
    // picked and a not-picked post with no matching rule ranks pessimistically.
    std::fs::write(
        &labels,
        [
            r#"{"label":"picked","title":"Outage review","week_of":"A"}"#,
            r#"{"label":"not_picked","title":"Join our webinar","week_of":"A"}"#,
            r#"{"label":"picked","title":"Something","week_of":"B"}"#,
            r#"{"label":"not_picked","title":"Anything","week_of":"B"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let report = ws.json(&[
        "backtest",
        "--labels",
        labels.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let group = |name: &str| {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(group("A")["r_precision"], 1.0);
    assert_eq!(group("B")["r_precision"], 0.0, "ties do not flatter");
    assert_eq!(group("B")["average_precision"], 0.5);
    assert_eq!(report["overall"]["picked"], 2);
    assert_eq!(report["lowest_picked"][0]["title"], "Something");

    let bad = ws.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"label\":\"picked\"}\n{\"label\":\"perhaps\"}\n").unwrap();
    let (code, _, err) = ws.run(&["backtest", "--labels", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.jsonl: line 2: label `perhaps`"), "{err}");
}

#[test]
fn the_shipped_rules_rank_the_dev_set_better_than_chance() {
    let report = backtest_with_shipped_rules("../shared/eval/dev.jsonl");
    let overall = &report["overall"];
    let picked = overall["picked"].as_f64().unwrap() / overall["entries"].as_f64().unwrap();
    println!("dev.jsonl with the shipped rules: {overall}");
    // Chance would give an average precision near the share of picked posts (0.42).
    assert!(
        overall["average_precision"].as_f64().unwrap() > picked + 0.2,
        "{overall}"
    );
    // No worse than the tuned defaults measured (benches/README.md): AP 0.789, R-prec 0.769.
    // The rules were tuned on this set, so these floors guard against regressions;
    // they are no evidence of quality (the unseen hard cases are).
    assert!(
        overall["average_precision"].as_f64().unwrap() >= 0.78,
        "{overall}"
    );
    assert!(
        overall["r_precision"].as_f64().unwrap() >= 0.76,
        "{overall}"
    );
}

/// `gleaner backtest --labels FILE` (relative to the repository) with ./feeds.toml.
fn backtest_with_shipped_rules(labels: &str) -> Value {
    let labels = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(labels);
    assert!(labels.exists(), "{} is missing", labels.display());
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml");
    gleaner_json(&[
        "--config",
        shipped.to_str().unwrap(),
        "backtest",
        "--labels",
        labels.to_str().unwrap(),
        "--format",
        "json",
    ])
}

/// The hard cases: tests/it/fixtures/hard-cases.jsonl, eight posts the rules were
/// tuned on (the phrases that quoted them word for word are gone from the rules), and
/// tests/it/fixtures/hard-cases-unseen.jsonl, 40 written apart from the rules by
/// someone who never saw them: vendor pitches, launches, listicles and survey reports
/// full of incident words, and write-ups, deep dives and personal posts that avoid
/// them. On the unseen ones the rules rank about as well as chance: the floors are
/// the figures measured when they were written (benches/README.md, "The default rules on
/// labelled posts"), so a rule change that makes them worse fails here.
#[test]
fn the_shipped_rules_on_the_hard_cases_keep_their_measured_figures() {
    let tuned = backtest_with_shipped_rules("tests/it/fixtures/hard-cases.jsonl");
    let overall = &tuned["overall"];
    assert_eq!(overall["picked"], 4);
    assert!(
        overall["average_precision"].as_f64().unwrap() >= 0.95,
        "{tuned:#}"
    );
    assert!(
        overall["r_precision"].as_f64().unwrap() >= 0.75,
        "{tuned:#}"
    );

    let unseen = backtest_with_shipped_rules("tests/it/fixtures/hard-cases-unseen.jsonl");
    let overall = &unseen["overall"];
    assert_eq!(
        (overall["entries"].as_u64(), overall["picked"].as_u64()),
        (Some(40), Some(20))
    );
    assert!(
        overall["average_precision"].as_f64().unwrap() >= 0.43,
        "{unseen:#}"
    );
    assert!(
        overall["r_precision"].as_f64().unwrap() >= 0.35,
        "{unseen:#}"
    );
}
