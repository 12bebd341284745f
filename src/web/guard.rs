//! What stands between the network and the review page, in the order a request meets
//! it:
//! 1. [`security_headers`]: every response says what the browser may do with it (a
//!    Content-Security-Policy allowing only the page's own script and style, no
//!    framing, no sniffing, no referrer).
//! 2. [`check_host`]: DNS rebinding. A web site the editor visits can point its own name
//!    at 127.0.0.1 and then read and post to the page as "itself"; the `Host` (and the
//!    `Origin`, when sent) must be a name this server answers to: the listen address,
//!    `localhost`, `127.0.0.1` or `[::1]` with the port, the names in
//!    `[server] allowed_hosts`, or the host of `[notify] review_url`. Anything else
//!    gets 403 before any handler runs.
//! 3. [`require_token`]: with `[server] token` set, a request authenticates with
//!    `Authorization: Bearer …`, or `?token=…` (answered by a redirect to the same page
//!    without it, so the token stays out of history and logs), and from then on with
//!    an `HttpOnly; SameSite=Strict` cookie. `/shortlist.atom` keeps taking `?token=`:
//!    feed readers send no cookies.
//!
//! The form token and the session cookie are derived from a secret kept in the
//! database, so both survive a daemon restart.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::server::ServerState;

/// The Content-Security-Policy of every response: the page's own script and style
/// (served from `/static/`), forms posting to itself, and nothing else.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The cookie that carries the token after the first request.
pub const SESSION_COOKIE: &str = "gleaner_session";
/// How long the session cookie lasts (a changed token ends it sooner).
const SESSION_MAX_AGE_SECS: u64 = 30 * 24 * 3600;

/// The values derived from the database's secret.
#[derive(Clone)]
pub struct Secrets {
    /// The token every form echoes back.
    pub csrf: String,
    /// The session cookie's value, when `[server] token` is set.
    pub session: Option<String>,
}

impl Secrets {
    /// Derives the form token and, for `token`, the session cookie from `secret` (the
    /// database's, see [`REVIEW_SECRET`]): a restart keeps them, a new token ends
    /// every session.
    pub fn derive(secret: &str, token: Option<&str>) -> Secrets {
        Secrets {
            csrf: hash_hex(&["gleaner form token", secret])[..32].to_owned(),
            session: token.map(|t| hash_hex(&["gleaner session", secret, t])),
        }
    }
}

/// The meta key the review page's secret is kept under.
pub const REVIEW_SECRET: &str = "review_secret";

fn hash_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    crate::model::hex(&h.finalize())
}

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

pub async fn check_host(
    State(state): State<Arc<ServerState>>,
    request: Request,
    next: Next,
) -> Response {
    let config = state.config.lock().expect("config lock").clone();
    let allowed = |authority: &str| {
        host_allowed(
            authority,
            state.bound,
            &config.server.allowed_hosts,
            config.notify.review_url.as_ref(),
        )
    };
    let headers = request.headers();
    let host = header_str(headers, header::HOST.as_str())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !allowed(host) {
        return refuse(&format!(
            "Host `{host}` is not a name this server answers to; if you reach gleaner by it, add it to [server] allowed_hosts"
        ));
    }
    if let Some(origin) = header_str(headers, "origin")
        && !opaque_same_origin(headers, origin)
    {
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        if !authority.is_some_and(allowed) {
            return refuse(&format!("a request from the origin `{origin}`"));
        }
    }
    next.run(request).await
}

/// `Origin: null` from the page itself: under `Referrer-Policy: no-referrer` a browser
/// sends `null` as the origin of a form it posts, and says `Sec-Fetch-Site:
/// same-origin` (a header no page can set). The `Host` was checked already.
fn opaque_same_origin(headers: &HeaderMap, origin: &str) -> bool {
    origin == "null" && header_str(headers, "sec-fetch-site") == Some("same-origin")
}

