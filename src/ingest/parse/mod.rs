//! Parse: a fetched body → feed-rs's model. Pure.
//!
//! feed-rs does the format work (RSS 0.9x/1.0/2.0, Atom, JSON Feed). Around it we fix
//! what it leaves to callers:
//! - the HTTP `charset` is ignored by feed-rs; when the server names one and the body
//!   has no BOM, the body is decoded with it first (the HTTP header wins over the XML
//!   declaration, as feedparser and browsers do);
//! - `<rss>` without a `version` attribute fails with `NoFeedRoot` in feed-rs 3.0
//!   (upstream #275); it is retried as RSS 2.0;
//! - feed-rs rejects a whole document for one flaw (a bare `&`, a misspelt end tag, a
//!   cut-off end, an Atom title of an odd media type, a JSON Feed `http://` version):
//!   when the strict parse fails, [`crate::ingest::recover`] repairs the document and it is
//!   parsed again; [`Parsed::notes`] says what was recovered;
//! - feed-rs invents entry ids (a hash of link + title, or a random UUID) when a feed has
//!   none; we make it leave them empty so dedupe can tell a real GUID from a guess;
//! - dates feed-rs cannot parse (no zone, odd layouts) are parsed by [`parse_date`];
//! - an HTML page instead of a feed becomes an error naming the feeds the page links;
//! - feed-rs has no limit on entries: a document with more than
//!   [`MAX_ENTRIES_IN_DOCUMENT`] (counted in its bytes, before any parsing) is refused,
//!   and of a parsed one only the newest [`MAX_ENTRIES_PER_FEED`](crate::ingest::normalize::MAX_ENTRIES_PER_FEED) entries are kept.

mod charset;
mod dates;
mod limits;
#[cfg(test)]
mod tests;

use feed_rs::model::Feed;

pub use dates::parse_date;
pub use limits::MAX_ENTRIES_IN_DOCUMENT;

use crate::ingest::html;
use crate::ingest::recover;
use charset::{decode_with_http_charset, without_late_xml_declarations};
use limits::{check_entry_count, keep_newest};

/// A parsed feed and what was done to read it.
#[derive(Debug, PartialEq)]
pub struct Parsed {
    /// At most [`MAX_ENTRIES_PER_FEED`](crate::ingest::normalize::MAX_ENTRIES_PER_FEED) entries, in document order.
    pub feed: Feed,
    /// Notes for the feed's status, each a sentence fragment:
    /// `recovered: bare ampersands escaped`, `cut to the newest 1,000 of 1,500 entries`.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("the response body is empty")]
    Empty,
    #[error("got an HTML page, not a feed; {}", html_hint(.feeds))]
    HtmlPage { feeds: Vec<String> },
    #[error("not a feed: {0}")]
    Invalid(String),
    #[error("the feed parser crashed on this document (a feed-rs bug); report the feed upstream")]
    ParserPanicked,
    #[error("gleaner crashed reading this document (a gleaner bug); report the feed to gleaner")]
    Crashed,
    #[error(
        "the document holds {count} entries, more than the {limit} gleaner reads from one feed; subscribe to a shorter feed of the blog (recent posts, one category or tag) instead"
    )]
    TooManyEntries { count: usize, limit: usize },
    /// A `kind = "page"` listing that links no article (see `ingest::listing`).
    #[error("{0}")]
    NoArticles(String),
}

fn html_hint(feeds: &[String]) -> String {
    match feeds {
        [] => {
            "the page links no feed: find the blog's RSS/Atom URL and set it as the feed url, or, if the site has none, set kind = \"page\" to watch the articles this page links".into()
        }
        _ => format!("the page links these feeds: {}", feeds.join(", ")),
    }
}

