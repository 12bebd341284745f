//! An issue kept as markdown → its items. The shape is gleaner's own draft
//! (`## [Title](url)`, blank line, blurb, blank line, `Author — Org`); a link alone on
//! its line (`[Title](url)`, also bold) or leading a list item (`1. [Title](url)`,
//! `- [Title](url) — blurb`) starts an item too. The paragraphs up to the next item,
//! heading or rule are its body: the last of two or more is the attribution when it is
//! in an attribution's shape (or emphasised, `*…*`/`_…_`), else the last paragraph that
//! reads as one on its own; the rest is the blurb. Sponsor blocks and the sections
//! "Sponsor(s)" and "Outages" are skipped as in HTML issues.

use super::attribution::{
    attribution_shaped, is_skipped_section, is_sponsor_text, looks_like_attribution,
};
use super::dom::clean;
use super::html_issue::RawItem;
use super::{DRAFT_PLACEHOLDER, MAX_LINKS};
use crate::ingest::normalize::{MAX_SUMMARY, MAX_TITLE};

/// Longest markdown issue read, in bytes.
const MAX_INPUT: usize = 4 << 20;

struct Open {
    href: String,
    title: String,
    paras: Vec<String>,
    /// Whether each paragraph was wholly emphasised.
    emphasised: Vec<bool>,
    para: String,
}

impl Open {
    fn end_paragraph(&mut self) {
        let p = std::mem::take(&mut self.para);
        let p = p.trim();
        if !p.is_empty() {
            self.emphasised.push(is_emphasised(p));
            self.paras.push(p.to_owned());
        }
    }
}

pub fn items(md: &str) -> Vec<RawItem> {
    let md = &md[..md.floor_char_boundary(MAX_INPUT)];
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    let mut skip_section = false;
    let mut in_sponsor = false;
    let mut para_start = true;
    let mut fence = false;
    for line in md.lines() {
        if out.len() >= MAX_LINKS * 4 {
            break;
        }
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        if t.is_empty() {
            if let Some(o) = open.as_mut() {
                o.end_paragraph();
            }
            para_start = true;
            continue;
        }
        let was_start = std::mem::replace(&mut para_start, false);
        if is_rule(t) {
            close(&mut open, &mut out);
            in_sponsor = false;
            para_start = true;
            continue;
        }
        if let Some(rest) = heading(t) {
            close(&mut open, &mut out);
            in_sponsor = false;
            para_start = true;
            match whole_link(rest) {
                Some((title, href)) => {
                    skip_section = false;
                    open = Some(new_item(title, href, String::new()));
                }
                None => {
                    skip_section =
                        is_skipped_section(&inline_text(&rest[..rest.floor_char_boundary(256)]))
                }
            }
            continue;
        }
        if skip_section {
            continue;
        }
        if let Some((title, href, lead)) = item_line(t) {
            if in_sponsor {
                in_sponsor = false;
                continue;
            }
            close(&mut open, &mut out);
            open = Some(new_item(title, href, lead));
            para_start = true;
            continue;
        }
        if was_start && is_sponsor_text(&inline_text(&t[..t.floor_char_boundary(256)])) {
            close(&mut open, &mut out);
            in_sponsor = !t.contains("](");
            continue;
        }
        if in_sponsor {
            in_sponsor = !t.contains("](");
            continue;
        }
        if let Some(o) = open.as_mut()
            && o.para.len() < MAX_SUMMARY * 8
        {
            if !o.para.is_empty() {
                o.para.push(' ');
            }
            o.para.push_str(t);
        }
    }
    close(&mut open, &mut out);
    out
}

fn new_item(title: String, href: String, lead: String) -> Open {
    Open {
        href,
        title,
        paras: Vec::new(),
        emphasised: Vec::new(),
        para: lead,
    }
}

fn close(open: &mut Option<Open>, out: &mut Vec<RawItem>) {
    let Some(mut o) = open.take() else { return };
    o.end_paragraph();
    let (texts, emphasised): (Vec<String>, Vec<bool>) = o
        .paras
        .iter()
        .map(|p| inline_text(p))
        .zip(o.emphasised)
        .filter(|(t, _)| t != DRAFT_PLACEHOLDER)
        .unzip();
    let byline = texts
        .iter()
        .enumerate()
        .rposition(|(i, t)| emphasised[i] && attribution_shaped(t))
        .or_else(|| {
            let last = texts.len().checked_sub(1)?;
            (last >= 1 && attribution_shaped(&texts[last])).then_some(last)
        })
        .or_else(|| texts.iter().rposition(|t| looks_like_attribution(t)));
    let blurb: Vec<&str> = texts
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != byline)
        .map(|(_, t)| t.as_str())
        .collect();
    let title = clean(&unescape(&o.title), MAX_TITLE);
    let blurb = clean(&blurb.join("\n"), MAX_SUMMARY);
    if is_sponsor_text(&title) || is_sponsor_text(&blurb) {
        return;
    }
    out.push(RawItem {
        href: o.href,
        title,
        blurb,
        attribution: byline.map(|i| texts[i].clone()),
    });
}

