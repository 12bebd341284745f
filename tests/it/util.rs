//! Test helpers: a real HTTP server on 127.0.0.1 serving feeds with real headers, a
//! workspace (temp dir + feeds.toml) and the built binary.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use assert_cmd::Command;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, Response, header};

/// What the server answers for one path.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    /// When set, conditional requests matching it get a 304.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When set, each request waits for one of the gate's passes before it is answered.
    pub gate: Option<Gate>,
}

/// Holds requests until the test lets them through: each request to a held route takes
/// one pass ([`Gate::pass`]) or goes through once the gate is opened ([`Gate::open`]).
/// Synchronization, not time: a request waits exactly as long as the test says.
#[derive(Clone, Debug)]
pub struct Gate(Arc<tokio::sync::Semaphore>);

impl Default for Gate {
    fn default() -> Gate {
        Gate::new()
    }
}

impl Gate {
    pub fn new() -> Gate {
        Gate(Arc::new(tokio::sync::Semaphore::new(0)))
    }

    /// Lets `n` more held requests through.
    pub fn pass(&self, n: usize) {
        self.0.add_permits(n);
    }

    /// Lets every request through, now and from now on.
    pub fn open(&self) {
        self.0.close();
    }

    async fn wait(&self) {
        if let Ok(permit) = self.0.acquire().await {
            permit.forget();
        }
    }
}

impl Route {
    /// An HTML page.
    pub fn page(body: impl Into<Vec<u8>>) -> Route {
        Route::feed(body).header("content-type", "text/html; charset=utf-8")
    }

    pub fn feed(body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            body: body.into(),
            headers: vec![(
                "content-type".into(),
                "application/rss+xml; charset=utf-8".into(),
            )],
            etag: None,
            last_modified: None,
            gate: None,
        }
    }

    pub fn status(status: u16) -> Route {
        Route {
            status,
            body: Vec::new(),
            headers: Vec::new(),
            etag: None,
            last_modified: None,
            gate: None,
        }
    }

    pub fn redirect(status: u16, location: &str) -> Route {
        Route::status(status).header("location", location)
    }

    /// Sets a header, replacing any of the same name.
    pub fn header(mut self, name: &str, value: &str) -> Route {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn with_validators(mut self, etag: &str, last_modified: &str) -> Route {
        self.etag = Some(etag.into());
        self.last_modified = Some(last_modified.into());
        self
    }

    /// Holds every request until `gate` lets it through.
    pub fn held(mut self, gate: &Gate) -> Route {
        self.gate = Some(gate.clone());
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub user_agent: Option<String>,
    pub status: u16,
    pub method: String,
    pub body: Vec<u8>,
}

/// What the server has seen so far: requests as they arrive, as they are answered, and
/// how many were in flight at once (in all, and per host: the `Host` header's name,
/// without the port).
#[derive(Default, Debug)]
pub struct Traffic {
    /// The path of every request, in the order they arrived.
    pub arrived: Vec<String>,
    /// Every request answered, in order.
    pub seen: Vec<Seen>,
    pub in_flight: usize,
    pub peak: usize,
    pub in_flight_by_host: HashMap<String, usize>,
    pub peak_by_host: HashMap<String, usize>,
}

impl Traffic {
    /// How many requests for `path` have arrived.
    pub fn arrived(&self, path: &str) -> usize {
        self.arrived.iter().filter(|p| *p == path).count()
    }

    /// How many requests for `path` have been answered.
    pub fn answered(&self, path: &str) -> usize {
        self.seen.iter().filter(|s| s.path == path).count()
    }

    pub fn in_flight_at(&self, host: &str) -> usize {
        self.in_flight_by_host.get(host).copied().unwrap_or(0)
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    traffic: Traffic,
}

/// The server's state and a condition variable notified at every change of it.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
        self.changed.notify_all();
    }
}

/// A request in flight, counted from its arrival until it is answered or dropped (a
/// client that hangs up while its request is held).
struct InFlight {
    shared: Arc<Shared>,
    host: String,
}