/// Parses `body`; `charset` is the HTTP Content-Type charset, `base` the final URL (for
/// relative links).
///
/// Strict first: a document feed-rs reads as it is comes back unchanged. One it rejects
/// is repaired ([`recover`]) and parsed again; when that succeeds the notes say what was
/// recovered, otherwise the strict parse's error is returned.
pub fn parse_feed(body: &[u8], charset: Option<&str>, base: &str) -> Result<Parsed, ParseError> {
    let body = trim_leading_whitespace(body);
    if body.is_empty() {
        return Err(ParseError::Empty);
    }
    let body = decode_with_http_charset(body, charset);
    let body = without_late_xml_declarations(body);
    if looks_like_html(&body) {
        let text = String::from_utf8_lossy(&body);
        let feeds = url::Url::parse(base)
            .map(|b| {
                html::feed_links(&text, &b)
                    .into_iter()
                    .map(|l| l.href)
                    .collect()
            })
            .unwrap_or_default();
        return Err(ParseError::HtmlPage { feeds });
    }
    check_entry_count(&body)?;
    let mut notes = Vec::new();
    let feed = match parse_document(&body, base)? {
        Ok(feed) => feed,
        Err(err) => {
            let repaired = if is_json(&body) {
                recover::repair_json(&body)
            } else {
                recover::repair_xml(&body)
            };
            let Some(repaired) = repaired else {
                return Err(invalid(err));
            };
            drop(body);
            check_entry_count(&repaired.body)?;
            match parse_document(&repaired.body, base)? {
                Ok(feed) => {
                    notes.extend(repaired.fixes.iter().map(|f| format!("recovered: {f}")));
                    feed
                }
                Err(_) => return Err(invalid(err)),
            }
        }
    };
    let (feed, cut) = keep_newest(feed);
    notes.extend(cut);
    Ok(Parsed { feed, notes })
}

/// One strict parse, with the retry for `<rss>` without a usable version.
fn parse_document(
    body: &[u8],
    base: &str,
) -> Result<feed_rs::parser::ParseFeedResult<Feed>, ParseError> {
    match parse_guarded(body, base)? {
        Err(feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        )) => match with_rss_version(body) {
            Some(fixed) => parse_guarded(&fixed, base),
            None => Ok(Err(feed_rs::parser::ParseFeedError::ParseError(
                feed_rs::parser::ParseErrorKind::NoFeedRoot,
            ))),
        },
        result => Ok(result),
    }
}

/// feed-rs (and quick-xml under it) has panicked on odd input before (UTF-16BE bodies
/// in quick-xml 0.42); a panic on one feed's bytes must not take the poll down.
fn parse_guarded(
    body: &[u8],
    base: &str,
) -> Result<feed_rs::parser::ParseFeedResult<Feed>, ParseError> {
    std::panic::catch_unwind(|| parser(base).parse(body)).map_err(|_| ParseError::ParserPanicked)
}

fn parser(base: &str) -> feed_rs::parser::Parser {
    feed_rs::parser::Builder::new()
        .base_uri(Some(base))
        // Empty means "the feed gave none"; normalize derives a stable key instead.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(parse_date)
        .build()
}

fn invalid(err: feed_rs::parser::ParseFeedError) -> ParseError {
    let message = match err {
        feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        ) => "no RSS, Atom or JSON Feed root element found".to_owned(),
        other => other.to_string(),
    };
    ParseError::Invalid(message)
}

fn trim_leading_whitespace(body: &[u8]) -> &[u8] {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    &body[start..]
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}');
    head.starts_with("<!doctype html") || head.starts_with("<html") || {
        // An XML prolog followed by <html> (XHTML pages).
        head.starts_with("<?xml")
            && head.contains("<html")
            && !head.contains("<rss")
            && !head.contains("<feed")
    }
}

/// `<rss>` with no usable version attribute, rewritten to `<rss version="2.0">`.
fn with_rss_version(body: &[u8]) -> Option<Vec<u8>> {
    static VERSION_ATTR: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let version_attr = VERSION_ATTR.get_or_init(|| {
        regex::Regex::new(r#"\s+version\s*=\s*("[^"]*"|'[^']*')"#).expect("valid regex")
    });
    let head = &body[..body.len().min(4096)];
    let start = head.windows(4).position(|w| w == b"<rss")?;
    let end = start + head[start..].iter().position(|&b| b == b'>')?;
    let attrs = std::str::from_utf8(&head[start + 4..end]).ok()?;
    let attrs = version_attr.replace_all(attrs, "");
    let mut out = Vec::with_capacity(body.len() + 16);
    out.extend_from_slice(&body[..start]);
    out.extend_from_slice(format!("<rss version=\"2.0\"{attrs}").as_bytes());
    out.extend_from_slice(&body[end..]);
    Some(out)
}

/// JSON as feed-rs tells it from XML: a `{` before any `<` in its first 8 KiB.
pub(super) fn is_json(body: &[u8]) -> bool {
    body[..body.len().min(8192)]
        .iter()
        .find(|&&b| b == b'<' || b == b'{')
        == Some(&b'{')
}