/// `---`, `***`, `___` (three or more, spaces allowed).
fn is_rule(t: &str) -> bool {
    let marks: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3
        && (marks.chars().all(|c| c == '-')
            || marks.chars().all(|c| c == '*')
            || marks.chars().all(|c| c == '_'))
}

/// The text of an ATX heading (`## Text ##`), or `None`.
fn heading(t: &str) -> Option<&str> {
    let level = t.chars().take_while(|&c| c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &t[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(rest.trim().trim_end_matches('#').trim())
}

/// `[Title](url)`, maybe bold, and nothing else.
fn whole_link(t: &str) -> Option<(String, String)> {
    let (t, bold) = strip_bold(t);
    let (title, href, rest) = parse_link(t)?;
    let rest = rest.trim();
    let rest = bold.and_then(|b| rest.strip_prefix(b)).unwrap_or(rest);
    rest.trim().is_empty().then_some((title, href))
}

fn strip_bold(t: &str) -> (&str, Option<&'static str>) {
    for b in ["**", "__"] {
        if let Some(rest) = t.strip_prefix(b) {
            return (rest, Some(b));
        }
    }
    (t, None)
}

/// A line that starts an item: a link alone, or a list item led by a link (the rest of
/// the line, after a dash or colon, is the start of its blurb).
fn item_line(t: &str) -> Option<(String, String, String)> {
    if let Some((title, href)) = whole_link(t) {
        return Some((title, href, String::new()));
    }
    let rest = list_marker(t)?;
    let (rest, bold) = strip_bold(rest);
    let (title, href, after) = parse_link(rest)?;
    let after = bold.and_then(|b| after.strip_prefix(b)).unwrap_or(after);
    let lead = after
        .trim()
        .trim_start_matches(['—', '–', '-', ':'])
        .trim()
        .to_owned();
    Some((title, href, lead))
}

/// The rest of a list item line (`- `, `* `, `+ `, `1. `, `1) `).
fn list_marker(t: &str) -> Option<&str> {
    if let Some(rest) = t.strip_prefix(['-', '*', '+']) {
        return rest.starts_with(' ').then(|| rest.trim_start());
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let rest = t[digits..].strip_prefix(['.', ')'])?;
    rest.starts_with(' ').then(|| rest.trim_start())
}

/// Longest link text and URL looked for, in bytes.
const MAX_LINK_TEXT: usize = 2_000;
const MAX_LINK_URL: usize = 4_096;

/// `[text](url "title")` at the start of `t` → (text, url, what follows). Brackets in
/// the text nest and may be escaped; parentheses in the URL nest; `<url>` is allowed.
pub(super) fn parse_link(t: &str) -> Option<(String, String, &str)> {
    let body = t.strip_prefix('[')?;
    let mut depth = 0usize;
    let mut escaped = false;
    let mut close = None;
    for (i, c) in body.char_indices() {
        if i > MAX_LINK_TEXT {
            return None;
        }
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => depth += 1,
            ']' if depth == 0 => {
                close = Some(i);
                break;
            }
            ']' => depth -= 1,
            _ => {}
        }
    }
    let close = close?;
    let text = &body[..close];
    let after = body[close + 1..].strip_prefix('(')?;
    let after = after.trim_start();
    let (href, rest) = if let Some(angle) = after.strip_prefix('<') {
        let end = angle[..angle.floor_char_boundary(MAX_LINK_URL)].find('>')?;
        (&angle[..end], &angle[end + 1..])
    } else {
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            if i > MAX_LINK_URL {
                return None;
            }
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = i;
                    break;
                }
                ')' => depth -= 1,
                c if c.is_whitespace() => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        (&after[..end], &after[end..])
    };
    // An optional title, then the closing parenthesis.
    let rest = rest.trim_start();
    let rest = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let end = rest[1..rest.floor_char_boundary(MAX_LINK_TEXT)].find(q)?;
            rest[1 + end + 1..].trim_start()
        }
        _ => rest,
    };
    let rest = rest.strip_prefix(')')?;
    Some((text.to_owned(), href.to_owned(), rest))
}

