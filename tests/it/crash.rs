//! Crashes and concurrency: the daemon killed with SIGKILL mid-poll, many times, and
//! CLI reads while it writes.

use crate::util::{Daemon, FeedServer, Gate, Item, RULES, Route, Workspace, rss};

const FEEDS: usize = 24;
const ENTRIES: usize = 80;

/// Feed `f` of the farm: `ENTRIES` entries linking to distinct posts (distinct titles:
/// the same title in two feeds would be one story), and one post every feed carries,
/// all published at `published`.
fn feed_route(f: usize, published: chrono::DateTime<chrono::Utc>) -> Route {
    let links: Vec<String> = (0..ENTRIES)
        .map(|e| format!("https://blog{f}.example/post/{e}"))
        .collect();
    let guids: Vec<String> = (0..ENTRIES).map(|e| format!("f{f}-e{e}")).collect();
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
    for item in &mut items {
        item.published = Some(published.to_rfc2822());
    }
    Route::feed(rss(&items))
}

/// `FEEDS` feeds (see [`feed_route`]), each held by `gate` if given, configured in order.
fn workspace(
    server: &FeedServer,
    settings: &str,
    published: chrono::DateTime<chrono::Utc>,
    gate: Option<&Gate>,
) -> Workspace {
    let feeds: Vec<(String, String)> = (0..FEEDS)
        .map(|f| {
            let path = format!("/feed{f}");
            let route = feed_route(f, published);
            server.route(&path, gate.map_or(route.clone(), |g| route.held(g)));
            (format!("Feed {f}"), server.url(&path))
        })
        .collect();
    Workspace::with_feeds(settings, &feeds, RULES)
}

