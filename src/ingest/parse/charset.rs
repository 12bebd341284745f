//! Charsets: the HTTP header's charset applied before feed-rs reads the body (feed-rs
//! reads only a BOM and the XML declaration), and the declarations that would mislead it.

use std::borrow::Cow;

use super::is_json;

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
pub(super) fn decode_with_http_charset<'a>(body: &'a [u8], charset: Option<&str>) -> Cow<'a, [u8]> {
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
pub(super) fn without_late_xml_declarations(body: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
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
