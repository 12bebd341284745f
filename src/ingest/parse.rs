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
//!   and of a parsed one only the newest [`MAX_ENTRIES_PER_FEED`] entries are kept.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use feed_rs::model::Feed;

use crate::ingest::html;
use crate::ingest::normalize::MAX_ENTRIES_PER_FEED;
use crate::ingest::recover;

/// Most entries one document may hold. They are counted in the bytes before feed-rs
/// builds its model (a 10 MiB body of empty `<item/>`s is ~1.5 million parsed
/// entries), so a feed's memory is bounded by this many entries, not by its size.
pub const MAX_ENTRIES_IN_DOCUMENT: usize = 20_000;

/// A parsed feed and what was done to read it.
#[derive(Debug, PartialEq)]
pub struct Parsed {
    /// At most [`MAX_ENTRIES_PER_FEED`] entries, in document order.
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
    #[error(
        "the document holds {count} entries, more than the {limit} gleaner reads from one feed; subscribe to a shorter feed of the blog (recent posts, one category or tag) instead"
    )]
    TooManyEntries { count: usize, limit: usize },
}

fn html_hint(feeds: &[String]) -> String {
    match feeds {
        [] => {
            "the page links no feed: find the blog's RSS/Atom URL and set it as the feed url".into()
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

/// JSON as feed-rs tells it from XML: a `{` before any `<` in its first 8 KiB.
fn is_json(body: &[u8]) -> bool {
    body[..body.len().min(8192)]
        .iter()
        .find(|&&b| b == b'<' || b == b'{')
        == Some(&b'{')
}

/// Refuses a document with more than [`MAX_ENTRIES_IN_DOCUMENT`] entries, counted
/// without building feed-rs's model. JSON that is not well-formed is refused here
/// too: neither feed-rs nor the repair could read it, and both would first build a
/// model of every item before its flaw (a cut-off end).
fn check_entry_count(body: &[u8]) -> Result<(), ParseError> {
    let count = if is_json(body) {
        count_json_items(body)
            .map_err(|err| ParseError::Invalid(format!("unable to parse JSON: {err}")))?
    } else {
        count_xml_entries(body)
    };
    if count > MAX_ENTRIES_IN_DOCUMENT {
        return Err(ParseError::TooManyEntries {
            count,
            limit: MAX_ENTRIES_IN_DOCUMENT,
        });
    }
    Ok(())
}

/// Start tags named `item` or `entry` (with any prefix): one linear scan, no
/// allocation. Tags inside CDATA or comments are counted too; the limit is far enough
/// above real feeds for that not to matter.
fn count_xml_entries(body: &[u8]) -> usize {
    let is_name_byte =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':') || b >= 0x80;
    let mut count = 0;
    let mut rest = body;
    while let Some(lt) = rest.iter().position(|&b| b == b'<') {
        rest = &rest[lt + 1..];
        let len = rest
            .iter()
            .take(64)
            .take_while(|&&b| is_name_byte(b))
            .count();
        let name = &rest[..len];
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        let ends = rest
            .get(len)
            .is_none_or(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/');
        if ends && (local == b"item" || local == b"entry") {
            count += 1;
        }
    }
    count
}

/// The length of a JSON Feed's `items` list, read without building it; an error for
/// JSON that is not well-formed or not shaped like a feed (an object whose `items`, if
/// any, is a list). Invalid UTF-8 inside string values is not checked: the repair
/// replaces it.
fn count_json_items(body: &[u8]) -> Result<usize, serde_json::Error> {
    use serde::de::{Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};

    #[derive(Default)]
    struct Count(usize);
    impl<'de> Deserialize<'de> for Count {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
            struct Counter;
            impl<'de> Visitor<'de> for Counter {
                type Value = Count;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a list of items")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                    let mut n = 0;
                    while seq.next_element::<IgnoredAny>()?.is_some() {
                        n += 1;
                    }
                    Ok(Count(n))
                }
            }
            d.deserialize_seq(Counter)
        }
    }
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        items: Count,
    }
    serde_json::from_slice::<Doc>(body).map(|d| d.items.0)
}

