//! The small readers [`super`] is built from: entry links, anchors in an entry's HTML,
//! URLs and user names checked against what the sites allow.

use feed_rs::model::{Entry, LinkTarget};
use url::Url;

use crate::ingest::article::walkable_dom;

const MAX_URL_BYTES: usize = 2_048;
const MAX_HTML_BYTES: usize = 256 * 1024;
const MAX_ANCHORS: usize = 200;

/// The entry's main link: RSS `<link>`, Atom `rel="alternate"`.
pub(super) fn main_link(entry: &Entry) -> Option<Url> {
    entry
        .links
        .iter()
        .filter(|link| link.target.is_none())
        .filter(|link| {
            link.rel
                .as_deref()
                .is_none_or(|rel| rel.eq_ignore_ascii_case("alternate"))
        })
        .find_map(|link| http_url(&link.href))
}

/// RSS `<comments>`.
pub(super) fn comments_link(entry: &Entry) -> Option<Url> {
    entry
        .links
        .iter()
        .filter(|link| link.target == Some(LinkTarget::Comments))
        .find_map(|link| http_url(&link.href))
}

pub(super) fn html_of(entry: &Entry) -> &str {
    entry
        .content
        .as_ref()
        .and_then(|content| content.body.as_deref())
        .or_else(|| {
            entry
                .summary
                .as_ref()
                .map(|summary| summary.content.as_str())
        })
        .unwrap_or_default()
}

pub(super) struct Anchor {
    pub(super) href: String,
    /// The anchor's own text, trimmed.
    pub(super) text: String,
    /// The text of the anchor's parent element, trimmed ("Article URL: https://…").
    pub(super) context: String,
}

pub(super) fn anchors(html: &str) -> Vec<Anchor> {
    if !html.contains("<a") && !html.contains("<A") {
        return Vec::new();
    }
    // A parent's text is read by walking it: a hostile item nesting deeper is not.
    let Some(doc) = walkable_dom(&html[..html.floor_char_boundary(MAX_HTML_BYTES)]) else {
        return Vec::new();
    };
    let found = doc.select("a[href]");
    found
        .iter()
        .take(MAX_ANCHORS)
        .filter_map(|a| {
            let href = a.attr("href")?.to_string();
            let context = a.parent().text();
            Some(Anchor {
                href,
                text: a.text().trim().to_owned(),
                context: context.trim_start().chars().take(64).collect(),
            })
        })
        .collect()
}

/// An absolute http(s) URL with a host, at most [`MAX_URL_BYTES`].
pub(super) fn http_url(text: &str) -> Option<Url> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_URL_BYTES {
        return None;
    }
    let url = Url::parse(text).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.as_str().len() <= MAX_URL_BYTES;
    ok.then_some(url)
}

fn host_is(url: &Url, domain: &str) -> bool {
    url.host_str().is_some_and(|host| {
        let host = host.trim_end_matches('.');
        host.eq_ignore_ascii_case(domain)
            || host.len().checked_sub(domain.len() + 1).is_some_and(|dot| {
                host.as_bytes()[dot] == b'.' && host[dot + 1..].eq_ignore_ascii_case(domain)
            })
    })
}

pub(super) fn is_hn_item(url: &Url) -> bool {
    host_is(url, "news.ycombinator.com") && url.path() == "/item"
}

pub(super) fn is_lobsters(url: &Url) -> bool {
    host_is(url, "lobste.rs")
}

pub(super) fn is_reddit(url: &Url) -> bool {
    host_is(url, "reddit.com") || host_is(url, "redd.it")
}

/// The id of a Reddit post from its comments page: `/r/sre/comments/<id>/slug/`.
pub(super) fn post_id(url: &Url) -> Option<String> {
    if !is_reddit(url) {
        return None;
    }
    let mut segments = url.path_segments()?;
    segments.find(|segment| *segment == "comments")?;
    segments
        .next()
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase)
}