impl InFlight {
    fn enter(shared: &Arc<Shared>, host: String, path: String) -> InFlight {
        shared.update(|st| {
            let t = &mut st.traffic;
            t.arrived.push(path);
            t.in_flight += 1;
            t.peak = t.peak.max(t.in_flight);
            let n = t.in_flight_by_host.entry(host.clone()).or_default();
            *n += 1;
            let n = *n;
            let peak = t.peak_by_host.entry(host.clone()).or_default();
            *peak = (*peak).max(n);
        });
        InFlight {
            shared: shared.clone(),
            host,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared.update(|st| {
            st.traffic.in_flight -= 1;
            *st.traffic
                .in_flight_by_host
                .get_mut(&self.host)
                .expect("entered") -= 1;
        });
    }
}

/// An in-process axum server on 127.0.0.1:0 (or on several loopback addresses, one
/// routing table), running on its own thread.
pub struct FeedServer {
    pub addr: SocketAddr,
    /// Every address it listens on, `addr` first.
    pub addrs: Vec<SocketAddr>,
    shared: Arc<Shared>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl FeedServer {
    pub fn start() -> FeedServer {
        FeedServer::start_on(&["127.0.0.1"])
    }

    /// One server listening on each of `ips` (loopback addresses such as `127.0.0.2`:
    /// distinct hosts to a client, one routing table and one record of traffic here).
    pub fn start_on(ips: &[&str]) -> FeedServer {
        let shared = Arc::new(Shared::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let ips: Vec<String> = ips.iter().map(|ip| (*ip).to_owned()).collect();
        let server_shared = shared.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let shared = server_shared;
                let app = axum::Router::new().fallback(move |req: Request<Body>| {
                    let shared = shared.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let path = parts.uri.path().to_owned();
                        let host = parts
                            .headers
                            .get(header::HOST)
                            .and_then(|h| h.to_str().ok())
                            .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
                            .unwrap_or_default()
                            .to_owned();
                        let _in_flight = InFlight::enter(&shared, host, path.clone());
                        let body = axum::body::to_bytes(body, 1 << 20)
                            .await
                            .unwrap_or_default();
                        let gate = shared
                            .state
                            .lock()
                            .unwrap()
                            .routes
                            .get(&path)
                            .and_then(|r| r.gate.clone());
                        if let Some(gate) = gate {
                            gate.wait().await;
                        }
                        answer(&shared, Request::from_parts(parts, ()), body.to_vec())
                    }
                });
                let mut addrs = Vec::new();
                let mut servers = Vec::new();
                for ip in &ips {
                    let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
                        .await
                        .unwrap();
                    addrs.push(listener.local_addr().unwrap());
                    servers.push(axum::serve(listener, app.clone()).into_future());
                }
                addr_tx.send(addrs).unwrap();
                tokio::select! {
                    _ = futures_util::future::join_all(servers) => {}
                    _ = rx => {}
                }
            });
        });
        let addrs: Vec<SocketAddr> = addr_rx.recv().unwrap();
        FeedServer {
            addr: addrs[0],
            addrs,
            shared,
            _shutdown: tx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `path` on the address of `ip` (one of those the server was started on).
    pub fn url_on(&self, ip: &str, path: &str) -> String {
        let addr = self
            .addrs
            .iter()
            .find(|a| a.ip().to_string() == ip)
            .unwrap_or_else(|| panic!("the server does not listen on {ip}"));
        format!("http://{addr}{path}")
    }

    pub fn route(&self, path: &str, route: Route) {
        self.shared.update(|st| {
            st.routes.insert(path.to_owned(), route);
        });
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.traffic(|t| t.seen.iter().filter(|s| s.path == path).cloned().collect())
    }

    /// Reads the traffic so far.
    pub fn traffic<T>(&self, read: impl FnOnce(&Traffic) -> T) -> T {
        read(&self.shared.state.lock().unwrap().traffic)
    }

    /// Waits until `done` holds of the traffic (checked at every request's arrival and
    /// answer); fails the test, saying `what`, if it does not within a minute.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Traffic) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut st = self.shared.state.lock().unwrap();
        while !done(&st.traffic) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(
                !left.is_zero(),
                "waited a minute for {what}; the server saw {:?}",
                st.traffic
            );
            st = self.shared.changed.wait_timeout(st, left).unwrap().0;
        }
    }
}

