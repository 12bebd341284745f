//! How much of a page may be handed to a DOM: a quick scan of its tags; and whether a
//! DOM built from it nests too deep to walk.

use dom_query::Document;

/// Pages with more elements, or nested deeper, get no DOM past that point.
pub(super) const MAX_ELEMENTS: usize = 40_000;
const MAX_DEPTH: usize = 256;

/// Deepest DOM walked. The scan below keeps most pages far shallower, but it only
/// approximates the parser's tree building, and the walks that follow (Readability's,
/// a node's text) recurse: past this depth a page's DOM is not walked at all, as a
/// stack overflow would abort the whole process.
pub(crate) const MAX_DOM_DEPTH: usize = 512;

/// The DOM of `html` (already cut by [`bounded_prefix`], or small), or `None` when it
/// nests deeper than [`MAX_DOM_DEPTH`]: no walk may then touch it.
pub(crate) fn walkable_dom(html: &str) -> Option<Document> {
    let doc = Document::from(html);
    (!nests_too_deep(&doc)).then_some(doc)
}

/// Whether `doc` nests deeper than [`MAX_DOM_DEPTH`] (a walk with a stack of its own).
fn nests_too_deep(doc: &Document) -> bool {
    let mut pending = vec![(doc.root(), 0usize)];
    while let Some((node, depth)) = pending.pop() {
        if depth > MAX_DOM_DEPTH {
            return true;
        }
        let mut child = node.first_child();
        while let Some(c) = child {
            child = c.next_sibling();
            pending.push((c, depth + 1));
        }
    }
    false
}

/// The longest prefix of `html` whose tags, by a quick scan, open at most
/// [`MAX_ELEMENTS`] elements nested at most [`MAX_DEPTH`] deep. Building a DOM slows down
/// with the square of the nesting (html5ever's scope checks, then Readability's scoring:
/// 2,000 nested `div`s take seconds), so a page past either limit gets no DOM beyond it.
/// Void elements and those whose end tag is optional (`p`, `li`, `td`…) do not nest here,
/// nor do self-closing tags inside SVG or MathML (elsewhere HTML ignores the slash); the
/// text of `script`, `style` and the like is skipped, and so are comments. An end tag
/// closes what the parser would close (see [`close`]): a stray `</q>` closes nothing.
pub(crate) fn bounded_prefix(html: &str) -> &str {
    const VOID_OR_OPTIONAL_END: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
        "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head",
        "body",
    ];
    // Not `noscript` (parsed as markup: the DOM is built with scripting off) nor
    // `template` (its contents are markup too).
    const RAW_TEXT: &[&str] = &[
        "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
    ];
    let bytes = html.as_bytes();
    let find = |from: usize, needle: &[u8]| {
        bytes
            .get(from..)
            .and_then(|rest| rest.windows(needle.len()).position(|w| w == needle))
            .map_or(bytes.len(), |at| from + at + needle.len())
    };
    // A tag's name runs to whitespace, `/` or `>`, as the tokenizer reads it: `<div.x>`
    // is no `div`, and `<script.x>` no script.
    let name_at = |from: usize| {
        let len = bytes.get(from..).map_or(0, |rest| {
            rest.iter()
                .take_while(|b| !b.is_ascii_whitespace() && !matches!(b, b'/' | b'>'))
                .count()
        });
        bytes
            .get(from..from + len)
            .and_then(|name| std::str::from_utf8(name).ok())
            .unwrap_or_default()
    };
    // The elements open, innermost last: its length is the nesting.
    let mut open: Vec<Open> = Vec::new();
    let (mut elements, mut i) = (0usize, 0usize);
    while let Some(at) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'<'))
    {
        let start = i + at;
        i = start + 1;
        match bytes.get(i) {
            Some(b'!') if bytes[i..].starts_with(b"!--") => i = find(i + 3, b"-->"),
            Some(b'!' | b'?') => i = find(i, b">"),
            Some(b'/') => close(&mut open, name_at(i + 1)),
            Some(b) if b.is_ascii_alphabetic() => {
                elements += 1;
                if elements > MAX_ELEMENTS || open.len() >= MAX_DEPTH {
                    return &html[..start];
                }
                let name = name_at(i);
                let end = find(i, b">");
                let foreign = open.last().is_some_and(|o| o.foreign) || is_in(name, FOREIGN);
                // Inside SVG or MathML, `<style>` and `<title>` hold markup.
                if !foreign && is_in(name, RAW_TEXT) {
                    // Skip to the matching end tag.
                    let mut j = end;
                    loop {
                        j = find(j, b"</");
                        if j >= bytes.len() || name_at(j).eq_ignore_ascii_case(name) {
                            break;
                        }
                    }
                    i = j;
                } else {
                    let self_closing = foreign && end >= 2 && bytes[end - 2] == b'/';
                    if !self_closing && !is_in(name, VOID_OR_OPTIONAL_END) {
                        open.push(Open { name, foreign });
                    }
                    i = end;
                }
            }
            _ => {}
        }
    }
    html
}

const FOREIGN: &[&str] = &["svg", "math"];

/// An element the scan has open.
struct Open<'a> {
    name: &'a str,
    /// It is SVG or MathML, or inside one.
    foreign: bool,
}

