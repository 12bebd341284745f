//! Fetch: a feed URL + cached validators → [`Fetched`], `NotModified` or a
//! [`FetchError`]. The only module that speaks HTTP.
//!
//! Politeness and safety, all enforced here:
//! - conditional GET: the stored `ETag` / `Last-Modified` are sent back, a 304 costs
//!   nothing;
//! - an honest `User-Agent` naming gleaner and its version;
//! - a connect timeout, and one deadline for the whole fetch (every redirect hop and the
//!   body), so a server that trickles bytes cannot hold a poll;
//! - the body is streamed and capped *after* decompression (a gzip bomb stops at the
//!   cap, memory stays bounded);
//! - redirects are followed by hand, at most `max_redirects`, so a chain made only of
//!   permanent hops (301/308) can move the stored URL and a temporary one (302/307)
//!   cannot;
//! - at most `per_host_concurrency` requests to one host at a time, a redirect's
//!   target host included (the global limit is the caller's `concurrency`);
//! - `Retry-After` (seconds or HTTP date) is reported so the caller waits at least that.
//!
//! Article pages and robots.txt (`pages`) go through the same limits (the per-host
//! slots are shared with feeds), with their own `Accept`, a body cut at what will be
//! read rather than refused, and, unless `allow_private_articles`, no connection to a
//! loopback, private or link-local address: anyone can submit a link to an aggregator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::sync::Semaphore;
use url::Url;

use crate::config::Settings;

mod dns;
mod headers;
mod pages;

pub use headers::retry_after;
use headers::{charset_of, header_string, max_age, media_type};

pub use pages::is_private;

/// Validators remembered from the last successful fetch.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A 200 response, body read in full.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Where the body came from after redirects (base for relative links).
    pub final_url: String,
    /// The new URL, when every hop was a permanent redirect.
    pub moved_to: Option<String>,
    /// The `charset` of the Content-Type header, if any.
    pub charset: Option<String>,
    /// `Cache-Control: max-age`, if the server sent one.
    pub max_age: Option<Duration>,
    /// The media type of the Content-Type header, lower-cased, without parameters.
    pub content_type: Option<String>,
    /// The body was cut at the page's cap (see [`Fetcher::fetch_page`]).
    pub truncated: bool,
}

#[derive(Debug, Clone)]
pub enum FetchOutcome {
    Fetched(Fetched),
    NotModified {
        moved_to: Option<String>,
        max_age: Option<Duration>,
    },
    Failed(FetchError),
}

/// What kind of failure: `Gone` changes how long the feed waits, `Timeout` how the
/// message reads; the rest classify for the log and future use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Dns,
    Connect,
    Timeout,
    /// A status the feed should not answer with (4xx, 5xx).
    Status,
    /// 410: the publisher says the feed is gone for good.
    Gone,
    TooLarge,
    Redirects,
    /// An article's host is on a loopback, private or link-local address.
    PrivateAddress,
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub kind: FailureKind,
    pub http_status: Option<u16>,
    /// How long the server asked us to wait.
    pub retry_after: Option<Duration>,
    pub message: String,
}

impl FetchError {
    fn new(kind: FailureKind, message: impl Into<String>) -> FetchError {
        FetchError {
            kind,
            http_status: None,
            retry_after: None,
            message: message.into(),
        }
    }
}

const FEED_ACCEPT: &str = "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";
const PAGE_ACCEPT: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";

/// What a request is for: each has its own `Accept` and body policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Feed,
    /// A `kind = "page"` feed's listing page: the editor's own URL, as a feed's is.
    Listing,
    /// A feed looked for on a site a stranger linked (`gleaner sources`): kept off
    /// private addresses as a page is.
    LinkedFeed,
    Page,
    Robots,
}

impl Want {
    /// Where the body is cut rather than refused: a page or robots.txt past what is
    /// read of it is still worth reading.
    fn cut_at(self) -> Option<usize> {
        match self {
            Want::Feed | Want::LinkedFeed => None,
            Want::Listing | Want::Page => Some(crate::ingest::article::MAX_PAGE_BYTES),
            Want::Robots => Some(crate::ingest::robots::MAX_ROBOTS_BYTES),
        }
    }
}

