//! The daemon's promises, through the real binary: it re-reads `feeds.toml` before each
//! poll, stops cleanly on a signal mid-poll, tells `/healthz` the truth, re-scores
//! stored entries when the rules change, and skips a scheduled poll that would overlap
//! the one still running.

use crate::util::{Daemon, FeedServer, Gate, Item, RULES, Route, Workspace, http_get, is, rss};

const EVERY_SECOND: &str = "poll_schedule = \"*/1 * * * * *\"";

fn one_item_feed(guid: &str, title: &str) -> Route {
    Route::feed(rss(&[Item::new(
        guid,
        &format!("https://blog.example/{guid}"),
        title,
        "",
    )]))
}

#[cfg(unix)]
#[test]
fn the_daemon_rereads_feeds_toml_before_each_poll_and_keeps_the_last_good_one() {
    let server = FeedServer::start();
    server.route("/a", one_item_feed("a", "Outage at A"));
    server.route("/b", one_item_feed("b", "Outage at B"));
    let (a, b) = (server.url("/a"), server.url("/b"));
    let ws = Workspace::new(EVERY_SECOND, &[("A", &a, None)], RULES);
    let (_daemon, mut lines) = Daemon::start(&ws);
    let first = lines.until("a first poll", 10, |e| is(e, "poll finished"));
    assert_eq!(first["feeds"], 1);

    // A valid edit: the new feed is polled without a restart.
    ws.write_config(EVERY_SECOND, &[("A", &a, None), ("B", &b, None)], RULES);
    let both = lines.until("a poll of both feeds", 10, |e| {
        is(e, "poll finished") && e["feeds"] == 2
    });
    assert_eq!(both["failed"], 0);
    assert!(!server.seen("/b").is_empty());

    // An invalid edit (dropping B, with a bad regex): logged with its line, and the
    // polls go on with the previous config, B included.
    let broken =
        format!("{RULES}\n[[rule]]\nname = \"broken\"\npattern = '(?i)\\b(incident'\nweight = 1\n");
    ws.write_config(EVERY_SECOND, &[("A", &a, None)], &broken);
    let refused = lines.until("the invalid edit to be logged", 10, |e| {
        is(e, "config is invalid; keeping the previous one")
    });
    let error = refused["error"].as_str().unwrap();
    assert!(error.contains("bad regex"), "{error}");
    let kept = lines.until("a poll after the invalid edit", 10, |e| {
        is(e, "poll finished")
    });
    assert_eq!(kept["feeds"], 2, "the previous config (A and B) is kept");
    let polled_b = server.seen("/b").len();
    lines.until("another poll", 10, |e| is(e, "poll finished"));
    assert!(server.seen("/b").len() > polled_b, "B is still polled");

    // Fixed: the edit applies at the next poll.
    ws.write_config(EVERY_SECOND, &[("A", &a, None)], RULES);
    lines.until("a poll of A alone", 10, |e| {
        is(e, "poll finished") && e["feeds"] == 1
    });

    // A new token cannot reach the running listener: the daemon says so once.
    let with_token = format!("{RULES}\n[server]\nlisten = \"127.0.0.1:0\"\ntoken = \"s3cret\"\n");
    ws.write_config(EVERY_SECOND, &[("A", &a, None)], &with_token);
    let warned = lines.until("the token change to be logged", 10, |e| {
        e["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("[server] listen or token changed"))
    });
    assert_eq!(warned["level"], "WARN", "{warned}");
    lines.until("the poll after the token change", 10, |e| {
        is(e, "poll finished")
    });
    let later = lines.until("the next polls", 10, |e| {
        is(e, "poll finished")
            || e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("[server]"))
    });
    assert!(is(&later, "poll finished"), "warned again: {later}");
}

