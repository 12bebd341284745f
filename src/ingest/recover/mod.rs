//! Recover: repairs for the malformations real feeds have, tried only after a strict
//! parse failed. Pure.
//!
//! Lenient readers (feedparser, NetNewsWire, gofeed, Miniflux) read feeds that are not
//! well-formed; feed-rs rejects the whole document. [`repair_xml`] and [`repair_json`]
//! rewrite a document into one feed-rs can read and say what they changed ([`Fix`]),
//! so the feed stays readable and its status can say that it was recovered.
//!
//! XML, in two linear passes:
//! 1. bytes: a `&` that does not start a reference (`?a=1&b=2`) becomes `&amp;`, and a
//!    `<` that cannot start markup (`a < b`) becomes `&lt;`; control characters XML
//!    forbids are removed, raw or as character references (`&#0;`). Named references
//!    are left as they are, whatever the name: feed-rs resolves the five XML ones and
//!    keeps the others (`&nbsp;`, `&eacute;`) as written, and normalize reads them as
//!    HTML entities. Comments, CDATA sections and processing instructions are copied.
//! 2. events (quick-xml, re-serialized): an end tag that closes an element further out
//!    closes the ones left open inside it (`<br>` in a description); one that matches no
//!    open element closes the innermost one when its name is a near miss of it
//!    (`<language>…</langauge>`) and is dropped otherwise. A document that ends (or
//!    stops being readable) before its root closes is cut back to before the entry it
//!    stopped in, and what is still open is closed; that counts as a recovery only when
//!    a complete entry is kept or nothing but end tags was lost (a feed cut inside its
//!    first entry would otherwise read as "ok" while nothing of it was read). In an Atom
//!    document, a text construct (title, subtitle, summary, rights) with a media type
//!    feed-rs does not accept is read as the type it means (`text/plain` → text,
//!    `application/xhtml+xml` → xhtml), decoded when it is base64 text (what the Atom
//!    spec says any other type holds), and skipped otherwise.
//!
//! JSON Feed: invalid UTF-8 bytes become U+FFFD (JSON is UTF-8; reading the whole feed
//! as Windows-1252 because of one byte garbles every other non-ASCII character); a
//! missing or `http://` version is taken as 1.1; `tags` given as one string is one tag;
//! fields of the wrong JSON type (a number as an id) are converted or dropped.
//!
//! The work is bounded: every pass is linear in the body (which fetch has already
//! capped), and a document needing more than [`MAX_TAG_REPAIRS`] tag repairs is not
//! repaired at all.

use std::fmt;

mod escape;
mod json;
mod structure;
#[cfg(test)]
mod tests;

pub use json::repair_json;

use escape::{escape_pass, find};
use structure::structure_pass;

/// Most end tags one document may need repaired; past that it is not a feed with a
/// typo but something else, and each repair may scan `SEARCH_DEPTH` open elements.
pub const MAX_TAG_REPAIRS: usize = 1_000;

/// How many open elements an end tag is looked up in.
pub(super) const SEARCH_DEPTH: usize = 64;

/// A document rewritten so a strict parser can read it, and what was changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    pub body: Vec<u8>,
    /// Each kind of repair once, in the order first applied.
    pub fixes: Vec<Fix>,
}

