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

use quick_xml::events::{BytesStart, Event};

/// Most end tags one document may need repaired; past that it is not a feed with a
/// typo but something else, and each repair may scan [`SEARCH_DEPTH`] open elements.
pub const MAX_TAG_REPAIRS: usize = 1_000;
/// How many open elements an end tag is looked up in.
const SEARCH_DEPTH: usize = 64;

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

fn add(fixes: &mut Vec<Fix>, fix: Fix) {
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
fn utf8(body: &[u8]) -> std::borrow::Cow<'_, str> {
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
            let quote = value.chars().next()?;
            let label = value[1..].split(quote).next()?.to_owned();
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

// ---------------------------------------------------------------------------------
// Pass 1: bytes.

/// Escapes bare `&` and `<`, removes forbidden control characters.
fn escape_pass(body: &[u8], fixes: &mut Vec<Fix>) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 64);
    let (mut amp, mut lt, mut ctrl, mut char_refs) = (false, false, false, false);
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        match b {
            b'<' => {
                let rest = &body[i..];
                // Sections copied as they are (but for control characters), up to
                // their terminator, or to the end for an unterminated one.
                let section = [
                    (&b"<!--"[..], &b"-->"[..]),
                    (b"<![CDATA[", b"]]>"),
                    (b"<?", b"?>"),
                ]
                .into_iter()
                .find(|(open, _)| rest.starts_with(open));
                if let Some((open, close)) = section {
                    let end = find(&rest[open.len()..], close)
                        .map_or(rest.len(), |p| open.len() + p + close.len());
                    for &c in &rest[..end] {
                        if is_forbidden_control(c) {
                            ctrl = true;
                        } else {
                            out.push(c);
                        }
                    }
                    i += end;
                    continue;
                }
                if starts_markup(&rest[1..]) {
                    out.push(b'<');
                } else {
                    out.extend_from_slice(b"&lt;");
                    lt = true;
                }
            }
            b'&' => match reference_len(&body[i..]) {
                Reference::Valid(len) => {
                    out.extend_from_slice(&body[i..i + len]);
                    i += len;
                    continue;
                }
                Reference::ForbiddenChar(len) => {
                    ctrl = true;
                    i += len;
                    continue;
                }
                Reference::UpperX(len) => {
                    out.extend_from_slice(b"&#x");
                    out.extend_from_slice(&body[i + 3..i + len]);
                    char_refs = true;
                    i += len;
                    continue;
                }
                Reference::Bare => {
                    out.extend_from_slice(b"&amp;");
                    amp = true;
                }
            },
            _ if is_forbidden_control(b) => ctrl = true,
            _ => out.push(b),
        }
        i += 1;
    }
    if amp {
        add(fixes, Fix::BareAmpersands);
    }
    if lt {
        add(fixes, Fix::BareLessThans);
    }
    if ctrl {
        add(fixes, Fix::ControlCharacters);
    }
    if char_refs {
        add(fixes, Fix::CharacterReferences);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// C0 controls other than tab, line feed and carriage return (XML 1.0 `Char`).
fn is_forbidden_control(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_name_char(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

/// Whether what follows a `<` can be markup: a start or end tag, a comment, CDATA, a
/// declaration or a processing instruction.
/// A `<` at the very end, or `</` or an opening `<!…` cut short by it, counts: the
/// document was cut off there, which the second pass repairs.
fn starts_markup(after: &[u8]) -> bool {
    let cut_short = |open: &[u8]| after.len() < open.len() && open.starts_with(after);
    if cut_short(b"![CDATA[") || cut_short(b"!--") || after == b"/" {
        return true;
    }
    match after {
        [b'/', c, ..] => is_name_start(*c),
        [b'!', rest @ ..] => {
            rest.starts_with(b"--")
                || rest.starts_with(b"[CDATA[")
                || rest
                    .get(..7)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"DOCTYPE"))
                || rest.first().is_some_and(u8::is_ascii_uppercase)
        }
        [b'?', ..] => true,
        [c, ..] => is_name_start(*c),
        [] => false,
    }
}

enum Reference {
    /// A well-formed reference of this many bytes.
    Valid(usize),
    /// A hexadecimal character reference of this many bytes written `&#X…;` (XML
    /// allows only a lower-case `x`).
    UpperX(usize),
    /// A character reference of this many bytes to a character XML forbids.
    ForbiddenChar(usize),
    Bare,
}

/// Longest entity name kept as a reference (the HTML ones are at most 31 bytes).
const MAX_ENTITY_NAME: usize = 40;

/// Reads the reference at `at[0] == b'&'`.
fn reference_len(at: &[u8]) -> Reference {
    let rest = &at[1..];
    if let Some(num) = rest.strip_prefix(b"#") {
        let (digits, radix, prefix) = match num {
            [b'x' | b'X', hex @ ..] => (hex, 16, 2),
            _ => (num, 10, 1),
        };
        let len = digits
            .iter()
            .take(12)
            .take_while(|b| b.is_ascii_hexdigit() && (radix == 16 || b.is_ascii_digit()))
            .count();
        if len == 0 || digits.get(len) != Some(&b';') {
            return Reference::Bare;
        }
        let total = 1 + prefix + len + 1;
        let code = std::str::from_utf8(&digits[..len])
            .ok()
            .and_then(|d| u32::from_str_radix(d, radix).ok());
        return match code {
            Some(c) if !is_xml_char(c) => Reference::ForbiddenChar(total),
            Some(_) if num[0] == b'X' => Reference::UpperX(total),
            Some(_) => Reference::Valid(total),
            None => Reference::ForbiddenChar(total),
        };
    }
    match rest.first() {
        Some(&c) if is_name_start(c) => {}
        _ => return Reference::Bare,
    }
    let len = rest
        .iter()
        .take(MAX_ENTITY_NAME + 1)
        .take_while(|&&b| is_name_char(b))
        .count();
    if len <= MAX_ENTITY_NAME && rest.get(len) == Some(&b';') {
        Reference::Valid(1 + len + 1)
    } else {
        Reference::Bare
    }
}

/// XML 1.0 `Char`.
fn is_xml_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

// ---------------------------------------------------------------------------------
// Pass 2: elements.

struct Open {
    name: String,
    is_entry: bool,
    /// Output length before its start tag.
    at: usize,
}

/// An Atom text construct being read to be decoded or skipped.
struct Collecting<'a> {
    start: BytesStart<'a>,
    mime: String,
    depth: usize,
    text: String,
    /// Child elements or references: not base64.
    mixed: bool,
}