/// Whether a paragraph is wholly emphasised: `*…*`, `_…_`, `<small>…</small>`, `<em>…`.
fn is_emphasised(p: &str) -> bool {
    let pairs = [
        ("*", "*"),
        ("_", "_"),
        ("<small>", "</small>"),
        ("<em>", "</em>"),
        ("<i>", "</i>"),
    ];
    pairs
        .iter()
        .any(|(a, b)| p.len() > a.len() + b.len() && p.starts_with(a) && p.ends_with(b))
}

/// Longest inline text read, in bytes.
const MAX_INLINE: usize = MAX_SUMMARY * 8;
/// Link parses that may fail in one text before `[` is read as a plain character (a
/// failed parse scans ahead, so hostile text could make them quadratic).
const MAX_FAILED_LINKS: usize = 64;
/// Link texts read inside link texts, at most.
const MAX_LINK_NESTING: usize = 4;

/// Markdown inline text → plain text: links become their text, emphasis and inline HTML
/// tags of emphasis go, backslash escapes are undone.
fn inline_text(p: &str) -> String {
    let mut failed = 0;
    clean(&inline(p, 0, &mut failed), MAX_SUMMARY)
}

fn inline(p: &str, nesting: usize, failed: &mut usize) -> String {
    let p = &p[..p.floor_char_boundary(MAX_INLINE)];
    let mut out = String::with_capacity(p.len());
    let mut rest = p;
    while let Some(c) = rest.chars().next() {
        if c == '\\'
            && let Some(next) = rest[1..].chars().next()
            && next.is_ascii_punctuation()
        {
            out.push(next);
            rest = &rest[1 + next.len_utf8()..];
            continue;
        }
        let link_start = c == '[' || (c == '!' && rest[1..].starts_with('['));
        if link_start && nesting < MAX_LINK_NESTING && *failed < MAX_FAILED_LINKS {
            let at = usize::from(c == '!');
            match parse_link(&rest[at..]) {
                Some((text, _, after)) => {
                    out.push_str(&inline(&text, nesting + 1, failed));
                    rest = after;
                    continue;
                }
                None => *failed += 1,
            }
        }
        if matches!(c, '*' | '`') || (c == '_' && word_edge(&out, &rest[1..])) {
            rest = &rest[1..];
            continue;
        }
        if c == '<'
            && let Some(tag) = ["<small>", "</small>", "<em>", "</em>", "<i>", "</i>"]
                .iter()
                .find(|t| rest.starts_with(*t))
        {
            rest = &rest[tag.len()..];
            continue;
        }
        if c == '&'
            && let Some(entity) = entity_at(rest)
        {
            // `&emsp;` indents gleaner's own draft's credit line; HTML entities are
            // markdown's too.
            // A space entity (`&emsp;`, `&nbsp;`) decodes to white space, which to_text
            // trims away: it still parts two words.
            match crate::ingest::html::to_text(entity, entity.len()) {
                decoded if decoded.is_empty() => out.push(' '),
                decoded => out.push_str(&decoded),
            }
            rest = &rest[entity.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A character reference (`&emsp;`, `&#8212;`, `&#x2014;`) at the start of `text`.
fn entity_at(text: &str) -> Option<&str> {
    let end = text.get(1..text.floor_char_boundary(12))?.find(';')? + 1;
    let name = &text[1..end];
    let (digits, is_digit): (&str, fn(&u8) -> bool) = match name.strip_prefix('#') {
        Some(n) => match n.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, u8::is_ascii_hexdigit),
            None => (n, u8::is_ascii_digit),
        },
        None => (name, u8::is_ascii_alphanumeric),
    };
    (!digits.is_empty() && digits.bytes().all(|b| is_digit(&b))).then(|| &text[..=end])
}

/// An underscore is emphasis at a word's edge, not inside `u/snake_case`.
fn word_edge(before: &str, after: &str) -> bool {
    let prev = before.chars().last().is_none_or(|c| !c.is_alphanumeric());
    let next = after.chars().next().is_none_or(|c| !c.is_alphanumeric());
    prev || next
}

fn unescape(t: &str) -> String {
    inline_text(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_references_are_decoded_and_space_ones_part_words() {
        assert_eq!(
            inline_text("a&nbsp;b &amp; c&#8212;d &#x2014; &emsp;e &bogus; f&g"),
            "a b & c—d — e &bogus; f&g"
        );
        // Malformed references stay as they are.
        assert_eq!(inline_text("&#12ab; &#; &#x; &;"), "&#12ab; &#; &#x; &;");
    }
}