/// One kind of repair. Its `Display` text is what the feed's note says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    BareAmpersands,
    BareLessThans,
    ControlCharacters,
    CharacterReferences,
    MismatchedEndTags,
    /// The document ended inside an element; `kept` entries were complete.
    CutOff {
        kept: usize,
    },
    /// The document stopped being readable XML at about byte `at` (counted in the
    /// escaped text, so a little after the original's).
    Unreadable {
        at: usize,
        kept: usize,
    },
    AtomText {
        mime: String,
        action: TextAction,
    },
    JsonVersion,
    JsonTagsString,
    JsonFieldTypes,
    InvalidUtf8,
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = |n: usize| if n == 1 { "entry" } else { "entries" };
        match self {
            Fix::BareAmpersands => f.write_str("bare ampersands escaped"),
            Fix::BareLessThans => f.write_str("bare < characters escaped"),
            Fix::ControlCharacters => f.write_str("invalid control characters removed"),
            Fix::CharacterReferences => f.write_str("malformed character references repaired"),
            Fix::MismatchedEndTags => f.write_str("mismatched end tags repaired"),
            Fix::CutOff { kept } => write!(
                f,
                "cut-off document: kept the {kept} complete {}",
                entries(*kept)
            ),
            Fix::Unreadable { at, kept } => write!(
                f,
                "unreadable XML from about byte {at} on: kept the {kept} complete {} before it",
                entries(*kept)
            ),
            Fix::AtomText { mime, action } => {
                let mime = if mime.is_empty() { "\"\"" } else { mime };
                write!(f, "atom text construct of type {mime} ")?;
                match action {
                    TextAction::ReadAs(kind) => write!(f, "read as {kind}"),
                    TextAction::Decoded => f.write_str("decoded"),
                    TextAction::Skipped => f.write_str("skipped"),
                }
            }
            Fix::JsonVersion => f.write_str("JSON Feed version missing or misspelt, read as 1.1"),
            Fix::JsonTagsString => f.write_str("JSON Feed tags given as a string read as one tag"),
            Fix::JsonFieldTypes => f.write_str("mistyped or missing JSON Feed fields fixed"),
            Fix::InvalidUtf8 => f.write_str("invalid UTF-8 bytes replaced"),
        }
    }
}

/// What was done with an Atom text construct of a media type feed-rs rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAction {
    /// Read as the Atom type named (`text`, `html` or `xhtml`).
    ReadAs(&'static str),
    /// Its base64 content was decoded into text.
    Decoded,
    /// Dropped: neither a text type nor base64 text.
    Skipped,
}

pub(super) fn add(fixes: &mut Vec<Fix>, fix: Fix) {
    if !fixes.contains(&fix) {
        fixes.push(fix);
    }
}

/// Repairs an XML feed document; `None` when there is nothing this module can repair
/// in it. A body that is not UTF-8 is decoded as its XML declaration says (else as
/// Windows-1252) and comes back as UTF-8, its declaration saying so; UTF-16 must have
/// been decoded before.
pub fn repair_xml(body: &[u8]) -> Option<Repaired> {
    let mut fixes = Vec::new();
    let body = utf8(body);
    let escaped = escape_pass(body.as_bytes(), &mut fixes);
    drop(body);
    // Only ASCII bytes were removed or added, so UTF-8 stays UTF-8.
    let escaped = String::from_utf8(escaped).ok()?;
    let body = structure_pass(&escaped, &mut fixes)?;
    (!fixes.is_empty()).then(|| Repaired {
        body: body.into_bytes(),
        fixes,
    })
}

/// The document as UTF-8 (quick-xml's slice reader reads nothing else).
pub(super) fn utf8(body: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(body) {
        return std::borrow::Cow::Borrowed(text);
    }
    let head = &body[..body.len().min(200)];
    let declaration = head
        .starts_with(b"<?xml")
        .then(|| find(head, b"?>"))
        .flatten()
        .map(|end| &head[..end + 2]);
    let encoding = declaration
        .and_then(|d| {
            let d = String::from_utf8_lossy(d).to_ascii_lowercase();
            let value = d.split("encoding=").nth(1)?;
            // Feed bytes: the quote may be any character, of any length.
            let quote = value.chars().next()?;
            let label = value[quote.len_utf8()..].split(quote).next()?.to_owned();
            encoding_rs::Encoding::for_label(label.as_bytes())
        })
        .unwrap_or(encoding_rs::WINDOWS_1252);
    let rest = &body[declaration.map_or(0, <[u8]>::len)..];
    let (text, _) = encoding.decode_without_bom_handling(rest);
    let declaration = if declaration.is_some() {
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    } else {
        ""
    };
    std::borrow::Cow::Owned(format!("{declaration}{text}"))
}
