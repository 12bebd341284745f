//! Parse: a fetched body → feed-rs's model. Pure.
//!
//! feed-rs does the format work (RSS 0.9x/1.0/2.0, Atom, JSON Feed). Around it we fix
//! what it leaves to callers:
//! - the HTTP `charset` is ignored by feed-rs; when the server names one and the body
//!   has no BOM, the body is decoded with it first (the HTTP header wins over the XML
//!   declaration, as feedparser and browsers do);
//! - `<rss>` without a `version` attribute fails with `NoFeedRoot` in feed-rs 3.0
//!   (upstream #275); it is retried as RSS 2.0;
//! - feed-rs invents entry ids (a hash of link + title, or a random UUID) when a feed has
//!   none; we make it leave them empty so dedupe can tell a real GUID from a guess;
//! - dates feed-rs cannot parse (no zone, odd layouts) are parsed by [`parse_date`];
//! - an HTML page instead of a feed becomes an error naming the feeds the page links.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use feed_rs::model::Feed;

use crate::ingest::html;

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
pub fn parse_feed(body: &[u8], charset: Option<&str>, base: &str) -> Result<Feed, ParseError> {
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
    match parse_guarded(&body, base)? {
        Ok(feed) => Ok(feed),
        Err(feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        )) => match with_rss_version(&body) {
            Some(fixed) => parse_guarded(&fixed, base)?.map_err(invalid),
            None => Err(invalid(feed_rs::parser::ParseFeedError::ParseError(
                feed_rs::parser::ParseErrorKind::NoFeedRoot,
            ))),
        },
        Err(err) => Err(invalid(err)),
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

/// The body as feed-rs should see it. feed-rs honours a BOM and the XML declaration
/// but not the HTTP header, so the header is applied here, where it is trustworthy:
/// - a BOM always wins;
/// - a body that is valid UTF-8 is UTF-8, whatever the header says (a Latin-1 text is
///   almost never valid UTF-8, while a wrong `charset=iso-8859-1` on a UTF-8 feed is a
///   common misconfiguration); only a UTF-16/32 header is believed over it;
/// - otherwise the header charset wins over the XML declaration (as in feedparser and
///   browsers); with no header charset the declaration is used, and with neither the
///   body is read as Windows-1252 (what "Latin-1" means on the web) instead of being
///   rejected.
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
        let feed = parse_feed(body, None, "https://x.example/feed").unwrap();
        assert_eq!(feed.entries.len(), 1);
        let body = b"<rss version=\"0.94\"><channel><title>t</title><item><title>b</title></item></channel></rss>";
        assert_eq!(
            parse_feed(body, None, "https://x.example/")
                .unwrap()
                .entries
                .len(),
            1
        );
    }

    #[test]
    fn entries_without_guid_get_an_empty_id() {
        let body = b"<rss version=\"2.0\"><channel><item><title>a</title><link>https://x.example/a</link></item><item><guid>g2</guid><title>b</title></item></channel></rss>";
        let feed = parse_feed(body, None, "https://x.example/").unwrap();
        assert_eq!(feed.entries[0].id, "");
        assert_eq!(feed.entries[1].id, "g2");
    }

    #[test]
    fn http_charset_overrides_the_xml_declaration() {
        // "café" in ISO-8859-1, declared as utf-8 in the prolog.
        let mut body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><item><title>caf".to_vec();
        body.push(0xE9);
        body.extend_from_slice(b"</title></item></channel></rss>");
        let feed = parse_feed(&body, Some("iso-8859-1"), "https://x.example/").unwrap();
        assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "café");
    }

    #[test]
    fn a_wrong_header_charset_does_not_garble_utf8_and_undeclared_latin1_is_read() {
        let body = "<rss version=\"2.0\"><channel><item><title>caf\u{e9} \u{2014} ok</title></item></channel></rss>";
        let feed = parse_feed(body.as_bytes(), Some("iso-8859-1"), "https://x.example/").unwrap();
        assert_eq!(
            feed.entries[0].title.as_ref().unwrap().content,
            "caf\u{e9} \u{2014} ok"
        );
        let mut latin1 = b"<rss version=\"2.0\"><channel><item><title>caf".to_vec();
        latin1.extend_from_slice(&[0xE9, 0x20, 0x93, b'q', 0x94]);
        latin1.extend_from_slice(b"</title></item></channel></rss>");
        let feed = parse_feed(&latin1, None, "https://x.example/").unwrap();
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
            let feed = parse_feed(&body, None, "https://x.example/").unwrap();
            assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "caf\u{e9}");
        }
    }

    #[test]
    fn a_late_xml_declaration_is_dropped_not_fatal() {
        let body = b"<!-- x --><?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><item><title>t</title></item></channel></rss>";
        assert_eq!(
            parse_feed(body, None, "https://x.example/")
                .unwrap()
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
}
