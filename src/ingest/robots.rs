//! robots.txt: may gleaner fetch this article page? Pure: the caller fetches
//! `/robots.txt` of the page's origin and hands over the status and body.
//!
//! Parsing and matching are `robotxt`'s (RFC 9309: longest match wins, `Allow` wins a
//! tie, `*` and `$` patterns, groups chosen by the crawler's product token, case
//! ignored, `/robots.txt` itself always allowed). The product token is the first word
//! of the User-Agent before any `/` ("gleaner/0.1 (+https://…)" → "gleaner").
//!
//! What a response means ([`Robots::for_status`]):
//!
//! | status | rules |
//! |---|---|
//! | 2xx | the body's; an unparseable or empty body has no rules, so all is allowed |
//! | 401, 403 | disallow all: the site keeps its robots.txt from strangers, so we keep away too |
//! | 429 | disallow all for now, like a 5xx: the site asked us to slow down |
//! | other 4xx (404, 410, …) | allow all: there is no robots.txt |
//! | 3xx | allow all: the fetcher follows redirects, so one left here means too many of them (RFC 9309 §2.3.1.2) |
//! | 5xx, anything else | disallow all for now: the site is failing, try later |
//!
//! RFC 9309 (§2.3.1.3) and Google treat 401/403 like any 4xx, i.e. allow all; gleaner
//! follows the older, more cautious convention (Python's `urllib.robotparser`, most
//! crawlers written before the RFC) because it fetches on an editor's behalf, not as a
//! search engine. A body is read up to [`MAX_ROBOTS_BYTES`]; robotxt reads 500 KiB of it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use url::Url;

/// The most bytes of a robots.txt body looked at (Google reads 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;

/// The rules of one origin's robots.txt for one crawler.
#[derive(Debug, Clone)]
pub struct Robots {
    rules: robotxt::Robots,
}

impl Robots {
    /// The rules in `body` that apply to `user_agent` (a full User-Agent header is fine).
    /// A body robotxt cannot make sense of allows everything.
    pub fn parse(user_agent: &str, body: &[u8]) -> Robots {
        let body = &body[..body.len().min(MAX_ROBOTS_BYTES)];
        let token = product_token(user_agent);
        catch_unwind(AssertUnwindSafe(|| robotxt::Robots::parse(body, token)))
            .map(|rules| Robots { rules })
            .unwrap_or_else(|_| Robots::allow_all())
    }

    /// The rules for a robots.txt answered with `status`; see the table in the module doc.
    pub fn for_status(status: u16, user_agent: &str, body: &[u8]) -> Robots {
        match status {
            200..=299 => Robots::parse(user_agent, body),
            401 | 403 | 429 => Robots::disallow_all(),
            300..=499 => Robots::allow_all(),
            _ => Robots::disallow_all(),
        }
    }

    pub fn allow_all() -> Robots {
        Robots {
            rules: robotxt::Robots::allow_all(),
        }
    }

    pub fn disallow_all() -> Robots {
        Robots {
            rules: robotxt::Robots::disallow_all(),
        }
    }

    /// Whether `url` may be fetched. Only its path and query are matched: these must be
    /// the rules of its own origin. Anything but http(s) is never fetched.
    pub fn allows(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https") && self.rules.is_url_allowed(url)
    }
}