/// Re-serializes the document with its element structure repaired; `None` when it
/// needs more than [`MAX_TAG_REPAIRS`] repairs.
fn structure_pass(body: &str, fixes: &mut Vec<Fix>) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(body);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.expand_empty_elements = false;
    config.trim_text(false);

    let mut out = String::with_capacity(body.len());
    let mut stack: Vec<Open> = Vec::new();
    let mut atom = false;
    let mut root_seen = false;
    let mut completed = 0usize;
    let mut repairs = 0usize;
    let mut collecting: Option<Collecting> = None;
    // Whether nothing but whitespace was read since the last end tag.
    let mut after_end = false;

    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(_) => {
                let at = reader.error_position() as usize;
                let stop = if reader.buffer_position() as usize >= body.len() {
                    let in_end_tag = body.get(at..).is_some_and(|rest| rest.starts_with("</"));
                    Stop::End {
                        closing: after_end || in_end_tag,
                    }
                } else {
                    Stop::Error { at }
                };
                if !close_truncated(&mut out, &mut stack, completed, stop, fixes) {
                    return None;
                }
                break;
            }
        };
        after_end = match &event {
            Event::End(_) => true,
            Event::Text(t) if t.trim().is_empty() => after_end,
            Event::Eof => after_end,
            _ => false,
        };
        if let Some(c) = collecting.as_mut() {
            match &event {
                Event::Start(_) => {
                    c.depth += 1;
                    c.mixed = true;
                }
                Event::End(_) => {
                    c.depth -= 1;
                    if c.depth == 0 {
                        let c = collecting.take().expect("collecting");
                        finish_collected(&mut out, c, fixes);
                    }
                }
                Event::Empty(_) | Event::GeneralRef(_) => c.mixed = true,
                Event::Text(t) => c.text.push_str(t),
                Event::CData(t) => c.text.push_str(t),
                Event::Eof => {
                    let stop = Stop::End { closing: false };
                    if !close_truncated(&mut out, &mut stack, completed, stop, fixes) {
                        return None;
                    }
                    break;
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(e) => {
                let name = e.name().into_inner().to_owned();
                if !root_seen {
                    root_seen = true;
                    atom = local(&name) == "feed";
                }
                let at = out.len();
                match atom.then(|| atom_text_type(&stack, &name, &e)).flatten() {
                    Some(AtomType::Base64(mime)) => {
                        collecting = Some(Collecting {
                            start: e,
                            mime,
                            depth: 1,
                            text: String::new(),
                            mixed: false,
                        });
                        continue;
                    }
                    Some(AtomType::Retyped(start, fix)) => {
                        add(fixes, fix);
                        push_start(&mut out, &start);
                    }
                    Some(AtomType::Fine) | None => push_start(&mut out, &e),
                }
                stack.push(Open {
                    is_entry: matches!(local(&name), "item" | "entry"),
                    name,
                    at,
                });
            }
            Event::Empty(e) => {
                let name = e.name().into_inner().to_owned();
                if !root_seen {
                    // An empty root: nothing else of the document is read.
                    push_empty(&mut out, &e);
                    break;
                }
                match atom.then(|| atom_text_type(&stack, &name, &e)).flatten() {
                    Some(AtomType::Retyped(start, fix)) => {
                        add(fixes, fix);
                        push_empty(&mut out, &start);
                    }
                    Some(AtomType::Base64(mime)) => {
                        let mime = printable(&mime);
                        add(
                            fixes,
                            Fix::AtomText {
                                mime,
                                action: TextAction::Skipped,
                            },
                        );
                    }
                    Some(AtomType::Fine) | None => push_empty(&mut out, &e),
                }
            }
            Event::End(e) => {
                let name = e.name().into_inner();
                let matched = stack.last().is_some_and(|top| top.name == name);
                if !matched {
                    repairs += 1;
                    if repairs > MAX_TAG_REPAIRS {
                        return None;
                    }
                    add(fixes, Fix::MismatchedEndTags);
                }
                let lowest = stack.len().saturating_sub(SEARCH_DEPTH);
                let closes = if matched {
                    Some(stack.len() - 1)
                } else if let Some(i) = stack[lowest..].iter().rposition(|o| o.name == name) {
                    Some(lowest + i)
                } else {
                    // A misspelt end tag closes the element it nearly names; any other
                    // stray end tag is dropped.
                    stack
                        .last()
                        .filter(|top| near_miss(&top.name, name))
                        .map(|_| stack.len() - 1)
                };
                if let Some(i) = closes {
                    while stack.len() > i {
                        let open = stack.pop().expect("non-empty");
                        push_end(&mut out, &open.name);
                        completed += usize::from(open.is_entry);
                    }
                    if stack.is_empty() {
                        // The root is closed: what follows is not read by feed-rs.
                        break;
                    }
                }
            }
            Event::Eof => {
                let stop = Stop::End { closing: after_end };
                if !stack.is_empty()
                    && !close_truncated(&mut out, &mut stack, completed, stop, fixes)
                {
                    return None;
                }
                break;
            }
            other => push_event(&mut out, &other),
        }
    }
    Some(out)
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Where a document stopped being read before its root element closed.
enum Stop {
    /// At its end; `closing` when only end tags were left (the last thing read was an
    /// end tag, or the document ends inside one: `</rss`).
    End { closing: bool },
    /// At a syntax error before its end, at this byte.
    Error { at: usize },
}

/// Ends a document that stopped inside elements: it is cut back to before the
/// outermost entry still open (a partial entry is dropped), and what remains open is
/// closed. Returns whether that is a recovery: it keeps a complete entry, or it lost
/// nothing but end tags. A feed read as "ok" from which nothing could be read (cut in
/// its first entry, unreadable before its first) would hide that it is broken.
fn close_truncated(
    out: &mut String,
    stack: &mut Vec<Open>,
    completed: usize,
    stop: Stop,
    fixes: &mut Vec<Fix>,
) -> bool {
    let dropped_entry = stack.iter().position(|o| o.is_entry);
    if let Some(first_entry) = dropped_entry {
        out.truncate(stack[first_entry].at);
        stack.truncate(first_entry);
    }
    while let Some(open) = stack.pop() {
        push_end(out, &open.name);
    }
    let (fix, recovered) = match stop {
        Stop::End { closing } => (
            Fix::CutOff { kept: completed },
            completed > 0 || (closing && dropped_entry.is_none()),
        ),
        Stop::Error { at } => (
            Fix::Unreadable {
                at,
                kept: completed,
            },
            completed > 0,
        ),
    };
    add(fixes, fix);
    recovered
}

/// Whether a misspelt end tag `got` was meant to close `open`: the same name in another
/// case, or at most two edits (a transposition counting as one) apart.
fn near_miss(open: &str, got: &str) -> bool {
    let (open, got) = (open.as_bytes(), got.as_bytes());
    if open.eq_ignore_ascii_case(got) {
        return true;
    }
    if open.len().abs_diff(got.len()) > 2 || open.len() > 32 || got.len() > 32 || open.len() < 3 {
        return false;
    }
    // Optimal string alignment distance.
    let (n, m) = (open.len(), got.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(!open[i - 1].eq_ignore_ascii_case(&got[j - 1]));
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && open[i - 1] == got[j - 2] && open[i - 2] == got[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[n][m] <= 2
}

fn push_start(out: &mut String, e: &BytesStart) {
    out.push('<');
    out.push_str(e);
    out.push('>');
}

fn push_empty(out: &mut String, e: &BytesStart) {
    out.push('<');
    out.push_str(e);
    out.push_str("/>");
}

fn push_end(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Writes an event as it was read (text stays escaped).
fn push_event(out: &mut String, event: &Event) {
    let (open, content, close): (&str, &str, &str) = match event {
        Event::Text(t) => ("", t, ""),
        Event::CData(t) => ("<![CDATA[", t, "]]>"),
        Event::Comment(t) => ("<!--", t, "-->"),
        Event::Decl(t) => ("<?", t, "?>"),
        Event::PI(t) => ("<?", t, "?>"),
        Event::DocType(t) => ("<!DOCTYPE ", t, ">"),
        Event::GeneralRef(t) => ("&", t, ";"),
        Event::Start(_) | Event::Empty(_) | Event::End(_) | Event::Eof => return,
    };
    out.push_str(open);
    out.push_str(content);
    out.push_str(close);
}

enum AtomType<'a> {
    /// A type feed-rs reads.
    Fine,
    /// The start tag with its `type` rewritten, and what that was.
    Retyped(BytesStart<'a>, Fix),
    /// A media type whose content is base64 (Atom 1.0, 3.1.1 and 4.1.3.3).
    Base64(String),
}

/// The text-construct handling of an element in an Atom document, when it is one.
fn atom_text_type<'a>(stack: &[Open], name: &str, e: &BytesStart<'a>) -> Option<AtomType<'a>> {
    let parent = local(&stack.last()?.name);
    if !matches!(parent, "feed" | "entry" | "source")
        || !matches!(local(name), "title" | "subtitle" | "summary" | "rights")
    {
        return None;
    }
    let attr = attributes(e).find(|a| a.key.as_ref() == "type")?;
    let value = attr.value.to_string();
    if matches!(value.as_str(), "text" | "html" | "xhtml" | "text/html") {
        return Some(AtomType::Fine);
    }
    let mime = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let kind = match mime.as_str() {
        "html" | "text/html" => "html",
        "xhtml" | "application/xhtml+xml" => "xhtml",
        // No type (`type=""`) is the default type.
        m if m.is_empty() || m == "text" || m.starts_with("text/") => "text",
        m if m.ends_with("+xml") || m.ends_with("/xml") => "xhtml",
        _ => return Some(AtomType::Base64(value)),
    };
    let mut start = BytesStart::new(name.to_owned());
    start.extend_attributes(attributes(e).filter(|a| a.key.as_ref() != "type"));
    start.push_attribute(("type", kind));
    let fix = Fix::AtomText {
        mime: printable(&value),
        action: TextAction::ReadAs(kind),
    };
    Some(AtomType::Retyped(start.into_owned(), fix))
}

/// The attributes that can be read (malformed ones are left out, as feed-rs does).
fn attributes<'a>(
    e: &'a BytesStart,
) -> impl Iterator<Item = quick_xml::events::attributes::Attribute<'a>> {
    let mut attributes = e.attributes();
    attributes.with_checks(false);
    attributes.flatten()
}