/// HTML's "special" elements that nest (the parser's own list, less those that are void
/// or raw text or whose end tag is optional): an end tag of another element does not
/// close past one of them.
const SPECIAL: &[&str] = &[
    "address",
    "applet",
    "article",
    "aside",
    "blockquote",
    "button",
    "center",
    "details",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "listing",
    "main",
    "marquee",
    "menu",
    "nav",
    "object",
    "ol",
    "pre",
    "search",
    "section",
    "select",
    "summary",
    "table",
    "ul",
];

/// What the end tag `name` closes, as the parser would, near enough to bound the nesting
/// from above: nothing when no such element is open; a special element (`div`) closes
/// everything opened inside it; another (`span`, `b`) closes down to itself only when no
/// special element is open inside it, and otherwise (the adoption agency, for `b`)
/// moves above the innermost special element, so the nesting stays as deep.
fn close(open: &mut Vec<Open>, name: &str) {
    let Some(at) = open.iter().rposition(|o| o.name.eq_ignore_ascii_case(name)) else {
        return;
    };
    match open[at + 1..].iter().position(|o| is_in(o.name, SPECIAL)) {
        Some(block) if !is_in(name, SPECIAL) => {
            let element = open.remove(at);
            open.insert(at + block + 1, element);
        }
        _ => open.truncate(at),
    }
}

fn is_in(name: &str, list: &[&str]) -> bool {
    list.iter().any(|l| l.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_stops_where_nesting_or_element_count_goes_too_far() {
        let divs = |n: usize| "<div>".repeat(n);
        let svg_paths = format!("<svg>{}</svg>", "<path d='M0'/>".repeat(1_000));
        let script = format!("<script>var s = '{}';</script><p>x", divs(1_000));
        let comment = format!("<!-- {} --><p>x", divs(1_000));
        // (page, bytes kept: None for all of it)
        let cases = [
            ("<p>a<p>b<li>c<br><img src=x>".repeat(1_000), None),
            (
                format!("{}{}", divs(MAX_DEPTH), "</div>".repeat(MAX_DEPTH)).repeat(20),
                None,
            ),
            (divs(MAX_DEPTH + 10), Some(MAX_DEPTH * 5)),
            ("<div/>".repeat(MAX_DEPTH + 10), Some(MAX_DEPTH * 6)),
            ("<B>".repeat(MAX_DEPTH + 1), Some(MAX_DEPTH * 3)),
            (svg_paths, None),
            (script, None),
            (comment, None),
            ("<br>".repeat(MAX_ELEMENTS + 5), Some(MAX_ELEMENTS * 4)),
            ("<<<< </ <!-- <? <!doctype".to_owned(), None),
            ("ü<div>é".repeat(MAX_DEPTH + 1), Some(MAX_DEPTH * 9 + 2)),
            // End tags the parser ignores close nothing here either.
            ("<div></q>".repeat(MAX_DEPTH + 1), Some(MAX_DEPTH * 9)),
            ("<b><div></b>".repeat(MAX_DEPTH), Some(MAX_DEPTH / 2 * 12)),
            // Misnested but closed: as flat as the parser makes it.
            ("<font><div></font></div>".repeat(MAX_DEPTH * 2), None),
            ("<div><span></div></span>".repeat(MAX_DEPTH * 2), None),
            ("<b><i></b></i>".repeat(MAX_DEPTH * 2), None),
            // A tag's name is all of it: `div.x` is not `div`, `script.x` not a script.
            (
                "<div.x><section></div.x>".repeat(MAX_DEPTH),
                Some(MAX_DEPTH / 2 * 24),
            ),
            (
                format!("<script.x>{}", "<br>".repeat(MAX_ELEMENTS)),
                Some(10 + (MAX_ELEMENTS - 1) * 4),
            ),
            // `noscript` and `template` hold markup, and so does `style` inside SVG.
            (
                format!("<noscript>{}", divs(MAX_DEPTH + 10)),
                Some(10 + (MAX_DEPTH - 1) * 5),
            ),
            (
                format!("<template>{}", divs(MAX_DEPTH + 10)),
                Some(10 + (MAX_DEPTH - 1) * 5),
            ),
            (
                format!("<svg><style>{}", "<g>".repeat(MAX_DEPTH + 10)),
                Some(12 + (MAX_DEPTH - 2) * 3),
            ),
        ];
        for (page, kept) in cases {
            let prefix = bounded_prefix(&page);
            assert_eq!(
                prefix.len(),
                kept.unwrap_or(page.len()),
                "{}",
                &page[..page.len().min(60)]
            );
        }
    }

    /// Pages the scan misjudges, nesting deep in the DOM all the same, are read without
    /// walking their DOM: on a 2 MiB stack (a CPU pool thread's) a walk of a page like
    /// these, 15 times longer, overflowed and aborted the process.
    #[test]
    fn pages_nesting_deeper_than_the_scan_thinks_are_read_without_a_walk() {
        let url = url::Url::parse("https://blog.example/post").unwrap();
        let pages = [
            "<rb>x".repeat(2_000),
            "<div><table><td>x</div>".repeat(600),
            "<li><dd>x".repeat(2_000),
        ];
        for page in pages {
            assert!(
                walkable_dom(bounded_prefix(&page)).is_none(),
                "{}",
                &page[..20]
            );
            let url = url.clone();
            let article = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || crate::ingest::article::read_article(&page, &url))
                .unwrap()
                .join()
                .expect("read without overflowing");
            assert!(article.text.starts_with('x'), "the tokenizer's text");
        }
        assert!(walkable_dom("<main><article><p>fine</p></article></main>").is_some());
    }
}
