//! When the database cannot be written (a full disk, here a file-size limit on the
//! process, since a test cannot mount a small file system): every feed says so, the
//! daemon turns unhealthy or refuses to start, and once writing works again the next
//! poll stores everything.

use std::os::unix::process::CommandExt;

use crate::util::{Daemon, FeedServer, Item, RULES, Route, Workspace, http_get, rss};

/// Limits the size of any file the command writes to `bytes` (RLIMIT_FSIZE); a write
/// past it fails with EFBIG, as on a full disk, instead of killing the process.
fn with_file_size_limit(mut command: std::process::Command, bytes: u64) -> std::process::Command {
    // SAFETY: only async-signal-safe calls (signal, setrlimit) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// 300 posts of ~4 KB each: far more than the limits below let the WAL take.
fn big_feed() -> String {
    let text = "An outage with retries. ".repeat(160);
    let posts: Vec<(String, String, String)> = (0..300)
        .map(|i| {
            (
                format!("g{i}"),
                format!("https://blog.example/{i}"),
                format!("Outage {i}"),
            )
        })
        .collect();
    let items: Vec<Item<'_>> = posts
        .iter()
        .map(|(guid, link, title)| Item::new(guid, link, title, &text))
        .collect();
    rss(&items)
}

fn workspace() -> (FeedServer, Workspace) {
    let first = Item::new("first", "https://blog.example/first", "First outage", "");
    let (server, ws) = Workspace::polled(Route::feed(rss(&[first])));
    server.route("/f", Route::feed(big_feed()));
    (server, ws)
}

#[test]
fn a_poll_that_cannot_write_says_so_and_the_next_stores_everything() {
    let (_server, ws) = workspace();
    let out = with_file_size_limit(ws.std_cmd(&["poll"]), 64 * 1024)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("F: could not store it: "), "{stdout}");
    assert!(stderr.contains("could not be written"), "{stderr}");
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM posts"),
        1,
        "nothing half-stored"
    );

    // Space is back: the next poll fetches the feed again (no validators were kept)
    // and stores all of it.
    ws.ok(&["poll"]);
    assert_eq!(ws.sql_count("SELECT count(*) FROM posts"), 301);
}

#[test]
fn the_daemon_refuses_a_database_it_cannot_write() {
    let (_server, ws) = workspace();
    let out = with_file_size_limit(ws.std_cmd(&["daemon"]), 0)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("check the disk's free space"), "{stderr}");
}

#[test]
fn a_daemon_whose_polls_cannot_write_is_unhealthy_and_says_why() {
    let (_server, ws) = workspace();
    let command = ws.std_cmd(&["--log-format", "json", "daemon"]);
    let (_daemon, lines) = Daemon::spawn(with_file_size_limit(command, 64 * 1024));
    let (mut addr, mut logged) = (String::new(), false);
    for line in lines.map_while(Result::ok) {
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(listening) = crate::util::listening_addr(&event) {
            addr = listening;
        }
        match event["message"].as_str() {
            Some("cannot store the feed") => {
                assert_eq!(event["feed"], "F", "{line}");
                assert!(event["error"].as_str().is_some_and(|e| !e.is_empty()));
                logged = true;
            }
            Some("poll finished") => break,
            _ => {}
        }
    }
    assert!(
        logged,
        "the storage error is logged with its feed and reason"
    );
    let (status, body) = http_get(&addr, "/healthz", &[]);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("could not write to the database"), "{body}");
    let (_, metrics) = http_get(&addr, "/metrics", &[]);
    assert!(
        metrics.contains("gleaner_feed_fetches_total{result=\"not_stored\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("gleaner_feeds_failing 1"), "{metrics}");
}

/// A damaged file is refused alike by every command that writes (before writing) and
/// by those that read (when they reach a damaged page), with the same advice.
#[test]
fn every_command_refuses_a_damaged_database_the_same_way() {
    let (_server, ws) = workspace();
    ws.ok(&["poll"]);
    let id = ws.sql_count("SELECT min(id) FROM posts").to_string();
    let mut bytes = std::fs::read(ws.db()).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page, "a database of some pages");
    let end = bytes.len() - page;
    for b in &mut bytes[2 * page..end] {
        *b = 0x5a;
    }
    std::fs::write(ws.db(), &bytes).unwrap();

    for args in [
        vec!["pick", id.as_str()],
        vec!["poll"],
        vec!["queue"],
        vec!["shortlist", "--week"],
        vec!["rescore"],
    ] {
        let (code, _, err) = ws.run(&args);
        assert_eq!(code, 2, "gleaner {args:?}: {err}");
        assert!(err.contains("is damaged"), "gleaner {args:?}: {err}");
        assert!(err.contains(".recover"), "gleaner {args:?}: {err}");
    }
    let after = std::fs::read(ws.db()).unwrap();
    assert!(after == bytes, "nothing was written into the damaged file");
}

/// What gleaner creates is its owner's alone: the data folder 0700; the database, its
/// WAL and shared-memory files, the weekly shortlists and an OPML export 0600.
#[test]
fn files_gleaner_creates_are_its_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let server = FeedServer::start();
    server.route(
        "/f",
        Route::feed(rss(&[Item::new(
            "a",
            "https://blog.example/a",
            "Outage",
            "",
        )])),
    );
    let ws = Workspace::new(
        "shortlist_schedule = \"*/1 * * * * *\"",
        &[("F", &server.url("/f"), None)],
        RULES,
    );
    ws.ok(&["poll"]);
    assert_eq!(mode(&ws.path().join("data")), 0o700);
    assert_eq!(mode(&ws.db()), 0o600);
    let export = ws.path().join("subscriptions.opml");
    ws.ok(&["export", "--output", export.to_str().unwrap()]);
    assert_eq!(mode(&export), 0o600);

    let (_daemon, lines) = Daemon::start(&ws);
    for line in lines.map_while(Result::ok) {
        if line.contains("shortlist written") {
            break;
        }
    }
    let db = ws.db().display().to_string();
    assert_eq!(mode(std::path::Path::new(&format!("{db}-wal"))), 0o600);
    assert_eq!(mode(std::path::Path::new(&format!("{db}-shm"))), 0o600);
    let shortlists = ws.path().join("data/shortlists");
    assert_eq!(mode(&shortlists), 0o700);
    for file in std::fs::read_dir(&shortlists).unwrap() {
        assert_eq!(mode(&file.unwrap().path()), 0o600);
    }
}