/// A media type as a note may show it: printable ASCII, at most 60 characters.
fn printable(mime: &str) -> String {
    mime.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(60)
        .collect()
}

/// Writes a collected base64 text construct as decoded text, or drops it.
fn finish_collected(out: &mut String, c: Collecting, fixes: &mut Vec<Fix>) {
    let text = (!c.mixed)
        .then(|| decode_base64(c.text.as_bytes()))
        .flatten()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|t| !t.chars().any(|ch| ch.is_control() && !ch.is_whitespace()));
    let mime = printable(&c.mime);
    let Some(text) = text else {
        add(
            fixes,
            Fix::AtomText {
                mime,
                action: TextAction::Skipped,
            },
        );
        return;
    };
    add(
        fixes,
        Fix::AtomText {
            mime,
            action: TextAction::Decoded,
        },
    );
    let name = c.start.name().into_inner().to_owned();
    let mut start = BytesStart::new(name.clone());
    start.extend_attributes(attributes(&c.start).filter(|a| a.key.as_ref() != "type"));
    start.push_attribute(("type", "text"));
    push_start(out, &start);
    // Non-ASCII as character references: right whatever encoding the document declares.
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("&#{};", u32::from(c))),
        }
    }
    push_end(out, &name);
}

/// Standard base64 (RFC 4648 §4), whitespace ignored, padding optional.
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits, mut padding) = (0u32, 0u32, 0usize);
    let mut symbols = 0usize;
    for &b in text {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            b if b.is_ascii_whitespace() => continue,
            _ => return None,
        };
        if padding > 0 {
            return None;
        }
        symbols += 1;
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (symbols > 0 && symbols % 4 != 1 && padding <= 2).then_some(out)
}

