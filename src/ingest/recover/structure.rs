//! The event pass: end tags repaired, a cut-off document closed after its last complete
//! entry, Atom text constructs of other media types read as what they mean.

use quick_xml::events::{BytesStart, Event};

use super::*;

pub(super) struct Open {
    name: String,
    is_entry: bool,
    /// Output length before its start tag.
    at: usize,
}

/// An Atom text construct being read to be decoded or skipped.
pub(super) struct Collecting<'a> {
    start: BytesStart<'a>,
    mime: String,
    depth: usize,
    text: String,
    /// Child elements or references: not base64.
    mixed: bool,
}

/// Re-serializes the document with its element structure repaired; `None` when it
/// needs more than [`MAX_TAG_REPAIRS`] repairs.
pub(super) fn structure_pass(body: &str, fixes: &mut Vec<Fix>) -> Option<String> {
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

pub(super) fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Where a document stopped being read before its root element closed.
pub(super) enum Stop {
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
pub(super) fn close_truncated(
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
pub(super) fn near_miss(open: &str, got: &str) -> bool {
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

pub(super) fn push_start(out: &mut String, e: &BytesStart) {
    out.push('<');
    out.push_str(e);
    out.push('>');
}

pub(super) fn push_empty(out: &mut String, e: &BytesStart) {
    out.push('<');
    out.push_str(e);
    out.push_str("/>");
}

pub(super) fn push_end(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Writes an event as it was read (text stays escaped).
pub(super) fn push_event(out: &mut String, event: &Event) {
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

pub(super) enum AtomType<'a> {
    /// A type feed-rs reads.
    Fine,
    /// The start tag with its `type` rewritten, and what that was.
    Retyped(BytesStart<'a>, Fix),
    /// A media type whose content is base64 (Atom 1.0, 3.1.1 and 4.1.3.3).
    Base64(String),
}

/// The text-construct handling of an element in an Atom document, when it is one.
pub(super) fn atom_text_type<'a>(
    stack: &[Open],
    name: &str,
    e: &BytesStart<'a>,
) -> Option<AtomType<'a>> {
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
pub(super) fn attributes<'a>(
    e: &'a BytesStart,
) -> impl Iterator<Item = quick_xml::events::attributes::Attribute<'a>> {
    let mut attributes = e.attributes();
    attributes.with_checks(false);
    attributes.flatten()
}

/// A media type as a note may show it: printable ASCII, at most 60 characters.
pub(super) fn printable(mime: &str) -> String {
    mime.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(60)
        .collect()
}

/// Writes a collected base64 text construct as decoded text, or drops it.
pub(super) fn finish_collected(out: &mut String, c: Collecting, fixes: &mut Vec<Fix>) {
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
pub(super) fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
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
