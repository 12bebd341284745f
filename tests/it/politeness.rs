//! Politeness, measured at the server: how many requests a poll has in flight at once,
//! in all and per host, and how often a feed that is gone is asked again.

use crate::util::{
    Background, FeedServer, Gate, Item, RULES, Route, Traffic, Workspace, feed, rss,
};

fn feed_body(n: usize) -> Route {
    Route::feed(rss(&[Item::new(
        &format!("{n}"),
        &format!("https://blog.example/{n}"),
        &format!("Outage number {n}"),
        "",
    )]))
}

/// Lets a running poll's held requests through one at a time. Before each, waits until
/// the poll has sent every request it may (`full`: what the server should have seen
/// arrive, given how many were answered) or has gone over its limit (`over`); returns
/// as soon as it has, or once `total` requests were answered.
fn release_one_at_a_time(
    server: &FeedServer,
    gate: &Gate,
    total: usize,
    full: impl Fn(&Traffic) -> bool,
    over: impl Fn(&Traffic) -> bool,
) {
    for answered in 0..total {
        server.wait_until("the poll to send what it may", |t| full(t) || over(t));
        if server.traffic(&over) {
            break;
        }
        gate.pass(1);
        server.wait_until("the released request to be answered", |t| {
            t.seen.len() > answered
        });
    }
    gate.open();
}

#[test]
fn a_poll_fetches_at_most_concurrency_feeds_at_once() {
    const FEEDS: usize = 8;
    const LIMIT: usize = 3;
    let server = FeedServer::start();
    let gate = Gate::new();
    let feeds: Vec<(String, String)> = (0..FEEDS)
        .map(|n| {
            let path = format!("/f{n}");
            server.route(&path, feed_body(n).held(&gate));
            (format!("Feed {n}"), server.url(&path))
        })
        .collect();
    // One host, allowed every feed at once: only `concurrency` limits.
    let ws = Workspace::with_feeds(
        &format!("concurrency = {LIMIT}\nper_host_concurrency = {FEEDS}"),
        &feeds,
        RULES,
    );
    let poll = Background::spawn(ws.std_cmd(&["poll"]));
    release_one_at_a_time(
        &server,
        &gate,
        FEEDS,
        |t| t.arrived.len() == t.seen.len() + LIMIT.min(FEEDS - t.seen.len()),
        |t| t.peak > LIMIT,
    );
    let (code, out) = poll.finish();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{FEEDS} fetched")), "{out}");
    assert_eq!(
        server.traffic(|t| t.peak),
        LIMIT,
        "requests in flight at once"
    );
}

#[test]
fn a_poll_sends_one_host_at_most_per_host_concurrency_requests_at_once() {
    const HOSTS: [&str; 3] = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
    const PER_HOST_FEEDS: usize = 4;
    const LIMIT: usize = 2;
    let server = FeedServer::start_on(&HOSTS);
    let gate = Gate::new();
    let mut feeds = Vec::new();
    for (h, host) in HOSTS.iter().enumerate() {
        for n in 0..PER_HOST_FEEDS {
            let path = format!("/h{h}/f{n}");
            server.route(&path, feed_body(h * 10 + n).held(&gate));
            feeds.push((format!("Host {h} feed {n}"), server.url_on(host, &path)));
        }
    }
    let ws = Workspace::with_feeds(
        &format!("concurrency = 16\nper_host_concurrency = {LIMIT}"),
        &feeds,
        RULES,
    );
    let poll = Background::spawn(ws.std_cmd(&["poll"]));
    let of_host = |h: usize, paths: &mut dyn Iterator<Item = &String>| {
        paths.filter(|p| p.starts_with(&format!("/h{h}/"))).count()
    };
    release_one_at_a_time(
        &server,
        &gate,
        feeds.len(),
        |t| {
            (0..HOSTS.len()).all(|h| {
                let answered = of_host(h, &mut t.seen.iter().map(|s| &s.path));
                let arrived = of_host(h, &mut t.arrived.iter());
                arrived == answered + LIMIT.min(PER_HOST_FEEDS - answered)
            })
        },
        |t| t.peak_by_host.values().any(|&peak| peak > LIMIT),
    );
    let (code, out) = poll.finish();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{} fetched", feeds.len())), "{out}");
    for host in HOSTS {
        assert_eq!(
            server.traffic(|t| t.peak_by_host[host]),
            LIMIT,
            "requests in flight at once at {host}"
        );
    }
    assert_eq!(server.traffic(|t| t.peak), LIMIT * HOSTS.len());
}