fn refuse(why: &str) -> Response {
    (StatusCode::FORBIDDEN, format!("refused: {why}\n")).into_response()
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether a `Host` header (or an `Origin`'s `host[:port]`) names this server: a
/// loopback name or the listen address with the listen port, a name of
/// `allowed_hosts` (`name`: any port; `name:port`: that one), or the host of
/// `review_url` (with its port, which browsers leave out when it is the default).
pub fn host_allowed(
    authority: &str,
    bound: SocketAddr,
    allowed_hosts: &[String],
    review_url: Option<&url::Url>,
) -> bool {
    let authority = authority.trim().to_ascii_lowercase();
    let (name, port) = split_authority(&authority);
    let port: Option<u16> = match port {
        Some(p) => match p.parse() {
            Ok(p) => Some(p),
            Err(_) => return false,
        },
        None => None,
    };
    if name.is_empty() {
        return false;
    }
    let listen_ip = match bound.ip() {
        ip if ip.is_unspecified() => None,
        std::net::IpAddr::V4(ip) => Some(ip.to_string()),
        std::net::IpAddr::V6(ip) => Some(format!("[{ip}]")),
    };
    let loopback =
        ["localhost", "127.0.0.1", "[::1]"].contains(&name) || listen_ip.as_deref() == Some(name);
    if loopback && port == Some(bound.port()) {
        return true;
    }
    let listed = allowed_hosts.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        match split_authority(&entry) {
            (n, Some(p)) => n == name && Some(p) == port.map(|p| p.to_string()).as_deref(),
            (n, None) => n == name,
        }
    });
    let review = review_url.is_some_and(|url| {
        let host = url.host_str().map(str::to_ascii_lowercase);
        let default = url.port_or_known_default();
        host.as_deref() == Some(name)
            && match port {
                Some(p) => Some(p) == default,
                None => url.port().is_none(),
            }
    });
    listed || review
}

/// `("name", Some("port"))` from `name:port`, `[v6]:port`, or a bare name.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => (&authority[..=end], authority[end + 1..].strip_prefix(':')),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (authority, None),
    }
}

pub async fn require_token(
    State(state): State<Arc<ServerState>>,
    request: Request,
    next: Next,
) -> Response {
    let (Some(token), Some(session)) = (&state.token, &state.secrets.session) else {
        return next.run(request).await;
    };
    let given = |v: &str| constant_time_eq(v.as_bytes(), token.as_bytes());
    let query_token = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    let headers = request.headers();
    // Feed readers send no cookies: the feed keeps taking the token in its URL.
    if request.uri().path() == "/shortlist.atom" && query_token.as_deref().is_some_and(given) {
        return next.run(request).await;
    }
    let cookie_ok = cookie(headers, SESSION_COOKIE)
        .is_some_and(|c| constant_time_eq(c.as_bytes(), session.as_bytes()));
    if cookie_ok {
        return next.run(request).await;
    }
    let bearer = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(given);
    if bearer {
        let mut response = next.run(request).await;
        set_session_cookie(&mut response, session);
        return response;
    }
    let readable = matches!(*request.method(), Method::GET | Method::HEAD);
    if readable && query_token.as_deref().is_some_and(given) {
        let mut response = (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, without_token(request.uri()))],
        )
            .into_response();
        set_session_cookie(&mut response, session);
        return response;
    }
    unauthorized(headers)
}

/// The 401 answer. A page opened from another site (a link in the chat the webhook
/// posts to) is not sent a `SameSite=Strict` cookie; the answer to such a navigation
/// reloads itself once from this site, which sends it.
fn unauthorized(headers: &HeaderMap) -> Response {
    let cross_site_navigation = header_str(headers, "sec-fetch-mode") == Some("navigate")
        && header_str(headers, "sec-fetch-site").is_some_and(|s| s != "same-origin");
    if cross_site_navigation {
        return (
            StatusCode::UNAUTHORIZED,
            Html("<!DOCTYPE html><html><head><meta http-equiv=\"refresh\" content=\"0\"><title>gleaner</title></head>\
                  <body><p>Checking your session… A token is required: open the page with <code>?token=…</code> once.</p></body></html>\n"),
        )
            .into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        "a token is required: Authorization: Bearer <token>, or ?token=<token> once in a browser\n",
    )
        .into_response()
}