fn answer(shared: &Shared, req: Request<()>, body: Vec<u8>) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let headers = req.headers();
    let get = |h: &HeaderMap, n: header::HeaderName| {
        h.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned)
    };
    let mut seen = Seen {
        path: path.clone(),
        if_none_match: get(headers, header::IF_NONE_MATCH),
        if_modified_since: get(headers, header::IF_MODIFIED_SINCE),
        user_agent: get(headers, header::USER_AGENT),
        status: 404,
        method: req.method().to_string(),
        body,
    };
    let mut st = shared.state.lock().unwrap();
    // A route may name its query (`/feed/?paged=2`); else the path alone answers.
    let with_query = req
        .uri()
        .query()
        .map(|q| format!("{path}?{q}"))
        .filter(|p| st.routes.contains_key(p));
    let response = match st.routes.get(with_query.as_ref().unwrap_or(&path)) {
        None => Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap(),
        Some(route) => {
            let not_modified = route.status == 200
                && (route.etag.is_some() && route.etag == seen.if_none_match
                    || route.etag.is_none()
                        && route.last_modified.is_some()
                        && route.last_modified == seen.if_modified_since);
            let mut b = Response::builder().status(if not_modified { 304 } else { route.status });
            for (k, v) in &route.headers {
                b = b.header(k.as_str(), HeaderValue::from_str(v).unwrap());
            }
            if let Some(e) = &route.etag {
                b = b.header(header::ETAG, e.as_str());
            }
            if let Some(lm) = &route.last_modified {
                b = b.header(header::LAST_MODIFIED, lm.as_str());
            }
            let body = if not_modified {
                Body::empty()
            } else {
                Body::from(route.body.clone())
            };
            b.body(body).unwrap()
        }
    };
    seen.status = response.status().as_u16();
    st.traffic.seen.push(seen);
    drop(st);
    shared.changed.notify_all();
    response
}

/// An item for [`rss`].
pub struct Item<'a> {
    pub guid: Option<&'a str>,
    pub link: Option<&'a str>,
    pub title: &'a str,
    pub description: &'a str,
    pub published: Option<String>,
    pub author: Option<&'a str>,
}

impl<'a> Item<'a> {
    pub fn new(guid: &'a str, link: &'a str, title: &'a str, description: &'a str) -> Item<'a> {
        Item {
            guid: Some(guid),
            link: Some(link),
            title,
            description,
            published: Some(recently().to_rfc2822()),
            author: None,
        }
    }
}

/// An RSS 2.0 document.
pub fn rss(items: &[Item<'_>]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Test</title><link>http://example.com/</link>\n",
    );
    for i in items {
        out.push_str("<item>");
        if let Some(g) = i.guid {
            out.push_str(&format!(
                "<guid isPermaLink=\"false\">{}</guid>",
                xml_escape(g)
            ));
        }
        if let Some(l) = i.link {
            out.push_str(&format!("<link>{}</link>", xml_escape(l)));
        }
        out.push_str(&format!(
            "<title>{}</title><description>{}</description>",
            xml_escape(i.title),
            xml_escape(i.description)
        ));
        if let Some(p) = &i.published {
            out.push_str(&format!("<pubDate>{p}</pubDate>"));
        }
        if let Some(a) = i.author {
            out.push_str(&format!(
                "<dc:creator xmlns:dc=\"http://purl.org/dc/elements/1.1/\">{}</dc:creator>",
                xml_escape(a)
            ));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel></rss>\n");
    out
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A little while ago, and in this ISO week (UTC, the workspaces' zone): two hours ago,
/// or halfway back to the week's start when that was less than two hours ago (the
/// tests' items were dated two hours ago once, and fell in last week every Monday
/// between 00:00 and 02:00).
pub fn recently() -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike;
    let now = now();
    let today = now.date_naive();
    let week_start = (today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday())))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let since = now - week_start;
    now - chrono::Duration::hours(2).min(since / 2)
}

/// An RFC 2822 date `h` hours ago.
pub fn hours_ago(h: i64) -> String {
    (now() - chrono::Duration::hours(h)).to_rfc2822()
}

// The tests' clock. Every command a test runs gets `GLEANER_NOW` from it, so the
// binary and the test agree on the time: it starts at `GLEANER_TEST_NOW` (RFC 3339)
// when the suite is run at a fixed instant, else at the real time, and runs on. A test
// that must hold at several instants sets each with [`at_instants`].
thread_local! {
    static CLOCK: std::cell::Cell<Option<(std::time::Instant, chrono::DateTime<chrono::Utc>)>> =
        const { std::cell::Cell::new(None) };
}

/// The time as this test sees it (see `CLOCK`).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let (anchor, start) = CLOCK.with(|c| {
        c.get().unwrap_or_else(|| {
            let start = std::env::var("GLEANER_TEST_NOW")
                .ok()
                .filter(|t| !t.is_empty())
                .map(|t| {
                    chrono::DateTime::parse_from_rfc3339(&t)
                        .expect("GLEANER_TEST_NOW is an RFC 3339 time")
                        .with_timezone(&chrono::Utc)
                })
                .unwrap_or_else(chrono::Utc::now);
            let anchored = (std::time::Instant::now(), start);
            c.set(Some(anchored));
            anchored
        })
    });
    start + anchor.elapsed()
}

