//! The byte pass: bare `&` and `<` escaped, forbidden control characters removed.

use super::{Fix, add};

/// Escapes bare `&` and `<`, removes forbidden control characters.
pub(super) fn escape_pass(body: &[u8], fixes: &mut Vec<Fix>) -> Vec<u8> {
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

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// C0 controls other than tab, line feed and carriage return (XML 1.0 `Char`).
pub(super) fn is_forbidden_control(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
}

pub(super) fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

pub(super) fn is_name_char(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

/// Whether what follows a `<` can be markup: a start or end tag, a comment, CDATA, a
/// declaration or a processing instruction.
/// A `<` at the very end, or `</` or an opening `<!…` cut short by it, counts: the
/// document was cut off there, which the second pass repairs.
pub(super) fn starts_markup(after: &[u8]) -> bool {
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

pub(super) enum Reference {
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
pub(super) const MAX_ENTITY_NAME: usize = 40;

/// Reads the reference at `at[0] == b'&'`.
pub(super) fn reference_len(at: &[u8]) -> Reference {
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
pub(super) fn is_xml_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}