/// SIGTERM and Ctrl-C (SIGINT) while a poll is writing: the feeds already answered are
/// stored whole, the fetch still waiting on its server is abandoned, and the daemon
/// exits 0. The signal arrives when the server has answered the first feeds and holds
/// the last one: the poll has provably started writing and cannot have finished.
#[cfg(unix)]
#[test]
fn sigterm_or_ctrl_c_mid_poll_commits_what_was_answered_and_exits_0() {
    const ANSWERED: usize = 6;
    const ENTRIES: usize = 400;
    for signal in ["TERM", "INT"] {
        let server = FeedServer::start();
        let mut feeds = Vec::new();
        for f in 0..ANSWERED {
            let posts: Vec<[String; 3]> = (0..ENTRIES)
                .map(|e| {
                    [
                        format!("f{f}-{e}"),
                        format!("https://blog{f}.example/{e}"),
                        format!("Outage {f}-{e}"),
                    ]
                })
                .collect();
            let items: Vec<Item> = posts
                .iter()
                .map(|[guid, link, title]| {
                    Item::new(
                        guid,
                        link,
                        title,
                        "An incident, its retries and what we changed.",
                    )
                })
                .collect();
            let path = format!("/f{f}");
            server.route(&path, Route::feed(rss(&items)));
            feeds.push((format!("Feed {f}"), server.url(&path)));
        }
        let gate = Gate::new();
        server.route("/held", one_item_feed("h", "Outage held").held(&gate));
        feeds.push(("Held".into(), server.url("/held")));
        // One request at a time, the held feed last; a long timeout, so only the
        // signal ends its fetch; no scheduled poll in the test's lifetime.
        let ws = Workspace::with_feeds(
            "per_host_concurrency = 1\nrequest_timeout_secs = 120\npoll_schedule = \"0 0 0 1 1 *\"",
            &feeds,
            RULES,
        );
        let (mut daemon, mut lines) = Daemon::start(&ws);
        lines.listening();
        server.wait_until("the answered feeds, then the held one", |t| {
            t.arrived("/held") == 1 && (0..ANSWERED).all(|f| t.answered(&format!("/f{f}")) == 1)
        });
        daemon.signal(signal);
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let exit = daemon.child.wait().unwrap();
        assert!(
            exit.success(),
            "SIG{signal}: exit {exit:?}\n{}",
            rest.join("\n")
        );
        let events: Vec<serde_json::Value> = rest
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_default())
            .collect();
        let finished = events
            .iter()
            .find(|e| is(e, "poll finished"))
            .unwrap_or_else(|| panic!("SIG{signal}: the poll never finished\n{}", rest.join("\n")));
        assert_eq!(finished["new"], ANSWERED * ENTRIES, "SIG{signal}");
        assert!(events.iter().any(|e| is(e, "stopped")), "SIG{signal}");
        assert_eq!(
            ws.sql_count("SELECT count(*) FROM posts"),
            (ANSWERED * ENTRIES) as i64,
            "SIG{signal}: every answered feed's batch is stored whole"
        );
        assert_eq!(
            ws.sql_count(
                "SELECT count(*) FROM sightings s JOIN feeds f ON f.id = s.feed_id WHERE f.name = 'Held'"
            ),
            0
        );
        gate.open();
    }
}

/// `/healthz` is 200 while polls are on schedule, and 503 with the reason once the
/// last poll is overdue (the clock moved past the next slot plus the grace).
#[cfg(unix)]
#[test]
fn healthz_turns_503_when_the_last_poll_is_overdue() {
    let server = FeedServer::start();
    server.route("/f", one_item_feed("1", "Outage"));
    // Every 30 minutes (the default); grace: 4 request timeouts (4 × 5 s) + 5 minutes.
    let ws = Workspace::new(
        "poll_schedule = \"0 */30 * * * *\"",
        &[("F", &server.url("/f"), None)],
        RULES,
    );
    let (_daemon, mut lines) = Daemon::start(&ws);
    let addr = lines.listening();
    lines.until("the first poll", 1, |e| is(e, "poll finished"));
    let (status, body) = http_get(&addr, "/healthz", &[]);
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok: last poll finished"), "{body}");

    // The next slot: the first half hour after the last poll.
    let last = chrono::DateTime::parse_from_rfc3339(
        body.trim().strip_prefix("ok: last poll finished ").unwrap(),
    )
    .unwrap()
    .timestamp();
    let next_slot = chrono::DateTime::from_timestamp((last / 1800 + 1) * 1800, 0).unwrap();
    // Just inside the grace of the next slot: still healthy.
    let grace = chrono::Duration::seconds(4 * 5) + chrono::Duration::minutes(5);
    ws.move_clock(next_slot + grace - chrono::Duration::seconds(30));
    let (status, body) = http_get(&addr, "/healthz", &[]);
    assert_eq!(status, 200, "{body}");

    // Past it, with no poll since: unhealthy, saying when the poll was due.
    ws.move_clock(next_slot + grace + chrono::Duration::seconds(30));
    let (status, body) = http_get(&addr, "/healthz", &[]);
    assert_eq!(status, 503, "{body}");
    let due = (next_slot + grace).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        body.starts_with("unhealthy: last poll finished ")
            && body.contains(&format!("the next one was due by {due}")),
        "{body}"
    );
}

