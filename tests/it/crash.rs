//! Crashes and concurrency: the daemon killed with SIGKILL mid-poll, many times, and
//! CLI reads while it writes.

use crate::util::{Daemon, FeedServer, Item, RULES, Route, Workspace, rss};

const FEEDS: usize = 24;
const ENTRIES: usize = 80;

/// `FEEDS` feeds of `ENTRIES` entries each; feed `f`'s entries link to distinct posts,
/// except that every feed also carries one shared post.
fn farm(server: &FeedServer) -> Vec<(String, String)> {
    (0..FEEDS)
        .map(|f| {
            let links: Vec<String> = (0..ENTRIES)
                .map(|e| format!("https://blog{f}.example/post/{e}"))
                .collect();
            let guids: Vec<String> = (0..ENTRIES).map(|e| format!("f{f}-e{e}")).collect();
            // Distinct titles: the same title in two feeds would be one story.
            let titles: Vec<String> = (0..ENTRIES)
                .map(|e| format!("An outage and its retries, part {f}-{e}"))
                .collect();
            let mut items: Vec<Item> = (0..ENTRIES)
                .map(|e| Item::new(&guids[e], &links[e], &titles[e], "A long incident review."))
                .collect();
            items.push(Item::new(
                "shared",
                "https://shared.example/story",
                "Shared incident",
                "",
            ));
            let path = format!("/feed{f}");
            server.route(&path, Route::feed(rss(&items)));
            (format!("Feed {f}"), server.url(&path))
        })
        .collect()
}

fn workspace(server: &FeedServer, settings: &str) -> Workspace {
    let feeds = farm(server);
    let feeds: Vec<(&str, &str, Option<&str>)> = feeds
        .iter()
        .map(|(n, u)| (n.as_str(), u.as_str(), None))
        .collect();
    Workspace::new(settings, &feeds, RULES)
}

/// Starts the daemon and returns once it has said it is listening.
fn start_daemon(ws: &Workspace) -> (Daemon, crate::util::LogLines) {
    let (daemon, mut lines) = Daemon::start(ws);
    for line in lines.by_ref() {
        if line.unwrap().contains("http server listening") {
            return (daemon, lines);
        }
    }
    panic!("the daemon exited before listening");
}

/// Whatever the moment of the crash: the database is intact, no post is stored twice,
/// and every feed's batch is all there or not there at all.
fn assert_consistent(ws: &Workspace, round: usize) {
    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "round {round}");
    let duplicated = ws
        .sql_count("SELECT count(*) FROM (SELECT url FROM posts GROUP BY url HAVING count(*) > 1)");
    assert_eq!(duplicated, 0, "round {round}: a post is stored twice");
    let mut stmt = conn
        .prepare(
            "SELECT f.name, (SELECT count(*) FROM sightings s WHERE s.feed_id = f.id) FROM feeds f",
        )
        .unwrap();
    let counts: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, n) in counts {
        assert!(
            n == 0 || n == ENTRIES as i64 + 1,
            "round {round}: {name} has {n} of {} entries",
            ENTRIES + 1
        );
    }
}

#[cfg(unix)]
#[test]
fn sigkill_at_random_points_loses_nothing_and_the_next_poll_completes() {
    let server = FeedServer::start();
    // One host, one request at a time: a poll takes long enough to be killed inside.
    let ws = workspace(
        &server,
        // Every post in the shortlist below, however many one feed has.
        "poll_schedule = \"*/1 * * * * *\"\nper_host_concurrency = 1\nmax_per_feed = 0",
    );
    let mut rng = fastrand::Rng::with_seed(7);
    let mut mid_poll = 0;
    for round in 0..8 {
        let started = crate::util::now().timestamp();
        let (mut daemon, _lines) = start_daemon(&ws);
        // The kill point is what is random here; nothing waits on it to be correct.
        std::thread::sleep(std::time::Duration::from_millis(rng.u64(0..400)));
        daemon.child.kill().unwrap();
        daemon.child.wait().unwrap();
        assert_consistent(&ws, round);
        let attempted = ws.sql_count(&format!(
            "SELECT count(*) FROM feeds WHERE last_attempt >= {started}"
        ));
        if attempted > 0 && attempted < FEEDS as i64 {
            mid_poll += 1;
        }
    }
    println!("{mid_poll} of 8 kills landed mid-poll");
    let out = ws.ok(&["poll", "--force"]);
    assert!(
        out.contains(&format!("polled {FEEDS} feeds: {FEEDS} fetched")),
        "{out}"
    );
    assert_consistent(&ws, 99);
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM posts"),
        (FEEDS * ENTRIES + 1) as i64
    );
    let shared = ws.json(&["shortlist", "--limit", "5000", "--format", "json"]);
    let story = shared
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["url"] == "https://shared.example/story")
        .unwrap();
    assert_eq!(story["also_in"].as_array().unwrap().len(), FEEDS - 1);
}

#[cfg(unix)]
#[test]
fn cli_reads_never_fail_while_the_daemon_writes() {
    let server = FeedServer::start();
    let ws = workspace(&server, "poll_schedule = \"*/1 * * * * *\"");
    let (_daemon, lines) = start_daemon(&ws);
    // The daemon's log says when each poll finishes.
    let (tx, polls) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if line.contains("\"poll finished\"") && tx.send(()).is_err() {
                return;
            }
        }
    });
    let (mut finished, mut reads) = (0, 0);
    while finished < 3 {
        for args in [
            &["shortlist", "--format", "json"][..],
            &["feeds", "--format", "json"],
            &["explain", "1"],
        ] {
            let (code, _, err) = ws.run(args);
            assert!(
                code == 0 || code == 1,
                "gleaner {args:?} exit {code}: {err}"
            );
            reads += 1;
        }
        finished += polls.try_iter().count();
    }
    assert!(reads >= 3);
}