pub struct Fetcher {
    client: reqwest::Client,
    /// For article pages and robots.txt (see [`pages`]), built on first use: building
    /// a client reads the system's certificates (150 files here, 20 ms), which a poll
    /// that reads no page should not pay for.
    pages: pages::PageClient,
    allow_private: bool,
    deadline: Duration,
    max_body: u64,
    max_redirects: usize,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// What every client gleaner builds has: its User-Agent, timeouts, no automatic
/// redirects (each hop is looked at), decompression, the per-host pool.
fn client_builder(settings: &Settings) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(settings.user_agent.clone())
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .gzip(true)
        .brotli(true)
        .deflate(true)
        .pool_max_idle_per_host(settings.per_host_concurrency)
}

/// A host's name and one of its `per_host_concurrency` slots, held while it is asked.
type HostSlot = (String, tokio::sync::OwnedSemaphorePermit);

impl Fetcher {
    pub fn new(settings: &Settings) -> anyhow::Result<Fetcher> {
        install_crypto_provider();
        let client = client_builder(settings)
            .dns_resolver(std::sync::Arc::new(dns::System))
            .build()?;
        Ok(Fetcher {
            client,
            pages: pages::PageClient::new(settings),
            allow_private: settings.allow_private_articles,
            deadline: settings.request_timeout,
            max_body: settings.max_body_bytes,
            max_redirects: settings.max_redirects,
            per_host: settings.per_host_concurrency,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// Fetches `url`, never returning an `Err`: every failure is a `Failed` outcome.
    pub async fn fetch(&self, url: &str, validators: &Validators) -> FetchOutcome {
        self.fetch_as(url, validators, Want::Feed).await
    }

    /// Fetches what may be a feed on a site a stranger linked (`gleaner sources`): as a
    /// feed, but never from a private address unless `allow_private_articles`.
    pub async fn fetch_linked(&self, url: &str) -> FetchOutcome {
        self.fetch_as(url, &Validators::default(), Want::LinkedFeed)
            .await
    }

    /// Fetches a `kind = "page"` feed's listing page: as a feed (its client, conditional
    /// GET), but asking for HTML and cutting the body as an article page's.
    pub async fn fetch_listing(&self, url: &str, validators: &Validators) -> FetchOutcome {
        self.fetch_as(url, validators, Want::Listing).await
    }

    async fn fetch_as(&self, url: &str, validators: &Validators, want: Want) -> FetchOutcome {
        // Waiting for the first host's slot is not the request's time: the deadline
        // starts once it is held.
        let slot = self.slot_for(url, None).await;
        // reqwest's own timeout and this deadline race; both mean the same to the user.
        let timed_out = || {
            FetchError::new(
                FailureKind::Timeout,
                format!(
                    "no complete answer within {}s (request_timeout_secs)",
                    self.deadline.as_secs()
                ),
            )
        };
        let fetch = self.fetch_following_redirects(url, validators, want, slot);
        match tokio::time::timeout(self.deadline, fetch).await {
            Ok(FetchOutcome::Failed(err)) if err.kind == FailureKind::Timeout => {
                FetchOutcome::Failed(timed_out())
            }
            Ok(outcome) => outcome,
            Err(_) => FetchOutcome::Failed(timed_out()),
        }
    }

    /// The slot of `url`'s host: `held` when it is that host's, else (given back
    /// first: holding two could deadlock two chains redirecting across each other's
    /// hosts) a new one.
    async fn slot_for(&self, url: &str, held: Option<HostSlot>) -> HostSlot {
        let host = Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        if let Some(held) = held.filter(|(h, _)| *h == host) {
            return held;
        }
        let permit = self
            .host_slot(&host)
            .acquire_owned()
            .await
            .expect("semaphores are never closed");
        (host, permit)
    }

    fn host_slot(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().expect("host map lock");
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
            .clone()
    }

    async fn fetch_following_redirects(
        &self,
        start: &str,
        validators: &Validators,
        want: Want,
        slot: HostSlot,
    ) -> FetchOutcome {
        let mut url = start.to_owned();
        let mut all_permanent = true;
        // The slot of the host asked now: a hop to another host waits for that one's.
        let mut slot = Some(slot);
        for _hop in 0..=self.max_redirects {
            if let Some(refused) = self.refuse(&url, want) {
                return FetchOutcome::Failed(refused);
            }
            slot = Some(self.slot_for(&url, slot.take()).await);
            let request = match self.request(&url, validators, want) {
                Ok(request) => request,
                Err(err) => return FetchOutcome::Failed(err),
            };
            let response = match request.send().await {
                Ok(r) => r,
                Err(err) => return FetchOutcome::Failed(transport_error(&err)),
            };
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(next) = redirect_target(&url, response.headers()) else {
                    return failed_status(
                        status,
                        response.headers(),
                        "redirect without a usable Location",
                    );
                };
                all_permanent &= moves_for_good(status, &url, &next);
                url = next;
                continue;
            }
            let moved_to = (all_permanent && url != start).then(|| url.clone());
            if status == StatusCode::NOT_MODIFIED {
                let max_age = max_age(response.headers());
                return FetchOutcome::NotModified { moved_to, max_age };
            }
            if !status.is_success() {
                return failed_status(status, response.headers(), "");
            }
            return self.read_body(response, url, moved_to, want).await;
        }
        FetchOutcome::Failed(FetchError::new(
            FailureKind::Redirects,
            format!("more than {} redirects (last: {url})", self.max_redirects),
        ))
    }

    fn request(
        &self,
        url: &str,
        validators: &Validators,
        want: Want,
    ) -> Result<reqwest::RequestBuilder, FetchError> {
        let (client, accept) = match want {
            Want::Feed => (&self.client, FEED_ACCEPT),
            Want::LinkedFeed => (self.pages.get()?, FEED_ACCEPT),
            Want::Listing => (&self.client, PAGE_ACCEPT),
            Want::Page => (self.pages.get()?, PAGE_ACCEPT),
            Want::Robots => (self.pages.get()?, "text/plain, */*;q=0.5"),
        };
        let mut req = client.get(url).header(header::ACCEPT, accept);
        if let Some(etag) = &validators.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        Ok(req)
    }

    async fn read_body(
        &self,
        mut response: reqwest::Response,
        final_url: String,
        moved_to: Option<String>,
        want: Want,
    ) -> FetchOutcome {
        let headers = response.headers().clone();
        let status = response.status().as_u16();
        let mut body = Vec::new();
        let mut truncated = false;
        // A feed over the cap is refused; a page or robots.txt is read up to what
        // will be looked at, and the rest never downloaded.
        let cut_at = want.cut_at().map(|cap| cap.min(self.max_body as usize));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if let Some(cap) = cut_at
                        && body.len() + chunk.len() >= cap
                    {
                        body.extend_from_slice(&chunk[..cap - body.len()]);
                        truncated = true;
                        break;
                    }
                    if (body.len() + chunk.len()) as u64 > self.max_body {
                        return FetchOutcome::Failed(FetchError {
                            http_status: Some(status),
                            ..FetchError::new(
                                FailureKind::TooLarge,
                                format!(
                                    "body larger than the {} KiB cap (max_body_bytes)",
                                    self.max_body / 1024
                                ),
                            )
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(err) => {
                    return FetchOutcome::Failed(FetchError {
                        http_status: Some(status),
                        ..transport_error(&err)
                    });
                }
            }
        }
        FetchOutcome::Fetched(Fetched {
            status,
            body,
            etag: header_string(&headers, header::ETAG),
            last_modified: header_string(&headers, header::LAST_MODIFIED),
            final_url,
            moved_to,
            charset: header_string(&headers, header::CONTENT_TYPE).and_then(|ct| charset_of(&ct)),
            max_age: max_age(&headers),
            content_type: header_string(&headers, header::CONTENT_TYPE).map(|ct| media_type(&ct)),
            truncated,
        })
    }
}

/// Posts a JSON body (a webhook), retrying failures after 2 s and 4 s; each attempt has
/// `timeout` in all. Returns the final HTTP status or why it failed.
pub async fn post_json(
    url: &str,
    body: &serde_json::Value,
    user_agent: &str,
    timeout: Duration,
) -> Result<u16, String> {
    install_crypto_provider();
    let client = reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| e.to_string())?;
    let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(2u64 << (attempt - 1))).await;
        }
        let sent = client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                return Ok(response.status().as_u16());
            }
            Ok(response) => last = format!("HTTP {}", response.status().as_u16()),
            Err(err) => last = error_chain(&err),
        }
    }
    Err(format!("{last} (after 3 attempts)"))
}