/// Makes this test's clock start again at `at`.
pub fn set_now(at: chrono::DateTime<chrono::Utc>) {
    CLOCK.with(|c| c.set(Some((std::time::Instant::now(), at))));
}

/// An RFC 3339 instant, in UTC.
pub fn instant(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// The instants week-sensitive tests run at: the first half hour of a week, its last
/// half hour, mid-week, and the hours around the clocks going back in New York and in
/// Europe (the tests' zones that have DST).
pub const HARD_INSTANTS: &[&str] = &[
    "2026-11-30T00:30:00Z",
    "2026-11-29T23:30:00Z",
    "2026-11-25T12:00:00Z",
    "2026-11-01T06:30:00Z",
    "2026-10-25T01:30:00Z",
];

/// Runs `test` once with the clock at each of [`HARD_INSTANTS`], naming the instant
/// when it fails.
pub fn at_instants(test: impl Fn(&str)) {
    for at in HARD_INSTANTS {
        set_now(instant(at));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(at)));
        if let Err(panic) = result {
            eprintln!("failed with the clock at {at}");
            std::panic::resume_unwind(panic);
        }
    }
}

/// Noon UTC on the Friday of the ISO week before the current one.
pub fn last_weeks_friday_noon() -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike;
    let today = now().date_naive();
    let this_monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    let friday = this_monday - chrono::Days::new(3);
    friday.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

/// Runs the built binary with exactly `args` (no workspace config), asserts it
/// succeeded and returns its standard output as JSON.
pub fn gleaner_json(args: &[&str]) -> serde_json::Value {
    let out = assert_cmd::Command::cargo_bin("gleaner")
        .unwrap()
        .env_remove("GLEANER_CONFIG")
        .env("GLEANER_NOW", now().to_rfc3339())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gleaner {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A temp dir with a feeds.toml, driving the built binary.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

pub const RULES: &str = r#"
[[rule]]
name = "incident"
pattern = '(?i)\b(incident|outage)s?\b'
weight = 3.0

[[rule]]
name = "retries"
pattern = '(?i)\bretr(y|ies)\b'
weight = 2.0

[[rule]]
name = "webinar"
pattern = '(?i)\bwebinars?\b'
weight = -4.0
fields = ["title", "summary"]
"#;

impl Workspace {
    /// `feeds`: (name, url, org) triples; `settings`: extra lines for [settings].
    pub fn new(settings: &str, feeds: &[(&str, &str, Option<&str>)], rules: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace { dir };
        ws.write_config(settings, feeds, rules);
        ws
    }

    /// The most common set-up: a server answering `/f` with `body`, a workspace
    /// subscribed to it as `F` with [`RULES`], polled once.
    pub fn polled(body: Route) -> (FeedServer, Workspace) {
        let server = FeedServer::start();
        server.route("/f", body);
        let ws = Workspace::new("", &[("F", &server.url("/f"), None)], RULES);
        ws.ok(&["poll"]);
        (server, ws)
    }

    /// [`Workspace::new`] for feeds built in a loop: (name, URL) pairs, no org.
    pub fn with_feeds(settings: &str, feeds: &[(String, String)], rules: &str) -> Workspace {
        let feeds: Vec<(&str, &str, Option<&str>)> = feeds
            .iter()
            .map(|(name, url)| (name.as_str(), url.as_str(), None))
            .collect();
        Workspace::new(settings, &feeds, rules)
    }

    pub fn write_config(&self, settings: &str, feeds: &[(&str, &str, Option<&str>)], rules: &str) {
        // Short timeouts unless the test sets its own; no article pages unless the
        // test reads them (the feeds' links point at hosts that must not be looked up).
        let mut text = String::from("[settings]\n");
        for default in [
            "request_timeout_secs = 5",
            "connect_timeout_secs = 2",
            "fetch_articles = \"never\"",
        ] {
            let key = default.split(' ').next().unwrap();
            if !settings.contains(key) {
                text.push_str(default);
                text.push('\n');
            }
        }
        text.push_str(settings);
        text.push('\n');
        for (name, url, org) in feeds {
            text.push_str(&format!("\n[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n"));
            if let Some(org) = org {
                text.push_str(&format!("org = \"{org}\"\n"));
            }
        }
        text.push_str(rules);
        // Any free port, so daemons of tests running in parallel do not collide.
        if !rules.contains("[server]") {
            text.push_str("\n[server]\nlisten = \"127.0.0.1:0\"\n");
        }
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("feeds.toml")
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("data/gleaner.db")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("gleaner").unwrap();
        cmd.env_remove("GLEANER_CONFIG")
            .env_remove("GLEANER_LOG")
            .env("GLEANER_NOW", now().to_rfc3339());
        cmd.arg("--config").arg(self.config()).args(args);
        cmd
    }

    /// The command [`Workspace::cmd`] runs, as a plain `std` command (for what
    /// assert_cmd cannot set, such as resource limits).
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("gleaner"));
        cmd.env_remove("GLEANER_CONFIG")
            .env_remove("GLEANER_LOG")
            .env("GLEANER_NOW", now().to_rfc3339());
        cmd.arg("--config").arg(self.config()).args(args);
        cmd
    }

    /// Runs and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs, asserting exit 0, and returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(
            code, 0,
            "gleaner {args:?} failed\nstdout:\n{out}\nstderr:\n{err}"
        );
        out
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let (code, out, err) = self.run(args);
        assert!(
            code == 0 || code == 1,
            "gleaner {args:?} exit {code}\n{err}"
        );
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
    }

    /// The file a daemon started by [`Daemon::start`] takes its clock from.
    pub fn clock_file(&self) -> PathBuf {
        self.dir.path().join("clock")
    }

    /// Moves the clock of this test and of the daemons it started to `to`: their
    /// clocks jump there and run on.
    pub fn move_clock(&self, to: chrono::DateTime<chrono::Utc>) {
        set_now(to);
        let tmp = self.dir.path().join("clock.tmp");
        std::fs::write(&tmp, to.to_rfc3339()).unwrap();
        std::fs::rename(&tmp, self.clock_file()).unwrap();
    }

    pub fn sql_count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// The id of the stored post with this title.
    pub fn post_id(&self, title: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row("SELECT id FROM posts WHERE title = ?1", [title], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("no post titled {title:?}: {e}"))
    }
}

