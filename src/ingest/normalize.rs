//! Normalize: a feed-rs entry → our [`Entry`]. Pure.
//!
//! Everything an entry carries is hostile and unbounded, so here it becomes what the
//! rest of gleaner can trust: plain text (no markup, capped lengths), one canonical
//! http(s) link (tracking parameters and fragments removed), an author name, UTC dates,
//! and a per-feed identity key for dedupe.

use feed_rs::model;
use sha2::{Digest, Sha256};
use url::Url;

pub use crate::model::Entry;
use crate::model::hex;
pub use crate::model::story::{title_hash, title_key};

use crate::ingest::html;

/// Longest stored title, in characters.
pub const MAX_TITLE: usize = 500;
/// Longest stored summary, in characters.
pub const MAX_SUMMARY: usize = 2_000;
/// Longest stored content, in characters (enough for scoring a long post).
pub const MAX_CONTENT: usize = 50_000;
/// Longest stored author name, in characters.
pub const MAX_AUTHOR: usize = 200;
/// Entries kept from one feed document: `parse::parse_feed` keeps the newest this many
/// and notes the cut (a feed with more is an archive dump or an attack, and one listed
/// oldest first must not lose its new posts).
pub const MAX_ENTRIES_PER_FEED: usize = 1_000;

/// Normalizes every entry of a parsed feed (at most [`MAX_ENTRIES_PER_FEED`]: a feed
/// from `parse::parse_feed` has no more, already the newest ones).
pub fn normalize_feed(feed: &model::Feed) -> Vec<Entry> {
    let feed_author = feed.authors.first().and_then(|p| p.name.as_deref());
    feed.entries
        .iter()
        .take(MAX_ENTRIES_PER_FEED)
        .map(|e| normalize_entry(e, feed_author))
        .collect()
}

/// Normalizes one entry; `feed_author` is used when the entry names none.
pub fn normalize_entry(e: &model::Entry, feed_author: Option<&str>) -> Entry {
    let title = e
        .title
        .as_ref()
        .map(|t| without_bidi_overrides(html::to_text(&t.content, MAX_TITLE)))
        .unwrap_or_default();
    let summary = e
        .summary
        .as_ref()
        .map(|t| html::to_text(&t.content, MAX_SUMMARY))
        .unwrap_or_default();
    let content = e
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .map(|body| html::to_text(body, MAX_CONTENT))
        .unwrap_or_default();
    // Many feeds repeat the summary as the content; keep one copy so a rule is not
    // counted twice for the same words.
    let content = if content == summary {
        String::new()
    } else {
        content
    };
    let url = entry_link(e);
    let author = entry_authors(e).or_else(|| feed_author.and_then(clean_author));
    let mut entry = Entry {
        item_key: String::new(),
        url,
        title,
        summary,
        content,
        article: String::new(),
        author,
        published: e.published.or(e.updated),
        updated: e.updated,
    };
    entry.item_key = item_key(&e.id, &entry);
    entry
}

/// Every author an entry names (several `<dc:creator>` or Atom `<author>`s), joined
/// with `, ` into one string, each once, at most [`MAX_AUTHOR`] characters: the draft
/// credits every one of them (`render::authors` splits the string again).
fn entry_authors(e: &model::Entry) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for name in e.authors.iter().filter_map(|p| p.name.as_deref()) {
        let Some(name) = clean_author(name) else {
            continue;
        };
        let length: usize = names.iter().map(|n| n.chars().count() + 2).sum();
        if length + name.chars().count() > MAX_AUTHOR {
            break;
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    (!names.is_empty()).then(|| names.join(", "))
}

/// Whether `c` overrides the direction of the text around it (U+202A–U+202E,
/// U+2066–U+2069): a title can use one to show the editor a different word order, or
/// file extension, than the one it has.
pub fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A bidirectional override (above), a directional or zero-width mark or joiner
/// (U+200B–U+200F, U+2060–U+2065) or the byte-order mark: characters that show nothing
/// themselves. Names and titles read from article pages drop them all; feed titles
/// drop only the overrides, because their stored hashes were taken with the rest.
pub fn is_invisible(c: char) -> bool {
    is_bidi_override(c)
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2065}' | '\u{feff}')
}

/// `text` without bidirectional overrides (see [`is_bidi_override`]).
pub fn without_bidi_overrides(text: String) -> String {
    if text.contains(is_bidi_override) {
        text.chars().filter(|c| !is_bidi_override(*c)).collect()
    } else {
        text
    }
}

/// A person's display name: plain text, without the parentheses RSS puts around a
/// name after an e-mail address; a bare e-mail address is no name.
fn clean_author(raw: &str) -> Option<String> {
    let text = without_bidi_overrides(html::to_text(raw, MAX_AUTHOR));
    let name = text
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let is_email = name.contains('@') && !name.contains(' ');
    (!name.is_empty() && !is_email).then(|| name.to_owned())
}

/// The dedupe key fallback chain, as Miniflux does it:
/// 1. the feed's own GUID/id, when it gave one — the only identity the publisher
///    promises to keep while the title and even the link change;
/// 2. the canonical link — entries without a GUID are nearly always identified by it;
/// 3. a hash of title + content — for link-less entries, so the same text polled twice
///    is still one entry (an edited title then makes a new one; nothing better exists).
fn item_key(guid: &str, entry: &Entry) -> String {
    let guid = guid.trim();
    if !guid.is_empty() {
        return if guid.len() <= 512 {
            format!("g:{guid}")
        } else {
            format!("g#{}", hex(&Sha256::digest(guid.as_bytes())[..16]))
        };
    }
    if let Some(url) = &entry.url {
        return format!("u:{url}");
    }
    let mut h = Sha256::new();
    h.update(entry.title.as_bytes());
    h.update([0]);
    h.update(entry.summary.as_bytes());
    h.update([0]);
    h.update(entry.content.as_bytes());
    format!("h:{}", hex(&h.finalize()[..16]))
}