// ---------------------------------------------------------------------------------
// JSON Feed.

/// The JSON Feed version feed-rs reads a repaired document as.
const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";

/// Repairs a JSON Feed document; `None` when there is nothing this module can repair
/// (including JSON that is not well-formed).
pub fn repair_json(body: &[u8]) -> Option<Repaired> {
    let mut fixes = Vec::new();
    let text = match String::from_utf8_lossy(body) {
        std::borrow::Cow::Borrowed(text) => std::borrow::Cow::Borrowed(text),
        std::borrow::Cow::Owned(text) => {
            fixes.push(Fix::InvalidUtf8);
            std::borrow::Cow::Owned(text)
        }
    };
    let mut doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(doc) => doc,
        Err(_) => {
            return (!fixes.is_empty()).then(|| Repaired {
                body: text.into_owned().into_bytes(),
                fixes,
            });
        }
    };
    drop(text);
    let feed = doc.as_object_mut()?;
    // Only a document with items is taken for a JSON Feed whatever its version says.
    if feed.get("items").is_some_and(serde_json::Value::is_array) {
        let version = feed.get("version").and_then(serde_json::Value::as_str);
        if !version.is_some_and(|v| v.starts_with("https://jsonfeed.org/version/1")) {
            feed.insert("version".into(), JSON_FEED_VERSION.into());
            add(&mut fixes, Fix::JsonVersion);
        }
    }
    let mut typed = false;
    typed |= required_string(feed, "title");
    for key in [
        "version",
        "home_page_url",
        "feed_url",
        "language",
        "description",
        "icon",
        "favicon",
    ] {
        typed |= optional_string(feed, key);
    }
    typed |= authors(feed);
    match feed.get_mut("items") {
        Some(serde_json::Value::Array(items)) => {
            items.retain(serde_json::Value::is_object);
            for item in items
                .iter_mut()
                .filter_map(serde_json::Value::as_object_mut)
            {
                for key in [
                    "id",
                    "url",
                    "external_url",
                    "title",
                    "content_html",
                    "content_text",
                    "summary",
                    "date_published",
                    "date_modified",
                ] {
                    typed |= optional_string(item, key);
                }
                typed |= authors(item);
                if let Some(tags) = item.get_mut("tags") {
                    match tags {
                        serde_json::Value::String(tag) => {
                            *tags = vec![std::mem::take(tag)].into();
                            add(&mut fixes, Fix::JsonTagsString);
                        }
                        serde_json::Value::Array(list) => typed |= strings_only(list),
                        serde_json::Value::Null => {}
                        _ => {
                            item.remove("tags");
                            typed = true;
                        }
                    }
                }
                typed |= attachments(item);
            }
        }
        Some(_) => {
            feed.insert("items".into(), serde_json::Value::Array(Vec::new()));
            typed = true;
        }
        None => {}
    }
    if typed {
        add(&mut fixes, Fix::JsonFieldTypes);
    }
    if fixes.is_empty() {
        return None;
    }
    Some(Repaired {
        body: serde_json::to_vec(&doc).ok()?,
        fixes,
    })
}

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// A string field that may be absent: numbers and booleans become their text, other
/// types are dropped. Whether anything changed.
fn optional_string(object: &mut JsonObject, key: &str) -> bool {
    match object.get(key) {
        None | Some(serde_json::Value::String(_) | serde_json::Value::Null) => false,
        Some(serde_json::Value::Number(n)) => {
            let text = n.to_string();
            object.insert(key.into(), text.into());
            true
        }
        Some(serde_json::Value::Bool(b)) => {
            let text = b.to_string();
            object.insert(key.into(), text.into());
            true
        }
        Some(_) => {
            object.remove(key);
            true
        }
    }
}

