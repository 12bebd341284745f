//! The review page's defences, over real HTTP against the daemon: DNS rebinding (the
//! `Host` and `Origin` allow-list), the security headers on every response, and the
//! token kept out of the page's URLs (a cookie carries it after the first request).

use crate::util::{
    Daemon, FeedServer, Item, RULES, Route, Workspace, form_field, form_refs, http_get,
    http_get_raw, http_post, response_header, rss,
};

fn daemon_with(server_section: &str) -> (FeedServer, Workspace, Daemon, String) {
    let server = FeedServer::start();
    server.route(
        "/f",
        Route::feed(rss(&[
            Item::new(
                "a",
                "https://blog.example/a",
                "Outage: retry storm",
                "An incident.",
            ),
            Item::new("b", "https://blog.example/b", "Incident review", ""),
        ])),
    );
    let ws = Workspace::new(
        "",
        &[("F", &server.url("/f"), Some("Example Co"))],
        &format!("{RULES}\n{server_section}"),
    );
    let (daemon, addr) = Daemon::start_polled(&ws);
    (server, ws, daemon, addr)
}

fn pick_form(html: &str) -> Vec<(&'static str, String)> {
    vec![
        ("id", form_field(html, "id")),
        ("action", "pick".into()),
        ("week", form_field(html, "week")),
        ("pos", "0".into()),
        ("note", "Rebound.".into()),
        ("csrf", form_field(html, "csrf")),
    ]
}

#[test]
fn a_rebinding_site_gets_nothing_and_changes_nothing() {
    let (_server, ws, _daemon, addr) = daemon_with(
        "[server]\nlisten = \"127.0.0.1:0\"\nallowed_hosts = [\"gleaner.lan\"]\n\
         [notify]\nreview_url = \"http://review.example.net:8080/\"\n",
    );
    let port = addr.rsplit(':').next().unwrap();
    let evil = format!("evil.example:{port}");
    let evil_origin = format!("http://{evil}");
    let (_, page) = http_get(&addr, "/", &[]);
    let form = pick_form(&page);

    for path in [
        "/",
        "/draft",
        "/metrics",
        "/healthz",
        "/shortlist.atom",
        "/static/page.js",
    ] {
        let (status, body) = http_get(&addr, path, &[("Host", &evil), ("Origin", &evil_origin)]);
        assert_eq!(status, 403, "{path}: {body}");
        assert!(!body.contains("Outage"), "{path} leaked: {body}");
        // A foreign Origin alone, with our own Host, is refused too.
        let (status, _) = http_get(&addr, path, &[("Origin", &evil_origin)]);
        assert_eq!(status, 403, "{path} with a foreign origin");
    }
    // The page's own form token, posted through the rebound name: refused, nothing stored.
    let (status, _) = http_post(
        &addr,
        "/decide",
        &[("Host", &evil), ("Origin", &evil_origin)],
        &form_refs(&form),
    );
    assert_eq!(status, 403);
    let (status, _) = http_post(&addr, "/decide", &[("Host", &evil)], &form_refs(&form));
    assert_eq!(status, 403);
    assert_eq!(ws.sql_count("SELECT count(*) FROM decisions"), 0);

    // The names this server answers to.
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "gleaner.lan".into(),
        "gleaner.lan:8311".into(),
        "review.example.net:8080".into(),
    ] {
        assert_eq!(
            http_get(&addr, "/healthz", &[("Host", &host)]).0,
            200,
            "{host}"
        );
    }
    let origin = format!("http://{addr}");
    let (status, raw) = http_post(&addr, "/decide", &[("Origin", &origin)], &form_refs(&form));
    assert_eq!(status, 303, "{raw}");
    assert_eq!(ws.sql_count("SELECT count(*) FROM decisions"), 1);
}