/// reqwest is built without a default TLS provider (aws-lc's build is slow); use ring.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn failed_status(status: StatusCode, headers: &HeaderMap, extra: &str) -> FetchOutcome {
    let kind = if status == StatusCode::GONE {
        FailureKind::Gone
    } else {
        FailureKind::Status
    };
    let mut message = format!("HTTP {}", status.as_u16());
    if let Some(reason) = status.canonical_reason() {
        message.push(' ');
        message.push_str(reason);
    }
    if !extra.is_empty() {
        message.push_str(": ");
        message.push_str(extra);
    }
    if status == StatusCode::GONE {
        message.push_str("; the publisher removed this feed: find its new URL or remove it");
    }
    FetchOutcome::Failed(FetchError {
        kind,
        http_status: Some(status.as_u16()),
        retry_after: retry_after(headers, crate::clock::now()),
        message,
    })
}

/// Whether a redirect hop moves the feed for good: a permanent status, and never from
/// https to http (a downgrade is followed, for this fetch, but not saved as the feed's
/// URL: whoever can redirect one plain-http answer must not keep the feed on http).
fn moves_for_good(status: StatusCode, from: &str, to: &str) -> bool {
    let permanent = matches!(
        status,
        StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
    );
    let downgrade = from.starts_with("https://") && !to.starts_with("https://");
    permanent && !downgrade
}