fn set_session_cookie(response: &mut Response, session: &str) {
    let value = format!(
        "{SESSION_COOKIE}={session}; Path=/; Max-Age={SESSION_MAX_AGE_SECS}; HttpOnly; SameSite=Strict"
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The request's path and query, without its `token` parameter.
fn without_token(uri: &axum::http::Uri) -> String {
    let rest: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k != "token")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    if rest.is_empty() {
        return uri.path().to_owned();
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(rest)
        .finish();
    format!("{}?{query}", uri.path())
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Why a state-changing request looks cross-site, if it does.
pub fn cross_site(headers: &HeaderMap, given: &str, expected: &str) -> Option<&'static str> {
    if header_str(headers, "sec-fetch-site").is_some_and(|site| site == "cross-site") {
        return Some("a cross-site request");
    }
    if let (Some(origin), Some(host)) = (header_str(headers, "origin"), header_str(headers, "host"))
    {
        let same = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(host)
            || opaque_same_origin(headers, origin);
        if !same {
            return Some("a request from another origin");
        }
    }
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return Some("a missing or wrong form token");
    }
    None
}

/// Compares without stopping at the first difference, so timing reveals nothing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn only_names_of_this_server_are_answered() {
        let bound: SocketAddr = "127.0.0.1:8311".parse().unwrap();
        let extra = vec!["gleaner.lan".to_owned(), "box.lan:9000".to_owned()];
        let review = url::Url::parse("https://review.example.com/").unwrap();
        let ok = |h: &str| host_allowed(h, bound, &extra, Some(&review));
        for good in [
            "127.0.0.1:8311",
            "localhost:8311",
            "LOCALHOST:8311",
            "[::1]:8311",
            "gleaner.lan",
            "gleaner.lan:8080",
            "box.lan:9000",
            "review.example.com",
            "review.example.com:443",
        ] {
            assert!(ok(good), "{good} refused");
        }
        for bad in [
            "evil.example:8311",
            "evil.example",
            "127.0.0.1:8312",
            "localhost",
            "box.lan:9001",
            "box.lan",
            "review.example.com:8443",
            "127.0.0.1.evil.example:8311",
            "",
            "localhost:x",
        ] {
            assert!(!ok(bad), "{bad} allowed");
        }
        // A listener on every address: its own IP is not known, so it must be listed.
        let any: SocketAddr = "0.0.0.0:8311".parse().unwrap();
        assert!(!host_allowed("192.168.1.5:8311", any, &[], None));
        assert!(host_allowed("localhost:8311", any, &[], None));
        let lan: SocketAddr = "192.168.1.5:8311".parse().unwrap();
        assert!(host_allowed("192.168.1.5:8311", lan, &[], None));
    }

    #[test]
    fn secrets_are_stable_and_tied_to_the_token() {
        let a = Secrets::derive("s3cret", Some("t"));
        let b = Secrets::derive("s3cret", Some("t"));
        assert_eq!((a.csrf.clone(), a.session.clone()), (b.csrf, b.session));
        assert_ne!(Secrets::derive("s3cret", Some("u")).session, a.session);
        assert_ne!(Secrets::derive("other", Some("t")).csrf, a.csrf);
        assert_eq!(Secrets::derive("s3cret", None).session, None);
    }

    #[test]
    fn the_token_leaves_the_url() {
        let uri: axum::http::Uri = "/?week=2026-W48&token=t0ken&all=1".parse().unwrap();
        assert_eq!(without_token(&uri), "/?week=2026-W48&all=1");
        let uri: axum::http::Uri = "/draft?token=t0ken".parse().unwrap();
        assert_eq!(without_token(&uri), "/draft");
    }
}