/// Keeps the newest [`MAX_ENTRIES_PER_FEED`] entries, in document order, and says how
/// many there were. An entry's date is its published date, else its updated one (as in
/// [`crate::ingest::normalize::Entry::published`]). Entries without a date come after every
/// dated one, in document order: they are kept only while there is room, and a feed
/// with no dates at all keeps its first entries (feeds list newest first).
fn keep_newest(mut feed: Feed) -> (Feed, Option<String>) {
    let total = feed.entries.len();
    if total <= MAX_ENTRIES_PER_FEED {
        return (feed, None);
    }
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by_key(|&i| {
        let e = &feed.entries[i];
        let date = e.published.or(e.updated);
        (date.is_none(), std::cmp::Reverse(date), i)
    });
    let mut keep = vec![false; total];
    for &i in &order[..MAX_ENTRIES_PER_FEED] {
        keep[i] = true;
    }
    let mut index = 0;
    feed.entries.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    feed.entries.shrink_to_fit();
    let note = format!(
        "cut to the newest {} of {} entries",
        thousands(MAX_ENTRIES_PER_FEED),
        thousands(total)
    );
    (feed, Some(note))
}

/// `1500` → `1,500`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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

/// The body as feed-rs should see it. feed-rs honours a BOM and the XML declaration
/// but not the HTTP header, so the header is applied here, where it is trustworthy:
/// - a BOM always wins;
/// - a body that is valid UTF-8 is UTF-8, whatever the header says (a Latin-1 text is
///   almost never valid UTF-8, while a wrong `charset=iso-8859-1` on a UTF-8 feed is a
///   common misconfiguration); only a UTF-16/32 header is believed over it;
/// - otherwise the header charset wins over the XML declaration (as in feedparser and
///   browsers); with no header charset the declaration is used, and with neither the
///   body is read as Windows-1252 (what "Latin-1" means on the web) instead of being
///   rejected — except JSON, which is UTF-8 with its invalid bytes replaced.
fn decode_with_http_charset<'a>(body: &'a [u8], charset: Option<&str>) -> Cow<'a, [u8]> {
    let header =
        charset.and_then(|label| encoding_rs::Encoding::for_label(label.trim().as_bytes()));
    let encoding = if let Some((bom_encoding, _)) = encoding_rs::Encoding::for_bom(body) {
        if bom_encoding == encoding_rs::UTF_8 {
            return Cow::Borrowed(body);
        }
        // UTF-16 is decoded here: quick-xml mishandles some UTF-16 input.
        bom_encoding
    } else if let Some(utf16) = utf16_without_bom(body) {
        utf16
    } else if std::str::from_utf8(body).is_ok() {
        match header {
            Some(enc) if !enc.is_ascii_compatible() => enc,
            _ => return Cow::Borrowed(body),
        }
    } else {
        match header {
            Some(enc) if enc != encoding_rs::UTF_8 => enc,
            // JSON is UTF-8 (RFC 8259, 8.1): a stray invalid byte is replaced by the
            // recovery pass rather than the whole feed being read as Windows-1252.
            _ if is_json(body) => return Cow::Borrowed(body),
            _ if declares_encoding(body) => return Cow::Borrowed(body),
            _ => encoding_rs::WINDOWS_1252,
        }
    };
    let (text, _, _) = encoding.decode(body);
    let text = text.trim_start_matches('\u{feff}');
    let text = match text.strip_prefix("<?xml") {
        Some(rest) => match rest.find("?>") {
            Some(end) => Cow::Owned(format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>{}",
                &rest[end + 2..]
            )),
            None => Cow::Borrowed(text),
        },
        None => Cow::Borrowed(text),
    };
    Cow::Owned(text.into_owned().into_bytes())
}