/// The entry's web page: an `alternate` (or unlabelled) http(s) link first, then any
/// http(s) link, then a GUID that is itself a URL (RSS `isPermaLink`).
fn entry_link(e: &model::Entry) -> Option<String> {
    let http = |href: &str| canonical_url(href);
    e.links
        .iter()
        .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .find_map(|l| http(&l.href))
        .or_else(|| e.links.iter().find_map(|l| http(&l.href)))
        .or_else(|| http(&e.id))
}

/// Query parameters that only track where a click came from.
fn is_tracking_param(name: &str, value: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_")
        || matches!(
            name.as_str(),
            "fbclid" | "gclid" | "dclid" | "gclsrc" | "msclkid" | "yclid" | "twclid" | "igshid"
                | "mc_cid" | "mc_eid" | "_hsenc" | "_hsmi" | "mkt_tok" | "oly_anon_id"
                | "oly_enc_id" | "vero_id" | "wt.mc_id" | "ref_src" | "ref_url"
        )
        // Medium appends ?source=rss----<id>---4 to every link in its feeds.
        || (name == "source" && value.starts_with("rss"))
}

/// Canonical form of an http(s) URL, or `None` for anything else (`javascript:`,
/// `data:`, relative junk). Scheme and host are lower-cased and default ports dropped
/// by the URL parser; the fragment and tracking parameters are removed here.
pub fn canonical_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() > 2048 {
        return None;
    }
    let mut url = Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, v)| !is_tracking_param(k, v))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls() {
        let cases = [
            (
                "HTTPS://Blog.Example.COM:443/Post?utm_source=x&utm_medium=rss#comments",
                Some("https://blog.example.com/Post"),
            ),
            (
                "http://example.com:80/a?id=3&fbclid=abc&gclid=z",
                Some("http://example.com/a?id=3"),
            ),
            (
                "https://medium.com/p/abc?source=rss----7f60cf5620c9---4",
                Some("https://medium.com/p/abc"),
            ),
            (
                "https://example.com/search?source=docs",
                Some("https://example.com/search?source=docs"),
            ),
            (
                "https://example.com:8443/x",
                Some("https://example.com:8443/x"),
            ),
            ("javascript:alert(1)", None),
            ("data:text/html,<script>", None),
            ("/relative/path", None),
            ("mailto:a@b.c", None),
        ];
        for (raw, want) in cases {
            assert_eq!(canonical_url(raw).as_deref(), want, "{raw}");
        }
    }

    fn feed(xml: &str) -> Vec<Entry> {
        let f = crate::ingest::parse::parse_feed(xml.as_bytes(), None, "https://blog.example/feed")
            .unwrap();
        normalize_feed(&f.feed)
    }

    #[test]
    fn entries_become_plain_bounded_text_with_a_key() {
        let entries = feed(
            r#"<rss version="2.0"><channel><author>Team</author><item>
            <title>&lt;b&gt;Outage&lt;/b&gt; report</title>
            <link>https://blog.example/outage?utm_campaign=feed</link>
            <description>&lt;p&gt;We had an &lt;em&gt;incident&lt;/em&gt;.&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
            <author>ops@blog.example (Dana Ops)</author>
            <pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate>
            </item><item><title>No link</title><description>text</description></item></channel></rss>"#,
        );
        let e = &entries[0];
        assert_eq!(e.title, "Outage report");
        assert_eq!(e.summary, "We had an incident.");
        assert_eq!(e.url.as_deref(), Some("https://blog.example/outage"));
        assert_eq!(e.item_key, "u:https://blog.example/outage");
        assert_eq!(e.author.as_deref(), Some("Dana Ops"));
        assert_eq!(
            e.published.unwrap().to_rfc3339(),
            "2024-03-05T10:00:00+00:00"
        );
        assert!(entries[1].item_key.starts_with("h:"));
    }

    /// Direction overrides in a title or a name are dropped where they are read.
    #[test]
    fn titles_and_names_lose_their_bidi_overrides() {
        let entries = feed(
            "<rss version=\"2.0\"><channel><item><title>Outage \u{202e}txt.exe\u{202c} report</title>\
             <link>https://blog.example/a</link><author>ops@blog.example (Dana \u{2067}Ops)</author></item></channel></rss>",
        );
        assert_eq!(entries[0].title, "Outage txt.exe report");
        assert_eq!(entries[0].author.as_deref(), Some("Dana Ops"));
    }

    #[test]
    fn every_author_of_an_entry_is_kept() {
        let xml = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item>
            <title>t</title><link>https://blog.example/a</link>
            <dc:creator>Ana Souza</dc:creator><dc:creator>Tom Kim</dc:creator><dc:creator>Ana Souza</dc:creator>
            </item></channel></rss>"#;
        assert_eq!(feed(xml)[0].author.as_deref(), Some("Ana Souza, Tom Kim"));
    }

    #[test]
    fn a_guid_is_the_key_and_a_permalink_guid_is_the_link() {
        let entries = feed(
            r#"<rss version="2.0"><channel><item><guid>https://blog.example/p/1</guid><title>a</title></item></channel></rss>"#,
        );
        assert_eq!(entries[0].item_key, "g:https://blog.example/p/1");
        assert_eq!(entries[0].url.as_deref(), Some("https://blog.example/p/1"));
    }

    #[test]
    fn javascript_links_are_never_kept() {
        let entries = feed(
            r#"<rss version="2.0"><channel><item><title>x</title><link>javascript:alert(1)</link></item></channel></rss>"#,
        );
        assert_eq!(entries[0].url, None);
    }
}