/// `gleaner/0.1 (+https://example.com)` → `gleaner`; robots.txt groups name crawlers
/// by this token, and RFC 9309 matches it exactly (ignoring case).
fn product_token(user_agent: &str) -> &str {
    let token = user_agent
        .trim()
        .split(|c: char| c == '/' || c.is_whitespace() || c == ';' || c == '(')
        .next()
        .unwrap_or_default();
    if token.is_empty() { "*" } else { token }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: &str = "gleaner/0.1 (+https://github.com/example/gleaner)";

    fn allows(robots: &Robots, url: &str) -> bool {
        robots.allows(&Url::parse(url).unwrap())
    }

    #[test]
    fn rules_follow_rfc_9309() {
        let body = b"# comment\n\
            User-agent: *\n\
            Disallow: /private\n\
            Disallow: /*.pdf$\n\
            Allow: /private/public\n\
            \n\
            User-agent: Gleaner\n\
            Disallow: /drafts/\n\
            Allow: /drafts/published\n\
            \n\
            User-agent: otherbot\n\
            Disallow: /\n";
        let robots = Robots::parse(AGENT, body);
        let cases = [
            // Our own group applies, not `*`: /private is allowed for us.
            ("https://acme.io/private/x", true),
            ("https://acme.io/drafts/x", false),
            ("https://acme.io/drafts/published/x", true),
            ("https://acme.io/blog/post?page=2", true),
            ("https://acme.io/robots.txt", true),
            ("ftp://acme.io/blog/post", false),
            ("file:///etc/passwd", false),
        ];
        for (url, want) in cases {
            assert_eq!(allows(&robots, url), want, "{url}");
        }
        // Without a group of its own, a crawler gets `*`.
        let robots = Robots::parse("somebot/2", body);
        let cases = [
            ("https://acme.io/private/x", false),
            ("https://acme.io/private/public/x", true),
            ("https://acme.io/report.pdf", false),
            ("https://acme.io/report.pdf?x=1", true),
            ("https://acme.io/drafts/x", true),
        ];
        for (url, want) in cases {
            assert_eq!(allows(&robots, url), want, "{url}");
        }
    }

    #[test]
    fn statuses_map_to_the_documented_policy() {
        let body = b"User-agent: *\nDisallow: /private\n";
        let cases = [
            (200, "/private", false),
            (200, "/public", true),
            (204, "/public", true),
            (301, "/private", true),
            (401, "/public", false),
            (403, "/public", false),
            (404, "/private", true),
            (410, "/private", true),
            (429, "/public", false),
            (500, "/public", false),
            (503, "/public", false),
            (100, "/public", false),
            (600, "/public", false),
        ];
        for (status, path, want) in cases {
            let robots = Robots::for_status(status, AGENT, body);
            let url = format!("https://acme.io{path}");
            assert_eq!(allows(&robots, &url), want, "{status} {path}");
        }
    }

    #[test]
    fn unparseable_or_hostile_bodies_allow_all() {
        let huge_rules = "Disallow: /a\n".repeat(100_000);
        let bodies: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"<!doctype html><html><body>Not found</body></html>".to_vec(),
            (0u8..=255).cycle().take(10_000).collect(),
            b"\xef\xbb\xbfUser-agent: *\r\nDisallow:\r\n".to_vec(),
            format!("User-agent: *\n{huge_rules}").into_bytes(),
        ];
        for body in &bodies {
            let robots = Robots::parse(AGENT, body);
            assert!(
                allows(&robots, "https://acme.io/blog/post"),
                "{:?}",
                &body[..body.len().min(40)]
            );
        }
        // Rules past the cap are not read.
        let late = format!("User-agent: *\n{huge_rules}Disallow: /blog\n");
        assert!(late.len() > MAX_ROBOTS_BYTES);
        assert!(allows(
            &Robots::parse(AGENT, late.as_bytes()),
            "https://acme.io/blog/post"
        ));
        assert!(!allows(
            &Robots::parse(AGENT, late.as_bytes()),
            "https://acme.io/a"
        ));
    }

    #[test]
    fn the_product_token_names_the_group() {
        let cases = [
            ("gleaner/0.1 (+https://x)", "gleaner"),
            ("  Gleaner ", "Gleaner"),
            ("Mozilla/5.0 (compatible; gleaner/0.1)", "Mozilla"),
            ("", "*"),
            ("/0.1", "*"),
        ];
        for (agent, want) in cases {
            assert_eq!(product_token(agent), want, "{agent}");
        }
    }

    #[test]
    fn allow_all_and_disallow_all() {
        assert!(allows(&Robots::allow_all(), "https://acme.io/x"));
        assert!(!allows(&Robots::disallow_all(), "https://acme.io/x"));
    }
}