/// An XML declaration is only allowed at the very start of a document; one further in
/// makes quick-xml switch encodings mid-stream and panic (found by fuzzing). Such
/// declarations are dropped: they carry nothing a later parse needs.
fn without_late_xml_declarations(body: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let starts = |b: &[u8], i: usize| b[i..].starts_with(b"<?xml") || b[i..].starts_with(b"<?XML");
    let late = |b: &[u8]| (1..b.len().saturating_sub(4)).any(|i| b[i] == b'<' && starts(b, i));
    if !late(&body) {
        return body;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if i > 0 && body[i] == b'<' && starts(&body, i) {
            match body[i..].windows(2).position(|w| w == b"?>") {
                Some(end) => i += end + 2,
                None => i = body.len(),
            }
            continue;
        }
        out.push(body[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// UTF-16 recognised from a BOM-less `<?` (XML 1.0, appendix F).
fn utf16_without_bom(body: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    match body.get(..4)? {
        [0, b'<', 0, b'?'] => Some(encoding_rs::UTF_16BE),
        [b'<', 0, b'?', 0] => Some(encoding_rs::UTF_16LE),
        _ => None,
    }
}

/// Whether the XML declaration names an encoding other than UTF-8 (feed-rs decodes it).
fn declares_encoding(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(200)]).to_ascii_lowercase();
    head.starts_with("<?xml")
        && head
            .split("?>")
            .next()
            .is_some_and(|decl| decl.contains("encoding=") && !decl.contains("utf-8"))
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

/// Lenient date parsing: RFC 3339 / ISO 8601 (with or without zone), RFC 2822 and its
/// common misspellings, and bare dates. A date without a zone is taken as UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() || t.len() > 100 {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(t) {
        return Some(dt.with_timezone(&Utc));
    }
    let cleaned = clean_rfc2822(t);
    if let Ok(dt) = DateTime::parse_from_rfc2822(&cleaned) {
        return Some(dt.with_timezone(&Utc));
    }
    const ZONED: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%a, %d %b %Y %H:%M %z",
        "%d %b %Y %H:%M:%S %z",
    ];
    for f in ZONED {
        if let Ok(dt) = DateTime::parse_from_str(t, f) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    const NAIVE: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%a, %d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M:%S",
    ];
    for f in NAIVE {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt.and_utc());
        }
    }
    for f in ["%Y-%m-%d", "%Y%m%d", "%d %b %Y", "%B %d, %Y", "%b %d, %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc());
        }
    }
    // A trailing zone name chrono does not know ("… 10:00:00 CEST"): read it as UTC
    // rather than losing the date.
    let (head, _) = t.rsplit_once(' ')?;
    if head.len() < t.len() && head.contains(':') {
        for f in ["%a, %d %b %Y %H:%M:%S", "%d %b %Y %H:%M:%S"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(head.trim(), f) {
                return Some(dt.and_utc());
            }
        }
    }
    None
}