/// A string field feed-rs requires: missing or unusable becomes empty.
fn required_string(object: &mut JsonObject, key: &str) -> bool {
    let changed = optional_string(object, key);
    match object.get(key) {
        Some(serde_json::Value::String(_)) => changed,
        _ => {
            object.insert(key.into(), String::new().into());
            true
        }
    }
}

/// Keeps the strings of a list (numbers as their text).
fn strings_only(list: &mut Vec<serde_json::Value>) -> bool {
    let before = list.len();
    let mut changed = false;
    list.retain_mut(|v| match v {
        serde_json::Value::String(_) => true,
        serde_json::Value::Number(n) => {
            *v = n.to_string().into();
            changed = true;
            true
        }
        _ => false,
    });
    changed || list.len() != before
}

/// `author` (an object) and `authors` (a list of them); a bare name string is an
/// author with that name.
fn authors(object: &mut JsonObject) -> bool {
    let mut changed = false;
    let fix_author = |v: &mut serde_json::Value, changed: &mut bool| -> bool {
        if let serde_json::Value::String(name) = v {
            *v = serde_json::json!({ "name": std::mem::take(name) });
            *changed = true;
        }
        match v.as_object_mut() {
            Some(author) => {
                *changed |= optional_string(author, "name");
                *changed |= optional_string(author, "url");
                true
            }
            None => {
                *changed = true;
                false
            }
        }
    };
    if let Some(author) = object.get_mut("author")
        && !author.is_null()
        && !fix_author(author, &mut changed)
    {
        object.remove("author");
    }
    match object.get_mut("authors") {
        Some(serde_json::Value::Array(list)) => {
            list.retain_mut(|a| fix_author(a, &mut changed));
        }
        None | Some(serde_json::Value::Null) => {}
        Some(other) => {
            let mut one = std::mem::take(other);
            let keep = fix_author(&mut one, &mut changed);
            changed = true;
            if keep {
                object.insert("authors".into(), vec![one].into());
            } else {
                object.remove("authors");
            }
        }
    }
    changed
}

