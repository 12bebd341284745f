//! Article pages, robots.txt and the feeds of linked sites: the requests an
//! aggregator's stranger can cause, so none of them reaches a loopback, private or
//! link-local address unless `allow_private_articles` says so.
//!
//! The check is on the address connected to, not on the URL's text: a public name can
//! resolve to 127.0.0.1, and a redirect can lead anywhere. The page client resolves
//! names through [`PublicOnly`], which drops such addresses (a name with only those
//! fails), and every hop's URL with an IP literal for a host (which reqwest does not
//! resolve) is checked before it is requested. It goes direct, never through a proxy
//! from the environment: a proxy would resolve the name itself, past the check.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::{FailureKind, FetchError, FetchOutcome, Fetcher, Validators, Want};
use crate::config::Settings;

impl Fetcher {
    /// Fetches an article page: `Accept: text/html`, the same limits as a feed, the
    /// body cut at [`crate::ingest::article::MAX_PAGE_BYTES`].
    pub async fn fetch_page(&self, url: &str) -> FetchOutcome {
        self.fetch_as(url, &Validators::default(), Want::Page).await
    }

    /// Fetches the robots.txt of `page`'s origin, cut at
    /// [`crate::ingest::robots::MAX_ROBOTS_BYTES`]. A 4xx or 5xx is a `Failed` outcome
    /// with its status, which [`crate::ingest::robots::Robots::for_status`] reads.
    pub async fn fetch_robots(&self, page: &Url) -> FetchOutcome {
        let mut robots = page.clone();
        robots.set_path("/robots.txt");
        robots.set_query(None);
        robots.set_fragment(None);
        self.fetch_as(robots.as_str(), &Validators::default(), Want::Robots)
            .await
    }

    /// Why `url` must not be requested for `want`, if it must not: a page, robots.txt
    /// or a linked site's feed whose host is a private IP literal.
    pub(super) fn refuse(&self, url: &str, want: Want) -> Option<FetchError> {
        if matches!(want, Want::Feed | Want::Listing) || self.allow_private {
            return None;
        }
        let ip = match Url::parse(url).ok()?.host()? {
            Host::Ipv4(ip) => IpAddr::V4(ip),
            Host::Ipv6(ip) => IpAddr::V6(ip),
            Host::Domain(_) => return None,
        };
        is_private(ip).then(|| FetchError::new(FailureKind::PrivateAddress, PRIVATE))
    }
}

/// The message (and the article's reason) when an address is refused.
const PRIVATE: &str = "private address";

/// The client for pages and robots.txt, built on first use: the feeds' settings, and
/// unless private addresses are allowed, [`PublicOnly`] names and no proxy.
pub(super) struct PageClient {
    settings: Settings,
    client: std::sync::OnceLock<Result<reqwest::Client, String>>,
}

impl PageClient {
    pub(super) fn new(settings: &Settings) -> PageClient {
        PageClient {
            settings: settings.clone(),
            client: std::sync::OnceLock::new(),
        }
    }

    pub(super) fn get(&self) -> Result<&reqwest::Client, FetchError> {
        self.client
            .get_or_init(|| self.build().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|message| {
                FetchError::new(
                    FailureKind::Other,
                    format!("cannot build the HTTP client: {message}"),
                )
            })
    }

    fn build(&self) -> reqwest::Result<reqwest::Client> {
        let settings = &self.settings;
        let builder = super::client_builder(settings);
        if settings.allow_private_articles {
            // As the feeds' client: `.invalid` names fail without asking the network.
            builder
                .dns_resolver(std::sync::Arc::new(super::dns::System))
                .build()
        } else {
            builder
                .no_proxy()
                .dns_resolver(std::sync::Arc::new(PublicOnly))
                .build()
        }
    }
}

/// Whether connecting to `ip` would reach this machine or its network rather than
/// the internet: loopback, private (RFC 1918, IPv6 unique local), link-local, shared
/// (carrier-grade NAT), unspecified or broadcast, and those IPv4 addresses carried in
/// IPv6: mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4
/// (`2002:aabb:ccdd::`), which a network that routes them delivers to the IPv4 one.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let [first, second, third, ..] = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                // NAT64's local-use prefix (RFC 8215): a network's own translator.
                || (first, second, third) == (0x0064, 0xff9b, 0x0001)
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || embedded_ipv4(v6).is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// The IPv4 address an IPv6 one carries, if it is of a kind that carries one.
fn embedded_ipv4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let s = v6.segments();
    let from = |hi: u16, lo: u16| std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(from(hi, lo)),
        [0x2002, hi, lo, ..] => Some(from(hi, lo)),
        // Mapped (`::ffff:a.b.c.d`) and the old IPv4-compatible (`::a.b.c.d`).
        _ => v6.to_ipv4(),
    }
}

/// Resolves names as the system does, keeping only public addresses.
struct PublicOnly;

/// A name that resolved only to addresses [`is_private`] refuses.
#[derive(Debug)]
pub(super) struct PrivateAddress;

impl std::fmt::Display for PrivateAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(PRIVATE)
    }
}

impl std::error::Error for PrivateAddress {}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = super::dns::lookup(&host).await?;
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| !is_private(a.ip()))
                .collect();
            if public.is_empty() && !found.is_empty() {
                return Err(Box::new(PrivateAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The [`PrivateAddress`] refusal somewhere in a request error's chain.
pub(super) fn private_address_in(err: &reqwest::Error) -> Option<&PrivateAddress> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(found) = e.downcast_ref::<PrivateAddress>() {
            return Some(found);
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_those_of_this_machine_and_its_network() {
        let cases = [
            ("127.0.0.1", true),
            ("127.8.9.10", true),
            ("10.1.2.3", true),
            ("172.16.0.1", true),
            ("172.32.0.1", false),
            ("192.168.1.1", true),
            ("169.254.169.254", true),
            ("100.64.0.1", true),
            ("100.128.0.1", false),
            ("0.0.0.0", true),
            ("255.255.255.255", true),
            ("93.184.215.14", false),
            ("::1", true),
            ("::", true),
            ("fd00::1", true),
            ("fe80::1", true),
            ("::ffff:127.0.0.1", true),
            ("::ffff:93.184.215.14", false),
            ("64:ff9b::127.0.0.1", true),
            ("64:ff9b::169.254.169.254", true),
            ("64:ff9b::93.184.215.14", false),
            ("2002:7f00:1::", true),
            ("2002:c0a8:101::1", true),
            ("2002:5db8:d70e::", false),
            ("64:ff9b:1::a00:1", true),
            ("::10.0.0.1", true),
            ("::93.184.215.14", false),
            ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", false),
        ];
        for (ip, want) in cases {
            assert_eq!(is_private(ip.parse().unwrap()), want, "{ip}");
        }
    }
}