#[test]
fn every_response_forbids_framing_sniffing_and_foreign_scripts() {
    let (_server, _ws, _daemon, addr) = daemon_with("");
    let port = addr.rsplit(':').next().unwrap();
    let evil = format!("evil.example:{port}");
    let evil_host = [("Host", evil.as_str())];
    type Headers<'h> = &'h [(&'h str, &'h str)];
    let cases: [(&str, Headers, u16); 8] = [
        ("/", &[], 200),
        ("/draft", &[], 200),
        ("/static/page.js", &[], 200),
        ("/static/page.css", &[], 200),
        ("/metrics", &[], 200),
        ("/shortlist.atom", &[], 200),
        ("/no-such-page", &[], 404),
        ("/", &evil_host, 403),
    ];
    for (path, headers, want) in cases {
        let (status, raw) = http_get_raw(&addr, path, headers);
        assert_eq!(status, want, "{path}");
        let header = |name: &str| response_header(&raw, name).unwrap_or_default();
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: CSP `{csp}` lacks {directive}"
            );
        }
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
    }
    // The pages need nothing the policy forbids: no inline script, style or handler.
    for path in ["/", "/draft"] {
        let (_, html) = http_get(&addr, path, &[]);
        assert!(!html.contains("<style"), "{path} has an inline style sheet");
        assert!(!html.contains(" style=\""), "{path} has a style attribute");
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script src=\"/static/page.js?v=").count(),
            "{path} has an inline script"
        );
        assert!(!html.contains(" onclick="), "{path} has an inline handler");
    }
}

#[test]
fn with_a_token_the_token_never_rides_in_the_pages_urls() {
    let (_server, ws, _daemon, addr) =
        daemon_with("[server]\nlisten = \"127.0.0.1:0\"\ntoken = \"t0ken\"\n");
    let week = ws.json(&["queue", "--format", "json"])[0]["week"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(http_get(&addr, "/", &[]).0, 401);

    // ?token= once: a redirect to the same page without it, and a cookie.
    let (status, raw) = http_get_raw(&addr, &format!("/?week={week}&token=t0ken"), &[]);
    assert_eq!(status, 303, "{raw}");
    assert_eq!(
        response_header(&raw, "location").as_deref(),
        Some(format!("/?week={week}").as_str())
    );
    let set_cookie = response_header(&raw, "set-cookie").unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    assert!(
        !set_cookie.contains("t0ken"),
        "the cookie is not the token itself"
    );
    let session = set_cookie.split(';').next().unwrap().to_owned();

    // From then on the cookie carries it, and no URL of the pages holds the token.
    let cookie = [("Cookie", session.as_str())];
    let (status, page) = http_get(&addr, "/", &cookie);
    assert_eq!(status, 200);
    let (status, draft) = http_get(&addr, "/draft", &cookie);
    assert_eq!(status, 200);
    for html in [&page, &draft] {
        assert!(
            !html.contains("t0ken") && !html.contains("token="),
            "{html}"
        );
    }
    let origin = format!("http://{addr}");
    let mut headers = cookie.to_vec();
    headers.push(("Origin", &origin));
    let form = pick_form(&page);
    let (status, raw) = http_post(&addr, "/decide", &headers, &form_refs(&form));
    assert_eq!(status, 303, "{raw}");
    let location = response_header(&raw, "location").unwrap();
    assert!(!location.contains("token"), "{location}");
    assert_eq!(ws.sql_count("SELECT count(*) FROM decisions"), 1);

    // A wrong cookie is no session; a bearer header still works (scrapers, scripts).
    assert_eq!(
        http_get(&addr, "/", &[("Cookie", "gleaner_session=forged")]).0,
        401
    );
    assert_eq!(
        http_get(&addr, "/metrics", &[("Authorization", "Bearer t0ken")]).0,
        200
    );
    // The feed keeps its token in its URL: feed readers send no cookies.
    let (status, raw) = http_get_raw(&addr, "/shortlist.atom?token=t0ken", &[]);
    assert_eq!(status, 200, "{raw}");
    assert!(raw.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert_eq!(http_get(&addr, "/shortlist.atom", &[]).0, 401);
    // A link from another site (the webhook's chat) gets no SameSite=Strict cookie:
    // the answer reloads itself once, from this site, which sends it.
    let (status, body) = http_get(
        &addr,
        "/",
        &[
            ("Sec-Fetch-Mode", "navigate"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    );
    assert_eq!(status, 401);
    assert!(body.contains("http-equiv=\"refresh\""), "{body}");
    let (_, body) = http_get(
        &addr,
        "/",
        &[
            ("Sec-Fetch-Mode", "navigate"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
    );
    assert!(!body.contains("refresh"), "no reload loop: {body}");
}