/// Feeds of two hosts that redirect to a third: the third host gets no more than its
/// own per-host limit, whatever host each request started from, and a request waiting
/// for the third host's slot holds none of its first host's.
#[test]
fn a_redirects_target_host_gets_its_own_per_host_limit() {
    const FROM: [&str; 2] = ["127.0.0.1", "127.0.0.2"];
    const TO: &str = "127.0.0.3";
    const PER_HOST_FEEDS: usize = 3;
    const LIMIT: usize = 1;
    let server = FeedServer::start_on(&[FROM[0], FROM[1], TO]);
    let gate = Gate::new();
    let mut feeds = Vec::new();
    for (h, host) in FROM.iter().enumerate() {
        for n in 0..PER_HOST_FEEDS {
            let target = format!("/moved/h{h}/f{n}");
            server.route(&target, feed_body(h * 10 + n).held(&gate));
            let path = format!("/h{h}/f{n}");
            server.route(&path, Route::redirect(302, &server.url_on(TO, &target)));
            feeds.push((format!("Host {h} feed {n}"), server.url_on(host, &path)));
        }
    }
    let ws = Workspace::with_feeds(
        &format!("concurrency = 16\nper_host_concurrency = {LIMIT}"),
        &feeds,
        RULES,
    );
    let poll = Background::spawn(ws.std_cmd(&["poll"]));
    let held_at_target = |t: &Traffic| {
        let answered = t
            .seen
            .iter()
            .filter(|s| s.path.starts_with("/moved/"))
            .count();
        let arrived = t
            .arrived
            .iter()
            .filter(|p| p.starts_with("/moved/"))
            .count();
        (answered, arrived)
    };
    // Every feed's first hop is answered at once; a poll that gives its first host's
    // slot back before it waits for the target's has sent them all while one request
    // waits at the target. One that kept it cannot, without going over at the target.
    release_one_at_a_time(
        &server,
        &gate,
        feeds.len(),
        |t| {
            let (answered, arrived) = held_at_target(t);
            let first_hops = t
                .seen
                .iter()
                .filter(|s| !s.path.starts_with("/moved/"))
                .count();
            first_hops == feeds.len() && arrived == answered + LIMIT.min(feeds.len() - answered)
        },
        |t| t.peak_by_host.get(TO).is_some_and(|&peak| peak > LIMIT),
    );
    let (code, out) = poll.finish();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{} fetched", feeds.len())), "{out}");
    assert_eq!(
        server.traffic(|t| t.peak_by_host[TO]),
        LIMIT,
        "requests in flight at once at the redirects' target"
    );
}

/// A feed that answers 410 Gone is marked `gone` and asked again a week later, not at
/// every poll in between.
#[test]
fn a_gone_feed_is_retried_weekly_not_every_poll() {
    use crate::util::{now, set_now};
    let server = FeedServer::start();
    server.route("/gone", Route::status(410));
    server.route("/ok", feed_body(1));
    let ws = Workspace::new(
        "",
        &[
            ("Gone", &server.url("/gone"), None),
            ("Ok", &server.url("/ok"), None),
        ],
        RULES,
    );
    let start = now();
    let out = ws.ok(&["poll"]);
    assert!(out.contains("Gone: HTTP 410 Gone"), "{out}");
    let feeds = ws.json(&["feeds", "--format", "json"]);
    assert_eq!(feed(&feeds, "Gone")["status"], "gone");
    let next =
        chrono::DateTime::parse_from_rfc3339(feed(&feeds, "Gone")["next_poll"].as_str().unwrap())
            .unwrap();
    // Stored to the second: up to a second short of the test's own clock.
    let wait = next.with_timezone(&chrono::Utc) - start;
    assert!(
        wait >= chrono::Duration::days(7) - chrono::Duration::seconds(1)
            && wait <= chrono::Duration::days(7) + chrono::Duration::minutes(5),
        "next try in {wait}"
    );

    // Polls in the week after: the gone feed waits, the other is fetched each time.
    for later in [
        chrono::Duration::minutes(30),
        chrono::Duration::days(1),
        chrono::Duration::days(6) + chrono::Duration::hours(23),
    ] {
        set_now(start + later);
        let out = ws.ok(&["poll"]);
        assert!(out.contains("1 waiting"), "after {later}: {out}");
    }
    assert_eq!(server.seen("/gone").len(), 1, "asked once in the week");
    assert_eq!(server.seen("/ok").len(), 4);

    // A week on, it is asked again (and, still gone, waits another week).
    set_now(start + chrono::Duration::days(7) + chrono::Duration::minutes(10));
    let out = ws.ok(&["poll"]);
    assert!(out.contains("Gone: HTTP 410 Gone"), "{out}");
    assert_eq!(server.seen("/gone").len(), 2);
}