/// Attachments feed-rs can read: each with a string `url` and `mime_type`.
fn attachments(item: &mut JsonObject) -> bool {
    match item.get_mut("attachments") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Array(list)) => {
            let before = list.len();
            let mut changed = false;
            list.retain_mut(|a| {
                let Some(a) = a.as_object_mut() else {
                    return false;
                };
                let usable = ["url", "mime_type"]
                    .iter()
                    .all(|k| a.get(*k).is_some_and(serde_json::Value::is_string));
                changed |= optional_string(a, "title");
                if a.get("size_in_bytes")
                    .is_some_and(|s| !s.is_u64() && !s.is_null())
                {
                    a.remove("size_in_bytes");
                    changed = true;
                }
                usable
            });
            changed || list.len() != before
        }
        Some(_) => {
            item.remove("attachments");
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(xml: &str) -> (String, Vec<String>) {
        let r = repair_xml(xml.as_bytes()).expect("something to repair");
        (
            String::from_utf8(r.body).unwrap(),
            r.fixes.iter().map(ToString::to_string).collect(),
        )
    }

    #[test]
    fn bare_ampersands_are_escaped_and_references_kept() {
        let (body, fixes) = repaired(
            "<rss><channel><link>https://x.example/?a=1&b=2&amp;c=3</link><title>AT&T &#38; &#x26; &nbsp;&eacute; & ;&#;&x y;</title></channel></rss>",
        );
        assert_eq!(
            body,
            "<rss><channel><link>https://x.example/?a=1&amp;b=2&amp;c=3</link><title>AT&amp;T &#38; &#x26; &nbsp;&eacute; &amp; ;&amp;#;&amp;x y;</title></channel></rss>"
        );
        assert_eq!(fixes, ["bare ampersands escaped"]);
    }

    #[test]
    fn ampersands_in_cdata_and_comments_are_left_alone() {
        let xml = "<rss><!-- a & b --><channel><title><![CDATA[a & b]]></title></channel></rss>";
        assert_eq!(repair_xml(xml.as_bytes()), None);
    }

    #[test]
    fn control_characters_are_removed_raw_and_as_references() {
        let (body, fixes) = repaired(
            "<rss><channel><title>a\u{1}b\u{b}c&#0;d&#x1F;e&#9;<![CDATA[f\u{0}]]></title></channel></rss>",
        );
        assert_eq!(
            body,
            "<rss><channel><title>abcde&#9;<![CDATA[f]]></title></channel></rss>"
        );
        assert_eq!(fixes, ["invalid control characters removed"]);
        let (body, fixes) = repaired("<rss><channel><title>&#X41;&#x42;</title></channel></rss>");
        assert_eq!(
            body,
            "<rss><channel><title>&#x41;&#x42;</title></channel></rss>"
        );
        assert_eq!(fixes, ["malformed character references repaired"]);
    }

    #[test]
    fn a_bare_less_than_is_escaped() {
        let (body, fixes) = repaired("<rss><channel><title>1 < 2 <3</title></channel></rss>");
        assert_eq!(
            body,
            "<rss><channel><title>1 &lt; 2 &lt;3</title></channel></rss>"
        );
        assert_eq!(fixes, ["bare < characters escaped"]);
    }

    #[test]
    fn misspelt_and_unclosed_end_tags_are_repaired() {
        let (body, fixes) = repaired(
            "<rss><channel><language>en</langauge><item><description>a<br>b</description></item></p></channel></rss>",
        );
        assert_eq!(
            body,
            "<rss><channel><language>en</language><item><description>a<br>b</br></description></item></channel></rss>"
        );
        assert_eq!(fixes, ["mismatched end tags repaired"]);
    }

    #[test]
    fn near_misses() {
        assert!(near_miss("language", "langauge"));
        assert!(near_miss("pubDate", "pubdate"));
        assert!(near_miss("channel", "chanel"));
        assert!(!near_miss("channel", "p"));
        assert!(!near_miss("item", "link"));
    }

    #[test]
    fn a_cut_off_document_keeps_its_complete_entries() {
        let (body, fixes) = repaired(
            "<rss><channel><title>t</title><item><title>a</title></item><item><title>b</title></item><item><title>c</ti",
        );
        assert_eq!(
            body,
            "<rss><channel><title>t</title><item><title>a</title></item><item><title>b</title></item></channel></rss>"
        );
        assert_eq!(fixes, ["cut-off document: kept the 2 complete entries"]);
        // Cut inside CDATA, before any entry is complete: nothing worth recovering.
        assert_eq!(
            repair_xml(b"<rss><channel><title>t</title><item><title><![CD"),
            None
        );
        // Only the closing tags are missing.
        let (body, fixes) = repaired("<feed><entry><title>a</title></entry>\n</fe");
        assert_eq!(body, "<feed><entry><title>a</title></entry>\n</feed>");
        assert_eq!(fixes, ["cut-off document: kept the 1 complete entry"]);
        // A feed without entries that lost only its last end tags is recovered...
        let (body, fixes) = repaired("<rss><channel><title>t</title></channel>\n</rss");
        assert_eq!(body, "<rss><channel><title>t</title></channel>\n</rss>");
        assert_eq!(fixes, ["cut-off document: kept the 0 complete entries"]);
        // ...one cut before any of its content ended is not.
        assert_eq!(
            repair_xml(b"<rss><channel><title>t</title><description>d"),
            None
        );
        // Unreadable from some point on: the complete entries before it are kept.
        let (body, fixes) = repaired(
            "<rss><channel><item><title>a</title></item><item><title>b</title><!X></item></channel></rss>",
        );
        assert_eq!(
            body,
            "<rss><channel><item><title>a</title></item></channel></rss>"
        );
        assert_eq!(
            fixes,
            ["unreadable XML from about byte 65 on: kept the 1 complete entry before it"]
        );
    }

    #[test]
    fn atom_text_constructs_of_other_types_are_retyped_decoded_or_skipped() {
        let (body, fixes) = repaired(concat!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text/plain">t</title>"#,
            r#"<subtitle type="application/x-custom">not base64!</subtitle>"#,
            r#"<entry><title type="application/octet-stream">aGVsbG8gJiDDqQ==</title>"#,
            r#"<summary type="application/xhtml+xml"><div>s</div></summary>"#,
            r#"<rights type="image/png" /></entry><entry><title type="">evil</title></entry></feed>"#
        ));
        assert_eq!(
            body,
            concat!(
                r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">t</title>"#,
                r#"<entry><title type="text">hello &amp; &#233;</title>"#,
                r#"<summary type="xhtml"><div>s</div></summary>"#,
                r#"</entry><entry><title type="text">evil</title></entry></feed>"#
            )
        );
        assert_eq!(
            fixes,
            [
                "atom text construct of type text/plain read as text",
                "atom text construct of type application/x-custom skipped",
                "atom text construct of type application/octet-stream decoded",
                "atom text construct of type application/xhtml+xml read as xhtml",
                "atom text construct of type image/png skipped",
                r#"atom text construct of type "" read as text"#,
            ]
        );
    }

    #[test]
    fn rss_titles_with_a_type_are_not_atom_text_constructs() {
        let xml = r#"<rss><channel><item><title type="application/x-custom">t</title></item></channel></rss>"#;
        assert_eq!(repair_xml(xml.as_bytes()), None);
    }

    #[test]
    fn base64() {
        assert_eq!(decode_base64(b"aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64(b"aGVs\nbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64(b"not base64!"), None);
        assert_eq!(decode_base64(b""), None);
        assert_eq!(decode_base64(b"a"), None);
    }

    #[test]
    fn a_well_formed_document_needs_no_repair() {
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE rss><rss version=\"2.0\"><channel><title>a &amp; b</title><item><title>x</title><br/></item></channel></rss>";
        assert_eq!(repair_xml(xml.as_bytes()), None);
    }

    #[test]
    fn a_document_needing_too_many_tag_repairs_is_left_alone() {
        let xml = format!(
            "<rss><channel>{}</channel></rss>",
            "</x>".repeat(MAX_TAG_REPAIRS + 1)
        );
        assert_eq!(repair_xml(xml.as_bytes()), None);
    }

    fn repaired_json(json: &[u8]) -> (serde_json::Value, Vec<String>) {
        let r = repair_json(json).expect("something to repair");
        (
            serde_json::from_slice(&r.body).unwrap(),
            r.fixes.iter().map(ToString::to_string).collect(),
        )
    }

    #[test]
    fn json_feed_version_tags_and_types() {
        let (doc, fixes) = repaired_json(
            br#"{"version":"http://jsonfeed.org/version/1","title":"t","items":[{"id":7,"tags":"sre","author":"Dana"}]}"#,
        );
        assert_eq!(doc["version"], JSON_FEED_VERSION);
        assert_eq!(doc["items"][0]["id"], "7");
        assert_eq!(doc["items"][0]["tags"], serde_json::json!(["sre"]));
        assert_eq!(doc["items"][0]["author"]["name"], "Dana");
        assert_eq!(
            fixes,
            [
                "JSON Feed version missing or misspelt, read as 1.1",
                "JSON Feed tags given as a string read as one tag",
                "mistyped or missing JSON Feed fields fixed",
            ]
        );
        let (doc, fixes) = repaired_json(br#"{"title":"t","items":[]}"#);
        assert_eq!(doc["version"], JSON_FEED_VERSION);
        assert_eq!(
            fixes,
            ["JSON Feed version missing or misspelt, read as 1.1"]
        );
    }

    #[test]
    fn json_invalid_utf8_is_replaced() {
        let (doc, fixes) = repaired_json(
            b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"caf\xc3\xa9 \xff\",\"items\":[]}",
        );
        assert_eq!(doc["title"], "caf\u{e9} \u{fffd}");
        assert_eq!(fixes, ["invalid UTF-8 bytes replaced"]);
    }

    #[test]
    fn a_valid_json_feed_needs_no_repair() {
        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","tags":["a"]}]}"#;
        assert_eq!(repair_json(json), None);
    }
}