/// A command running while the test does something else (releasing the requests it
/// waits on); killed when dropped, so a failing test leaks no process.
pub struct Background(Option<std::process::Child>);

impl Background {
    /// Starts `command` with its output on pipes.
    pub fn spawn(mut command: std::process::Command) -> Background {
        let child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        Background(Some(child))
    }

    /// Waits for it to exit; returns its exit code and its standard output followed by
    /// its standard error.
    pub fn finish(mut self) -> (i32, String) {
        let out = self.0.take().unwrap().wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// How a [`RawServer`] misbehaves.
#[derive(Clone, Copy, Debug)]
pub enum Misbehaviour {
    /// Accepts the connection, reads the request, never answers.
    Silent,
    /// Sends headers, then the body one byte at a time, slowly.
    Trickle,
    /// Sends a body that never ends.
    Endless,
}

/// A TCP server on 127.0.0.1 that misbehaves on purpose. Each connection is served on
/// its own thread and ends when the client goes away (or after a bounded time).
pub struct RawServer {
    pub url: String,
}

impl RawServer {
    pub fn start(how: Misbehaviour) -> RawServer {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/feed", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(16) {
                let Ok(mut stream) = stream else { return };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf);
                    // It answers robots.txt at once, so an article page on it gets to
                    // misbehave.
                    if buf.starts_with(b"GET /robots.txt ") {
                        let _ = stream.write_all(
                            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        );
                        return;
                    }
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    match how {
                        Misbehaviour::Silent => {
                            // Blocks until the client hangs up (read returns 0) or times out.
                            let _ =
                                stream.set_read_timeout(Some(std::time::Duration::from_secs(20)));
                            let _ = stream.read(&mut buf);
                        }
                        Misbehaviour::Trickle => {
                            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: 100000\r\n\r\n<rss version=\"2.0\">";
                            if stream.write_all(head.as_bytes()).is_err() {
                                return;
                            }
                            while std::time::Instant::now() < deadline {
                                if stream.write_all(b" ").and_then(|_| stream.flush()).is_err() {
                                    return;
                                }
                                std::thread::sleep(std::time::Duration::from_millis(50));
                            }
                        }
                        Misbehaviour::Endless => {
                            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\nconnection: close\r\n\r\n<rss version=\"2.0\"><channel>";
                            if stream.write_all(head.as_bytes()).is_err() {
                                return;
                            }
                            let chunk = vec![b' '; 64 * 1024];
                            while std::time::Instant::now() < deadline {
                                if stream.write_all(&chunk).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        RawServer { url }
    }
}

/// `size` bytes of spaces, gzip-compressed (a few KB on the wire).
pub fn gzip_bomb(size: usize) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"<rss version=\"2.0\"><channel>").unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..size / chunk.len() {
        enc.write_all(&chunk).unwrap();
    }
    enc.finish().unwrap()
}

/// `size` bytes of spaces, brotli-compressed.
pub fn brotli_bomb(size: usize) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 1 << 16, 5, 22);
        enc.write_all(b"<rss version=\"2.0\"><channel>").unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..size / chunk.len() {
            enc.write_all(&chunk).unwrap();
        }
    }
    out
}