/// `r/name` from a Reddit URL's path.
pub(super) fn subreddit(url: &Url) -> Option<String> {
    if !is_reddit(url) {
        return None;
    }
    let mut segments = url.path_segments()?;
    (segments.next()? == "r").then_some(())?;
    subreddit_name(segments.next()?)
}

pub(super) fn subreddit_name(name: &str) -> Option<String> {
    let ok = (1..=50).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| format!("r/{name}"))
}

/// A user name as these sites allow them: ASCII letters, digits, `_` and `-`.
pub(super) fn user_name(name: &str, max: usize) -> Option<String> {
    let name = name.trim();
    let ok = (1..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_with_a_host_are_kept() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        let cases = [
            (
                "https://example.com/a?b=c#d",
                Some("https://example.com/a?b=c#d"),
            ),
            ("  http://EXAMPLE.com  ", Some("http://example.com/")),
            ("javascript:alert(1)", None),
            ("data:text/html,<b>x</b>", None),
            ("ftp://example.com/x", None),
            ("file:///etc/passwd", None),
            ("/relative/path", None),
            ("https://", None),
            ("", None),
            (long.as_str(), None),
        ];
        for (text, want) in cases {
            assert_eq!(http_url(text).as_ref().map(Url::as_str), want, "{text}");
        }
    }

    #[test]
    fn hosts_and_reddit_paths() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(is_hn_item(&url("https://news.ycombinator.com/item?id=1")));
        assert!(!is_hn_item(&url("https://news.ycombinator.com/news")));
        assert!(!is_hn_item(&url(
            "https://evilnews.ycombinator.com.example/item?id=1"
        )));
        assert!(is_lobsters(&url("https://lobste.rs/s/abc")));
        assert!(!is_lobsters(&url("https://notlobste.rs/s/abc")));
        assert!(is_reddit(&url("https://i.redd.it/x.jpg")));
        assert!(is_reddit(&url("https://old.reddit.com/r/sre/")));
        assert!(!is_reddit(&url("https://reddit.com.example/r/sre/")));
        let cases = [
            (
                "https://www.reddit.com/r/sre/comments/1gx2abc/slug/",
                Some("1gx2abc"),
                Some("r/sre"),
            ),
            (
                "https://www.reddit.com/r/SRE/comments/ABC/",
                Some("abc"),
                Some("r/SRE"),
            ),
            ("https://www.reddit.com/gallery/1gx2abc", None, None),
            ("https://www.reddit.com/r/a..b/comments/x/", Some("x"), None),
            ("https://example.com/r/sre/comments/1gx2abc/", None, None),
        ];
        for (text, id, community) in cases {
            let u = url(text);
            assert_eq!(post_id(&u).as_deref(), id, "{text}");
            assert_eq!(subreddit(&u).as_deref(), community, "{text}");
        }
    }

    #[test]
    fn user_names_look_like_the_sites_own() {
        let long = "x".repeat(41);
        let cases = [
            ("zdw", Some("zdw")),
            (" Lanky-Ad4698 ", Some("Lanky-Ad4698")),
            ("pager_weary", Some("pager_weary")),
            ("evil\u{202E}user", None),
            ("<script>", None),
            ("two words", None),
            ("", None),
            (long.as_str(), None),
        ];
        for (name, want) in cases {
            assert_eq!(user_name(name, 40).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn anchors_carry_their_text_and_context() {
        let html = "<p>Article URL: <a href=\"https://a.example/x\">a</a></p>\
                    <span><a href=\"https://b.example/\"> [link] </a></span><a>no href</a>";
        let found = anchors(html);
        let got: Vec<_> = found
            .iter()
            .map(|a| (a.href.as_str(), a.text.as_str(), a.context.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("https://a.example/x", "a", "Article URL: a"),
                ("https://b.example/", "[link]", "[link] "),
            ]
        );
        assert!(anchors("no anchors here").is_empty());
        assert_eq!(anchors(&"<a href=x>y</a>".repeat(1_000)).len(), MAX_ANCHORS);
    }
}