/// Fixes common RFC 2822 deviations: full day/month names, missing seconds, `UTC`.
fn clean_rfc2822(t: &str) -> String {
    let mut s = t.replace(" UTC", " +0000").replace(" Z", " +0000");
    for (long, short) in [
        ("Monday", "Mon"),
        ("Tuesday", "Tue"),
        ("Wednesday", "Wed"),
        ("Thursday", "Thu"),
        ("Friday", "Fri"),
        ("Saturday", "Sat"),
        ("Sunday", "Sun"),
        ("January", "Jan"),
        ("February", "Feb"),
        ("March", "Mar"),
        ("April", "Apr"),
        ("June", "Jun"),
        ("July", "Jul"),
        ("August", "Aug"),
        ("September", "Sep"),
        ("Sept", "Sep"),
        ("October", "Oct"),
        ("November", "Nov"),
        ("December", "Dec"),
        ("Tues", "Tue"),
        ("Thur", "Thu"),
    ] {
        s = s.replace(long, short);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_wild() {
        let cases = [
            ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00+00:00"),
            ("2024-03-05T12:00:00+02:00", "2024-03-05T10:00:00+00:00"),
            ("Tue, 05 Mar 2024 10:00:00 GMT", "2024-03-05T10:00:00+00:00"),
            (
                "Tue, 05 Mar 2024 10:00:00 +0000",
                "2024-03-05T10:00:00+00:00",
            ),
            (
                "Tuesday, 05 March 2024 10:00:00 UTC",
                "2024-03-05T10:00:00+00:00",
            ),
            ("2024-03-05 10:00:00", "2024-03-05T10:00:00+00:00"),
            ("2024-03-05T10:00:00", "2024-03-05T10:00:00+00:00"),
            ("2024-03-05", "2024-03-05T00:00:00+00:00"),
            (
                "Tue, 05 Mar 2024 10:00:00 CEST",
                "2024-03-05T10:00:00+00:00",
            ),
        ];
        for (input, want) in cases {
            let got = parse_date(input).map(|d| d.to_rfc3339());
            assert_eq!(got.as_deref(), Some(want), "{input}");
        }
        for bad in ["", "yesterday", "32/13/2024", "Tue, 99 Foo 2024"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn rss_without_version_is_read_as_rss2() {
        let body = b"<?xml version=\"1.0\"?><rss><channel><title>t</title><item><title>a</title><link>https://x.example/a</link></item></channel></rss>";
        let feed = parse_feed(body, None, "https://x.example/feed")
            .unwrap()
            .feed;
        assert_eq!(feed.entries.len(), 1);
        let body = b"<rss version=\"0.94\"><channel><title>t</title><item><title>b</title></item></channel></rss>";
        assert_eq!(
            parse_feed(body, None, "https://x.example/")
                .unwrap()
                .feed
                .entries
                .len(),
            1
        );
    }

    #[test]
    fn entries_without_guid_get_an_empty_id() {
        let body = b"<rss version=\"2.0\"><channel><item><title>a</title><link>https://x.example/a</link></item><item><guid>g2</guid><title>b</title></item></channel></rss>";
        let feed = parse_feed(body, None, "https://x.example/").unwrap().feed;
        assert_eq!(feed.entries[0].id, "");
        assert_eq!(feed.entries[1].id, "g2");
    }

    #[test]
    fn http_charset_overrides_the_xml_declaration() {
        // "café" in ISO-8859-1, declared as utf-8 in the prolog.
        let mut body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><item><title>caf".to_vec();
        body.push(0xE9);
        body.extend_from_slice(b"</title></item></channel></rss>");
        let feed = parse_feed(&body, Some("iso-8859-1"), "https://x.example/")
            .unwrap()
            .feed;
        assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "café");
    }

    #[test]
    fn a_wrong_header_charset_does_not_garble_utf8_and_undeclared_latin1_is_read() {
        let body = "<rss version=\"2.0\"><channel><item><title>caf\u{e9} \u{2014} ok</title></item></channel></rss>";
        let feed = parse_feed(body.as_bytes(), Some("iso-8859-1"), "https://x.example/")
            .unwrap()
            .feed;
        assert_eq!(
            feed.entries[0].title.as_ref().unwrap().content,
            "caf\u{e9} \u{2014} ok"
        );
        let mut latin1 = b"<rss version=\"2.0\"><channel><item><title>caf".to_vec();
        latin1.extend_from_slice(&[0xE9, 0x20, 0x93, b'q', 0x94]);
        latin1.extend_from_slice(b"</title></item></channel></rss>");
        let feed = parse_feed(&latin1, None, "https://x.example/")
            .unwrap()
            .feed;
        assert_eq!(
            feed.entries[0].title.as_ref().unwrap().content,
            "caf\u{e9} \u{201c}q\u{201d}"
        );
    }

    #[test]
    fn utf16_with_and_without_bom_is_read() {
        let xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><item><title>caf\u{e9}</title></item></channel></rss>";
        let be: Vec<u8> = xml.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let le: Vec<u8> = xml.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let with_bom = [&[0xFE, 0xFF][..], &be].concat();
        for body in [be, le, with_bom] {
            let feed = parse_feed(&body, None, "https://x.example/").unwrap().feed;
            assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "caf\u{e9}");
        }
    }

    #[test]
    fn a_late_xml_declaration_is_dropped_not_fatal() {
        let body = b"<!-- x --><?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><item><title>t</title></item></channel></rss>";
        assert_eq!(
            parse_feed(body, None, "https://x.example/")
                .unwrap()
                .feed
                .entries
                .len(),
            1
        );
    }

    #[test]
    fn html_pages_and_empty_bodies_are_explained() {
        let page = b"<!DOCTYPE html><html><head><link rel=alternate type=application/atom+xml href=/atom.xml></head></html>";
        assert_eq!(
            parse_feed(page, None, "https://b.example/blog"),
            Err(ParseError::HtmlPage {
                feeds: vec!["https://b.example/atom.xml".into()]
            })
        );
        assert_eq!(
            parse_feed(b"  \n", None, "https://b.example/"),
            Err(ParseError::Empty)
        );
        assert!(matches!(
            parse_feed(
                b"<rss version=\"2.0\"><channel><item>",
                None,
                "https://b.example/"
            ),
            Err(ParseError::Invalid(_))
        ));
    }

    fn parsed(body: &[u8]) -> Parsed {
        parse_feed(body, None, "https://x.example/feed").expect("parses")
    }

    fn titles(feed: &Feed) -> Vec<String> {
        feed.entries
            .iter()
            .map(|e| {
                e.title
                    .as_ref()
                    .map(|t| t.content.clone())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn a_well_formed_feed_has_no_notes() {
        let p = parsed(
            b"<rss version=\"2.0\"><channel><item><title>a &amp; b</title></item></channel></rss>",
        );
        assert_eq!(titles(&p.feed), ["a & b"]);
        assert!(p.notes.is_empty());
    }

    #[test]
    fn bare_ampersands_are_recovered() {
        let p = parsed(b"<rss version=\"2.0\"><channel><item><title>AT&T &amp; friends&nbsp;now</title><link>https://x.example/get?a=1&b=2</link></item></channel></rss>");
        assert_eq!(titles(&p.feed), ["AT&T & friends&nbsp;now"]);
        assert_eq!(
            p.feed.entries[0].links[0].href,
            "https://x.example/get?a=1&b=2"
        );
        assert_eq!(p.notes, ["recovered: bare ampersands escaped"]);
    }

    #[test]
    fn invalid_control_characters_are_recovered() {
        let p = parsed(b"<rss version=\"2.0\"><channel><item><title>a&#0;b\x01c&#x1b;d</title></item></channel></rss>");
        assert_eq!(titles(&p.feed), ["abcd"]);
        assert_eq!(p.notes, ["recovered: invalid control characters removed"]);
    }

    #[test]
    fn mismatched_end_tags_are_recovered() {
        let p = parsed(b"<rss version=\"2.0\"><channel><title>t</title><language>en</langauge><item><title>a</title><description>x<br>y</description></item><item><title>b</titel></item></channel></rss>");
        assert_eq!(p.feed.language.as_deref(), Some("en"));
        assert_eq!(titles(&p.feed), ["a", "b"]);
        assert_eq!(p.notes, ["recovered: mismatched end tags repaired"]);
    }

    #[test]
    fn a_cut_off_document_keeps_its_complete_entries() {
        let p = parsed(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>a</title></item><item><title>b</title></item><item><title>c</title><description>half a sent");
        assert_eq!(titles(&p.feed), ["a", "b"]);
        assert_eq!(
            p.notes,
            ["recovered: cut-off document: kept the 2 complete entries"]
        );
        // Cut before any entry is complete: nothing was read, so the feed fails.
        assert!(matches!(
            parse_feed(
                b"<rss version=\"2.0\"><channel><title>t</title><item><title><![CD",
                None,
                "https://x.example/"
            ),
            Err(ParseError::Invalid(_))
        ));
    }

    #[test]
    fn atom_text_constructs_of_other_media_types_are_decoded_or_skipped() {
        let p = parsed(concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">"#,
            r#"<title type="text/plain">Blog</title><subtitle type="application/x-custom">%%%</subtitle>"#,
            r#"<entry><id>1</id><title type="application/octet-stream">UG9zdG1vcnRlbTogY2Fmw6k=</title>"#,
            r#"<summary type="application/xhtml+xml"><div xmlns="http://www.w3.org/1999/xhtml">An <b>outage</b></div></summary></entry>"#,
            r#"<entry><id>2</id><title>Plain</title><rights type="application/x-custom">eA</rights></entry></feed>"#
        ).as_bytes());
        assert_eq!(p.feed.title.as_ref().unwrap().content, "Blog");
        assert_eq!(p.feed.description, None);
        assert_eq!(titles(&p.feed), ["Postmortem: caf\u{e9}", "Plain"]);
        assert!(
            p.feed.entries[0]
                .summary
                .as_ref()
                .unwrap()
                .content
                .contains("<b>outage</b>")
        );
        assert_eq!(
            p.notes,
            [
                "recovered: atom text construct of type text/plain read as text",
                "recovered: atom text construct of type application/x-custom skipped",
                "recovered: atom text construct of type application/octet-stream decoded",
                "recovered: atom text construct of type application/xhtml+xml read as xhtml",
                "recovered: atom text construct of type application/x-custom decoded",
            ]
        );
    }

    #[test]
    fn json_feed_versions_and_string_tags_are_recovered() {
        let p = parsed(br#"{"version":"http://jsonfeed.org/version/1","title":"t","items":[{"id":"1","title":"a","tags":"sre"}]}"#);
        assert_eq!(titles(&p.feed), ["a"]);
        assert_eq!(p.feed.entries[0].categories[0].term, "sre");
        assert_eq!(
            p.notes,
            [
                "recovered: JSON Feed version missing or misspelt, read as 1.1",
                "recovered: JSON Feed tags given as a string read as one tag",
            ]
        );
        let p = parsed(br#"{"title":"t","items":[{"id":1,"title":"b"}]}"#);
        assert_eq!(titles(&p.feed), ["b"]);
        assert_eq!(p.feed.entries[0].id, "1");
        assert_eq!(
            p.notes,
            [
                "recovered: JSON Feed version missing or misspelt, read as 1.1",
                "recovered: mistyped or missing JSON Feed fields fixed",
            ]
        );
    }

    #[test]
    fn json_feed_invalid_utf8_is_replaced_not_read_as_windows_1252() {
        let p = parsed(b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"caf\xc3\xa9\",\"items\":[{\"id\":\"1\",\"title\":\"na\xefve \xe2\x80\x94 ok\"}]}");
        assert_eq!(p.feed.title.as_ref().unwrap().content, "caf\u{e9}");
        assert_eq!(titles(&p.feed), ["na\u{fffd}ve \u{2014} ok"]);
        assert_eq!(p.notes, ["recovered: invalid UTF-8 bytes replaced"]);
    }

    /// An RSS document of `n` items; item `i` is dated `date(i)`.
    fn rss_items(n: usize, date: impl Fn(usize) -> Option<String>) -> String {
        let items: String = (0..n)
            .map(|i| match date(i) {
                Some(d) => format!("<item><title>{i}</title><pubDate>{d}</pubDate></item>"),
                None => format!("<item><title>{i}</title></item>"),
            })
            .collect();
        format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>")
    }

    #[test]
    fn a_feed_over_1000_entries_keeps_its_newest_in_file_order() {
        // Oldest first: item i is i hours after the first; 1,500 items.
        let day = |i: usize| {
            let t = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap()
                + chrono::Duration::hours(i as i64);
            Some(t.to_rfc3339())
        };
        let p = parsed(rss_items(1_500, day).as_bytes());
        let want: Vec<String> = (500..1_500).map(|i| i.to_string()).collect();
        assert_eq!(titles(&p.feed), want);
        assert_eq!(p.notes, ["cut to the newest 1,000 of 1,500 entries"]);
        // Undated entries come after every dated one, in file order.
        let some_dated = |i: usize| if i.is_multiple_of(2) { None } else { day(i) };
        let p = parsed(rss_items(1_500, some_dated).as_bytes());
        let kept = titles(&p.feed);
        assert_eq!(kept.len(), 1_000);
        let odd = kept
            .iter()
            .filter(|t| t.parse::<usize>().unwrap() % 2 == 1)
            .count();
        assert_eq!(odd, 750, "every dated entry is kept");
        assert_eq!(kept[0], "0", "then the first undated ones");
        assert_eq!(kept.last().unwrap(), "1499");
        // At the limit nothing is cut.
        assert!(parsed(rss_items(1_000, day).as_bytes()).notes.is_empty());
    }

    #[test]
    fn a_document_over_20000_entries_is_refused_before_it_is_parsed() {
        let items = "<item/>".repeat(25_000);
        let rss = format!("<rss version=\"2.0\"><channel>{items}</channel></rss>");
        let too_many = Err(ParseError::TooManyEntries {
            count: 25_000,
            limit: MAX_ENTRIES_IN_DOCUMENT,
        });
        assert_eq!(
            parse_feed(rss.as_bytes(), None, "https://x.example/"),
            too_many
        );
        // Counted before feed-rs reads it: this root is one feed-rs would refuse.
        let entries = "<a:entry />".repeat(25_000);
        let other = format!("<nonsense>{entries}");
        assert_eq!(
            parse_feed(other.as_bytes(), None, "https://x.example/"),
            too_many
        );
        let json = format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{}{{}}]}}"#,
            "{},".repeat(24_999)
        );
        assert_eq!(
            parse_feed(json.as_bytes(), None, "https://x.example/"),
            too_many
        );
        // Up to the limit a document is read (and cut to its newest entries).
        let items = "<item/>".repeat(MAX_ENTRIES_IN_DOCUMENT);
        let rss = format!("<rss version=\"2.0\"><channel>{items}</channel></rss>");
        let p = parsed(rss.as_bytes());
        assert_eq!(p.feed.entries.len(), MAX_ENTRIES_PER_FEED);
        assert_eq!(p.notes, ["cut to the newest 1,000 of 20,000 entries"]);
    }

    #[test]
    fn entries_are_counted_by_their_start_tags() {
        assert_eq!(
            count_xml_entries(b"<rss><channel><items/><item>a</item><item >b</item><itemx/><rdf:item/>&lt;item></channel></rss>"),
            3
        );
        assert_eq!(
            count_xml_entries(b"<feed><entry/><entry\n/><entryx/></feed>"),
            2
        );
        assert_eq!(
            count_json_items(b"{\"items\":[{},{\"a\":[1]}],\"x\":\"\xff\"}").unwrap(),
            2
        );
        assert!(count_json_items(b"{\"items\":").is_err());
        // Cut off after many items: refused before any model of them is built.
        let cut = format!(
            "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\",\"items\":[{}",
            "{},".repeat(10)
        );
        assert!(matches!(
            parse_feed(cut.as_bytes(), None, "https://x.example/"),
            Err(ParseError::Invalid(m)) if m.starts_with("unable to parse JSON: EOF while parsing")
        ));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