/// Seconds from now until an RFC 3339 time.
pub fn secs_until(rfc3339: &serde_json::Value) -> i64 {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339.as_str().expect("a time")).unwrap();
    (t.with_timezone(&chrono::Utc) - now()).num_seconds()
}

/// Seconds from `from`, cut to whole seconds as gleaner writes times, to a JSON RFC 3339
/// time. Taken just before the command that chose the time, it is never less than the
/// wait chosen, and more by at most the command's run.
pub fn secs_from(from: chrono::DateTime<chrono::Utc>, rfc3339: &serde_json::Value) -> i64 {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339.as_str().expect("a time")).unwrap();
    t.timestamp() - from.timestamp()
}

/// The named feed's object in `gleaner feeds --format json` output.
pub fn feed<'v>(feeds: &'v serde_json::Value, name: &str) -> &'v serde_json::Value {
    feeds
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no feed {name}"))
}

/// A plain HTTP/1.1 GET to `addr` (host:port); returns (status, body).
pub fn http_get(addr: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let (status, response) = http_get_raw(addr, path, headers);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A plain HTTP/1.1 GET; returns (status, the raw response: headers and body). A
/// `Host` among `headers` replaces the default (`addr`).
pub fn http_get_raw(addr: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = format!(
        "GET {path} HTTP/1.1\r\n{}Connection: close\r\n",
        host_line(addr, headers)
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    exchange(addr, &request)
}

fn host_line(addr: &str, headers: &[(&str, &str)]) -> String {
    if headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        String::new()
    } else {
        format!("Host: {addr}\r\n")
    }
}

/// A response header's value (the first of that name), from a raw response.
pub fn response_header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or("");
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// Sends a whole request on a new connection; returns (status, the raw response).
fn exchange(addr: &str, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

/// The daemon's log lines, as they come. A daemon that says nothing for
/// [`LogLines::PATIENCE`] fails the test instead of hanging the suite.
pub struct LogLines(std::sync::mpsc::Receiver<std::io::Result<String>>);

impl LogLines {
    pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

    /// Reads the daemon's JSON events until `want` accepts one, and returns it. Fails,
    /// saying `what`, when the daemon exits first, or arms `slots` poll firings first
    /// (a bound counted in the daemon's own schedule, for daemons polling every second;
    /// otherwise [`LogLines::PATIENCE`] bounds the wait).
    pub fn until(
        &mut self,
        what: &str,
        slots: usize,
        mut want: impl FnMut(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let mut armed = 0;
        for line in self.by_ref() {
            let line = line.unwrap();
            let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if want(&event) {
                return event;
            }
            if event["message"] == "next firing armed" && event["schedule"] == "poll" {
                armed += 1;
                assert!(armed <= slots, "{slots} poll slots passed without {what}");
            }
        }
        panic!("the daemon exited before {what}");
    }

    /// Waits for the daemon to say it is listening; returns its address.
    pub fn listening(&mut self) -> String {
        let event = self.until("the http server listening", usize::MAX, |e| {
            listening_addr(e).is_some()
        });
        listening_addr(&event).unwrap()
    }
}

/// The address in the daemon's "http server listening" event; `None` for any other.
pub fn listening_addr(event: &serde_json::Value) -> Option<String> {
    let message = event["message"].as_str()?;
    message.starts_with("http server listening").then(|| {
        event["addr"]
            .as_str()
            .expect("the listener's address")
            .to_owned()
    })
}

/// Whether a daemon's event has this message.
pub fn is(event: &serde_json::Value, message: &str) -> bool {
    event["message"] == message
}

impl Iterator for LogLines {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.0.recv_timeout(Self::PATIENCE) {
            Ok(line) => Some(line),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("the daemon logged nothing for {:?}", Self::PATIENCE)
            }
        }
    }
}

/// A daemon started by a test; killed when dropped, so a failing test leaks no process.
pub struct Daemon {
    pub child: std::process::Child,
}

impl Daemon {
    /// Starts `gleaner daemon` with JSON logs on a pipe, its clock movable with
    /// [`Workspace::move_clock`].
    pub fn start(ws: &Workspace) -> (Daemon, LogLines) {
        let mut command = ws.std_cmd(&["--log-format", "json", "daemon"]);
        command.env("GLEANER_NOW_FILE", ws.clock_file());
        Daemon::spawn(command)
    }

    /// Sends the daemon a signal (`TERM`, `INT`, …) as `kill` would.
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} failed");
    }

    /// Starts the daemon `command` runs (see [`Workspace::std_cmd`]).
    pub fn spawn(mut command: std::process::Command) -> (Daemon, LogLines) {
        use std::io::BufRead;
        let mut child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let reader = std::io::BufReader::new(child.stderr.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in reader.lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (Daemon { child }, LogLines(rx))
    }
}