/// Starts the daemon and returns once it has said it is listening.
fn start_daemon(ws: &Workspace) -> (Daemon, crate::util::LogLines) {
    let (daemon, mut lines) = Daemon::start(ws);
    lines.listening();
    (daemon, lines)
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

/// Eight kills with SIGKILL, each mid-poll: the daemon is killed once the server has
/// answered the feeds before a held one (a different one each round, from the second
/// feed to the last), so it has fetched and is writing some batches and cannot have
/// finished the poll. Whatever it was writing, the database is intact and each batch
/// all there or not at all; the next poll completes the work.
#[cfg(unix)]
#[test]
fn sigkill_mid_poll_loses_nothing_and_the_next_poll_completes() {
    let server = FeedServer::start();
    // One host, one request at a time: feeds are fetched in order, each answered
    // before the next is asked for. No scheduled poll: only the one at start.
    // The rounds move the clock on; the posts stay in the week they were published in.
    let published = crate::util::recently();
    let week = published.format("%G-W%V").to_string();
    let ws = workspace(
        &server,
        // Every post in the shortlist below, however many one feed has.
        "poll_schedule = \"0 0 0 1 1 *\"\nper_host_concurrency = 1\nrequest_timeout_secs = 120\nmax_per_feed = 0",
        published,
        None,
    );
    for round in 0..8 {
        // A clock an hour on each round, so this round's attempts are told apart.
        crate::util::set_now(crate::util::now() + chrono::Duration::hours(1));
        let started = crate::util::now().timestamp();
        let held = 1 + 3 * round;
        let gate = Gate::new();
        let held_path = format!("/feed{held}");
        server.route(&held_path, feed_route(held, published).held(&gate));
        let answered_before = server.traffic(|t| t.seen.len());
        let (mut daemon, _lines) = start_daemon(&ws);
        server.wait_until("the feeds before the held one, then the held one", |t| {
            t.arrived(&held_path) == 1
        });
        daemon.child.kill().unwrap();
        daemon.child.wait().unwrap();
        let answered = server.traffic(|t| t.seen.len()) - answered_before;
        gate.open();
        server.wait_until("the held request to end", |t| t.in_flight == 0);
        server.route(&held_path, feed_route(held, published));

        // Mid-poll: the feeds before the held one were answered in this round; the
        // held one was never recorded, so the poll never finished.
        assert_eq!(answered, held, "round {round}");
        assert_eq!(
            ws.sql_count(&format!(
                "SELECT count(*) FROM feeds WHERE name = 'Feed {held}' AND last_attempt >= {started}"
            )),
            0,
            "round {round}: the held feed was recorded, so the kill came after the poll"
        );
        assert_consistent(&ws, round);
    }
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
    let shared = ws.json(&[
        "shortlist",
        "--week",
        &week,
        "--limit",
        "5000",
        "--format",
        "json",
    ]);
    let story = crate::util::by_url(&shared, "https://shared.example/story");
    assert_eq!(story["also_in"].as_array().unwrap().len(), FEEDS - 1);
}

/// CLI reads while the daemon writes: each read is paused (SIGSTOP) once it has the
/// database open, one more feed is let through to the daemon, and the read resumes
/// only after the daemon committed that feed's batch. Every read succeeds, and a quarter
/// of them at least (most, in practice) provably overlapped a commit.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn cli_reads_never_fail_while_the_daemon_writes() {
    let server = FeedServer::start();
    let gate = Gate::new();
    let ws = workspace(
        &server,
        "request_timeout_secs = 120",
        crate::util::recently(),
        Some(&gate),
    );
    let (_daemon, _lines) = start_daemon(&ws);
    let db = ws.db().canonicalize().unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let posts = || -> i64 {
        conn.query_row("SELECT count(*) FROM posts", [], |r| r.get(0))
            .unwrap()
    };
    let reads: [&[&str]; 3] = [
        &["shortlist", "--limit", "5000", "--format", "json"],
        &["feeds", "--format", "json"],
        &["queue", "--format", "json"],
    ];
    let mut overlapped = 0;
    for feed in 0..FEEDS {
        let before = posts();
        let args = reads[feed % reads.len()];
        let mut reader = ws
            .std_cmd(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = reader.id() as libc::pid_t;
        // SAFETY: signals to our own child, which we have not reaped.
        let signal = |sig| assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
        if opens(&mut reader, &db) {
            signal(libc::SIGSTOP);
            wait_for(|| stopped_or_gone(&reader), "the reader to stop");
            if has_open(&reader, &db) {
                // Paused with the database open: the daemon commits meanwhile.
                gate.pass(1);
                server.wait_until("the released feed", |t| t.seen.len() > feed);
                wait_for(
                    || posts() > before,
                    "the daemon to commit the released feed",
                );
                overlapped += 1;
            } else {
                gate.pass(1);
            }
            signal(libc::SIGCONT);
        } else {
            gate.pass(1);
        }
        let out = reader.wait_with_output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "gleaner {args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    gate.open();
    assert!(
        overlapped >= FEEDS / 4,
        "only {overlapped} of {FEEDS} reads were caught with the database open"
    );
}

/// Whether the process has `db` open, watched until it has or until it exits.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn opens(child: &mut std::process::Child, db: &std::path::Path) -> bool {
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if has_open(child, db) {
            return true;
        }
        std::thread::yield_now();
    }
}

/// Whether the process is stopped (or has exited, or is exiting).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn stopped_or_gone(child: &std::process::Child) -> bool {
    std::fs::read_to_string(format!("/proc/{}/status", child.id())).map_or(true, |status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("State:"))
            .is_some_and(|state| state.trim_start().starts_with(['T', 't', 'Z', 'X']))
    })
}

/// Whether the process has `db` open now.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn has_open(child: &std::process::Child, db: &std::path::Path) -> bool {
    std::fs::read_dir(format!("/proc/{}/fd", child.id()))
        .into_iter()
        .flatten()
        .flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == db))
}

/// Waits until `done` holds, checking as often as it can (the moment is brief).
fn wait_for(done: impl FnMut() -> bool, what: &str) {
    crate::util::poll_until(done, std::time::Duration::ZERO, || what.to_owned());
}