/// A scheduled poll that finds the previous one still running (its feed held by the
/// server) is skipped, logged and counted; the running poll is never doubled.
#[cfg(unix)]
#[test]
fn overlapping_scheduled_polls_are_skipped_and_counted() {
    let server = FeedServer::start();
    let gate = Gate::new();
    server.route("/slow", one_item_feed("1", "Outage").held(&gate));
    let ws = Workspace::new(
        &format!("{EVERY_SECOND}\nrequest_timeout_secs = 120"),
        &[("Slow", &server.url("/slow"), None)],
        RULES,
    );
    let (_daemon, mut lines) = Daemon::start(&ws);
    let addr = lines.listening();
    server.wait_until("the first poll's request", |t| t.arrived("/slow") == 1);
    for _ in 0..3 {
        lines.until("a skipped poll", 5, |e| {
            is(
                e,
                "previous poll still running; skipping this scheduled poll",
            )
        });
    }
    let (_, metrics) = http_get(&addr, "/metrics", &[]);
    let skipped: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("gleaner_polls_skipped_total "))
        .unwrap_or_else(|| panic!("no gleaner_polls_skipped_total in\n{metrics}"))
        .parse()
        .unwrap();
    assert!(skipped >= 3, "{skipped} skipped polls counted, 3 logged");
    assert_eq!(
        server.traffic(|t| t.arrived("/slow")),
        1,
        "no second poll started while the first ran"
    );
    assert!(
        !metrics.contains("gleaner_poll_duration_seconds_count 1"),
        "no poll finished yet\n{metrics}"
    );

    // Released, the first poll finishes and the next slot polls again.
    gate.open();
    lines.until("the first poll to finish", 5, |e| is(e, "poll finished"));
    lines.until("a scheduled poll", 5, |e| is(e, "poll finished"));
    assert!(server.traffic(|t| t.answered("/slow")) >= 2);
}

/// A rule change reaches the stored scores through the daemon alone: the poll after the
/// edit re-scores what is stored (read here straight from the database, since any
/// command that reads scores would re-score them itself).
#[cfg(unix)]
#[test]
fn the_daemon_rescores_stored_entries_after_a_rule_change() {
    let server = FeedServer::start();
    server.route("/f", one_item_feed("1", "TCP keepalives and an outage"));
    let feeds = [("F", server.url("/f"))];
    let feeds: Vec<(&str, &str, Option<&str>)> =
        feeds.iter().map(|(n, u)| (*n, u.as_str(), None)).collect();
    let ws = Workspace::new(EVERY_SECOND, &feeds, RULES);
    let (_daemon, mut lines) = Daemon::start(&ws);
    lines.until("a first poll", 10, |e| is(e, "poll finished"));
    let score = || {
        let conn = rusqlite::Connection::open(ws.db()).unwrap();
        conn.query_row("SELECT score FROM posts", [], |r| r.get::<_, f64>(0))
            .unwrap()
    };
    // incident in the title: 3 × 2.
    assert_eq!(score(), 6.0);

    let rules = format!(
        "{}\n[[rule]]\nname = \"networking\"\npattern = '(?i)\\bkeepalives?\\b'\nweight = 2.5\n",
        RULES.replace("weight = 3.0", "weight = 1.0")
    );
    ws.write_config(EVERY_SECOND, &feeds, &rules);
    // Two more polls: the first may have read the config before the edit.
    for _ in 0..2 {
        lines.until("a poll after the edit", 10, |e| is(e, "poll finished"));
    }
    // incident 1 × 2, networking 2.5 × 2.
    assert_eq!(score(), 7.0);
    assert!(server.seen("/f").len() >= 3);
}