impl Daemon {
    /// Starts the daemon and waits until it listens and has finished its first poll;
    /// returns it with its HTTP address.
    pub fn start_polled(ws: &Workspace) -> (Daemon, String) {
        let (daemon, lines) = Daemon::start(ws);
        let mut addr = String::new();
        for line in lines.map_while(Result::ok) {
            let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(listening) = listening_addr(&event) {
                addr = listening;
            } else if is(&event, "poll finished") {
                return (daemon, addr);
            }
        }
        panic!("the daemon exited before its first poll finished");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every case file of a corpus in `../shared/corpora` (`feed-rs`,
/// `feedparser/tests/illformed`…), in name order: its expected-output files
/// (`*.serde.json`) and `SOURCE.txt` left out.
pub fn corpus_files(sub: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if !path.to_string_lossy().ends_with(".serde.json")
                && !path.ends_with("SOURCE.txt")
            {
                out.push(path);
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora")
        .join(sub);
    assert!(
        dir.is_dir(),
        "corpus {} is missing: CI must run with shared/ beside the checkout",
        dir.display()
    );
    let mut paths = Vec::new();
    walk(&dir, &mut paths);
    paths.sort();
    paths
}

/// The candidate with this URL in a JSON list (`shortlist`, `queue`), or a panic that
/// shows the list.
pub fn by_url<'v>(list: &'v serde_json::Value, url: &str) -> &'v serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["url"] == url)
        .unwrap_or_else(|| panic!("no candidate {url} in {list:#}"))
}

/// The value of the first `name="…" value="…"` field of a page.
pub fn form_field(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} in\n{html}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// A form's fields as [`http_post`] takes them.
pub fn form_refs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A plain HTTP/1.1 POST of a urlencoded form; returns (status, headers and body).
pub fn http_post(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> (u16, String) {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\n{}Connection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
        host_line(addr, headers),
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    exchange(addr, &request)
}

/// A headless Chromium driven through chromedriver's WebDriver HTTP API (Debian's
/// `chromium` and `chromium-driver`, which `.ci/run` installs). Killed on drop.
pub struct Browser {
    driver: std::process::Child,
    addr: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn start() -> Browser {
        for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: install Debian's chromium and chromium-driver (.ci/run does)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = std::process::Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        // chromedriver is ready once it answers /status.
        let ready = (0..200).any(|_| {
            let up = std::net::TcpStream::connect(&addr).is_ok()
                && webdriver(&addr, "GET", "/status", None)["value"]["ready"] == true;
            if !up {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            up
        });
        assert!(ready, "chromedriver did not start");
        let profile = tempfile::tempdir().unwrap();
        let capabilities = serde_json::json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1100,900", format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let created = webdriver(&addr, "POST", "/session", Some(&capabilities));
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Browser {
            driver,
            addr,
            session,
            _profile: profile,
        }
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> serde_json::Value {
        webdriver(
            &self.addr,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(&serde_json::json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None)["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Presses and releases each key, as a person typing.
    pub fn keys(&self, keys: &str) {
        let actions: Vec<serde_json::Value> = keys
            .chars()
            .flat_map(|k| {
                [
                    serde_json::json!({"type": "keyDown", "value": k.to_string()}),
                    serde_json::json!({"type": "keyUp", "value": k.to_string()}),
                ]
            })
            .collect();
        self.call("POST", "/actions", Some(&serde_json::json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})));
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub fn script(&self, script: &str) -> serde_json::Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&serde_json::json!({"script": script, "args": []})),
        )["value"]
            .clone()
    }

    /// Waits until `script` returns true in the page, for at most a minute; says what
    /// it waited for when it gives up.
    pub fn wait_until(&self, what: &str, script: &str) {
        self.wait_for(what, |b| b.script(script) == serde_json::Value::Bool(true));
    }

    /// Waits (a minute at most) until `done` holds of the browser, asking it again
    /// every 50 ms: WebDriver has no event to wait on.
    pub fn wait_for(&self, what: &str, done: impl Fn(&Browser) -> bool) {
        poll_until(
            || done(self),
            std::time::Duration::from_millis(50),
            || {
                format!(
                    "{what} at {}: {}",
                    self.url(),
                    self.call("GET", "/source", None)["value"]
                )
            },
        );
    }

    /// Presses a chord: every key down in order, then up in reverse (`CTRL`, `ENTER`).
    pub fn chord(&self, keys: &[&str]) {
        let mut actions: Vec<serde_json::Value> = keys
            .iter()
            .map(|k| serde_json::json!({"type": "keyDown", "value": k}))
            .collect();
        actions.extend(
            keys.iter()
                .rev()
                .map(|k| serde_json::json!({"type": "keyUp", "value": k})),
        );
        self.call("POST", "/actions", Some(&serde_json::json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})));
        self.call("DELETE", "/actions", None);
    }

    /// Clicks the first element matching a CSS selector.
    pub fn click(&self, selector: &str) {
        let found = self.call(
            "POST",
            "/element",
            Some(&serde_json::json!({"using": "css selector", "value": selector})),
        );
        let element = found["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("no {selector} on the page: {found}"))
            .to_owned();
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(&serde_json::json!({})),
        );
    }

    /// Sets the window's size in CSS pixels.
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(&serde_json::json!({"width": width, "height": height})),
        );
    }