fn redirect_target(current: &str, headers: &HeaderMap) -> Option<String> {
    let location = headers.get(header::LOCATION)?.to_str().ok()?;
    let next = Url::parse(current).ok()?.join(location).ok()?;
    matches!(next.scheme(), "http" | "https").then(|| next.to_string())
}

fn transport_error(err: &reqwest::Error) -> FetchError {
    if let Some(private) = pages::private_address_in(err) {
        return FetchError::new(FailureKind::PrivateAddress, private.to_string());
    }
    let chain = error_chain(err);
    let cause = root_cause(err);
    let host = err
        .url()
        .and_then(|u| u.host_str())
        .unwrap_or("the host")
        .to_owned();
    let (kind, message) = if err.is_timeout() {
        (FailureKind::Timeout, "timed out".to_owned())
    } else if chain.contains("dns error") || chain.contains("failed to lookup address") {
        (
            FailureKind::Dns,
            format!("host does not resolve: {host} ({cause})"),
        )
    } else if chain.contains("Connection refused") {
        (
            FailureKind::Connect,
            format!("connection refused by {host}"),
        )
    } else if err.is_connect() {
        (
            FailureKind::Connect,
            format!("cannot connect to {host}: {cause}"),
        )
    } else if err.is_body() || err.is_decode() {
        (
            FailureKind::Other,
            format!("response body broke off: {cause}"),
        )
    } else {
        (FailureKind::Other, chain)
    };
    FetchError::new(kind, message)
}

/// Every distinct message in an error's source chain, outermost first.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// The innermost error's message: the one that says what actually went wrong.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_permanent_redirects_that_keep_https_move_a_feed() {
        let cases = [
            (301, "https://a/feed", "https://b/feed", true),
            (308, "http://a/feed", "https://a/feed", true),
            (308, "http://a/feed", "http://b/feed", true),
            (301, "https://a/feed", "http://a/feed", false),
            (308, "https://a/feed", "http://evil/feed", false),
            (302, "https://a/feed", "https://b/feed", false),
            (307, "http://a/feed", "http://b/feed", false),
        ];
        for (status, from, to, moves) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(
                moves_for_good(status, from, to),
                moves,
                "{status} {from} -> {to}"
            );
        }
    }

    #[test]
    fn redirect_targets_resolve_and_refuse_other_schemes() {
        let mut h = HeaderMap::new();
        h.insert(header::LOCATION, "/new/feed".parse().unwrap());
        assert_eq!(
            redirect_target("https://a.example/old", &h).as_deref(),
            Some("https://a.example/new/feed")
        );
        h.insert(header::LOCATION, "file:///etc/passwd".parse().unwrap());
        assert_eq!(redirect_target("https://a.example/old", &h), None);
    }
}