/// `/healthz` is 503 once the database stops answering: here its files are overwritten
/// on disk, the database with junk, its write-ahead log and shared-memory index with
/// zeros. (The daemon's connection serves the pages it has cached for as long as the
/// shared-memory index says nothing changed: zeroing it makes the next read go to the
/// files.)
#[cfg(unix)]
#[test]
fn healthz_turns_503_when_the_database_is_unusable() {
    use std::io::Write;
    let server = FeedServer::start();
    server.route("/f", one_item_feed("1", "Outage"));
    let ws = Workspace::new("", &[("F", &server.url("/f"), None)], RULES);
    let (_daemon, mut lines) = Daemon::start(&ws);
    let addr = lines.listening();
    lines.until("the first poll", 1, |e| is(e, "poll finished"));
    assert_eq!(http_get(&addr, "/healthz", &[]).0, 200);

    let overwrite = |path: &std::path::Path, byte: u8| {
        let len = std::fs::metadata(path).unwrap().len() as usize;
        let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.write_all(&vec![byte; len]).unwrap();
    };
    overwrite(&ws.db(), 0x5a);
    for suffix in ["-wal", "-shm"] {
        let file = format!("{}{suffix}", ws.db().display());
        overwrite(std::path::Path::new(&file), 0);
    }
    let (status, body) = http_get(&addr, "/healthz", &[]);
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("unhealthy: database unusable: ")
            && body.contains("is not a SQLite database"),
        "{body}"
    );
}

/// The daemon's log: one line per feed problem, with the feed, its URL, the error and
/// when it is tried again; one per poll with its sums; never one per entry.
#[cfg(unix)]
#[test]
fn the_daemon_logs_each_feed_problem_and_each_poll_never_each_entry() {
    let server = FeedServer::start();
    let (guids, links): (Vec<String>, Vec<String>) = (0..50)
        .map(|i| (format!("g{i}"), format!("https://entries.example/{i}")))
        .unzip();
    let items: Vec<Item> = (0..50)
        .map(|i| Item::new(&guids[i], &links[i], "An outage", ""))
        .collect();
    server.route("/good", Route::feed(rss(&items)));
    server.route("/bad", Route::status(500));
    let ws = Workspace::new(
        "poll_schedule = \"0 0 0 1 1 *\"",
        &[
            ("Good", &server.url("/good"), None),
            ("Bad", &server.url("/bad"), None),
        ],
        RULES,
    );
    let (_daemon, lines) = Daemon::start(&ws);
    let mut log = Vec::new();
    for line in lines.map_while(Result::ok) {
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        log.push((line, event.clone()));
        if is(&event, "poll finished") {
            break;
        }
    }
    let failed: Vec<&serde_json::Value> = log
        .iter()
        .map(|(_, e)| e)
        .filter(|e| is(e, "feed failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{log:#?}");
    assert_eq!(failed[0]["feed"], "Bad");
    assert_eq!(failed[0]["url"], server.url("/bad").as_str());
    assert!(
        failed[0]["error"].as_str().unwrap().contains("500"),
        "{}",
        failed[0]
    );
    let retry = failed[0]["retry_in_secs"].as_u64().unwrap();
    assert!(
        (240..=360).contains(&retry),
        "first retry in 5 minutes ±20%: {retry}"
    );
    let (_, finished) = log.last().unwrap();
    assert_eq!(
        (
            &finished["feeds"],
            &finished["new"],
            &finished["updated"],
            &finished["failed"]
        ),
        (&2.into(), &50.into(), &0.into(), &1.into())
    );
    assert!(finished["seconds"].as_f64().is_some(), "{finished}");
    for (line, _) in &log {
        assert!(
            !line.contains("entries.example"),
            "a line about an entry: {line}"
        );
    }
}

/// The metrics the README lists that a healthy poll does not move: a gone feed's
/// result, an updated entry, the configured feeds.
#[test]
fn the_metrics_count_gone_feeds_updated_entries_and_configured_feeds() {
    let server = FeedServer::start();
    server.route("/f", one_item_feed("a", "Outage at A"));
    server.route("/gone", Route::status(410));
    let ws = Workspace::new(
        EVERY_SECOND,
        &[
            ("F", &server.url("/f"), None),
            ("Gone", &server.url("/gone"), None),
        ],
        RULES,
    );
    let (_daemon, mut lines) = Daemon::start(&ws);
    let addr = lines.listening();
    lines.until("a first poll", 10, |e| is(e, "poll finished"));
    // The entry is edited: the next poll updates it.
    server.route("/f", one_item_feed("a", "Outage at A, and what we changed"));
    lines.until("a poll that updates the entry", 10, |e| {
        is(e, "poll finished") && e["updated"] == 1
    });
    let (_, metrics) = http_get(&addr, "/metrics", &[]);
    for line in [
        "gleaner_feed_fetches_total{result=\"gone\"} 1",
        "gleaner_entries_updated_total 1",
        "gleaner_feeds 2",
        "gleaner_feeds_failing 1",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
}