    /// Makes the page see `prefers-color-scheme: dark` (Chromium's DevTools protocol).
    pub fn emulate_dark(&self) {
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(&serde_json::json!({"cmd": "Emulation.setEmulatedMedia", "params": {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}})),
        );
    }

    /// How many windows and tabs the browser has open.
    pub fn window_count(&self) -> usize {
        self.call("GET", "/window/handles", None)["value"]
            .as_array()
            .map_or(0, Vec::len)
    }

    pub fn screenshot_png(&self) -> Vec<u8> {
        base64_decode(
            self.call("GET", "/screenshot", None)["value"]
                .as_str()
                .unwrap(),
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = webdriver(
            &self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn webdriver(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    use std::io::{Read, Write};
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return serde_json::Value::Null;
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return serde_json::Value::Null;
    }
    // chromedriver keeps connections open: read the headers, then Content-Length bytes.
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(60)));
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            _ => return serde_json::Value::Null,
        }
    }
    let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).is_err() {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (value(c) as u32) << (18 - 6 * i));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

/// WebDriver's codes for keys that are not characters.
pub const CTRL: &str = "\u{E009}";
pub const ENTER: &str = "\u{E007}";
pub const ESCAPE: &str = "\u{E00C}";

/// Asks `done` again every `pause` (a state with no event to wait on: a browser, a
/// process table) until it holds; after a minute, fails saying what it waited for.
pub fn poll_until(
    mut done: impl FnMut() -> bool,
    pause: std::time::Duration,
    what: impl FnOnce() -> String,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        if std::time::Instant::now() >= deadline {
            panic!("waited a minute in vain for {}", what());
        }
        if pause.is_zero() {
            std::thread::yield_now();
        } else {
            std::thread::sleep(pause);
        }
    }
}

/// A free port on 127.0.0.1 for a daemon that must keep its address across a
/// restart (the OS could hand it out again in between; nothing else in the suite
/// binds fixed ports).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Settings that read article pages, which are on loopback in tests: the private-address
/// guard lifted.
pub const READ_ARTICLES: &str = "fetch_articles = \"auto\"\nallow_private_articles = true";

/// A file of `tests/it/fixtures/reach`: article pages and aggregator feeds.
pub fn reach_fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/it/fixtures/reach/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
