//! HTML → plain text, and feed discovery in HTML pages. Pure functions.
//!
//! Feed text is hostile: it is tokenized with html5ever's spec-compliant tokenizer (the
//! one browsers' parsers are modelled on), never with regexes. Text inside `script`,
//! `style`, `noscript`, `template`, `iframe`, `svg`, `math`, `head` and `title` is dropped;
//! comments and attributes (event handlers, `javascript:` URLs) never reach the text;
//! entities are decoded; block elements become line breaks and runs of white space
//! collapse. The result is what scoring matches and what every output shows (escaped
//! again for its format).

use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Elements whose contents are never text a reader sees. (`object`, `embed`, `applet`
/// hold fallback text that *is* shown when the plug-in is not, so only their tags go.)
const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "svg", "math", "head", "title",
];
/// Elements that break a line when they open or close.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "hr",
    "dd",
    "dt",
    "figure",
    "figcaption",
];

/// An HTML page's bytes as text, in the encoding a browser would pick: a BOM, else
/// the HTTP header's charset, else a `<meta charset>` (or `http-equiv`) in the first
/// 1,024 bytes, else UTF-8 (invalid bytes replaced).
pub fn decode_page(body: &[u8], header_charset: Option<&str>) -> String {
    let label = |l: &str| encoding_rs::Encoding::for_label(l.trim().as_bytes());
    let encoding = encoding_rs::Encoding::for_bom(body)
        .map(|(enc, _)| enc)
        .or_else(|| header_charset.and_then(label))
        .or_else(|| meta_charset(&body[..body.len().min(1024)]).and_then(|l| label(&l)))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(body);
    text.into_owned()
}

/// The label after the first `charset=` of a page's head, as bytes go (the prescan
/// of the HTML standard, simplified: quotes and `;` end it).
fn meta_charset(head: &[u8]) -> Option<String> {
    let lower = head.to_ascii_lowercase();
    let at = lower.windows(8).position(|w| w == b"charset=")? + 8;
    let label: String = lower[at..]
        .iter()
        .skip_while(|b| matches!(b, b'"' | b'\'' | b' '))
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
        .map(|&b| char::from(b))
        .collect();
    (!label.is_empty()).then_some(label)
}

/// Plain text of an HTML fragment, at most `max_chars` characters.
pub fn to_text(html: &str, max_chars: usize) -> String {
    // Fast path: most titles are plain text with nothing to decode.
    if !html.contains(['<', '&']) {
        return collapse(html, max_chars);
    }
    let sink = TextSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    collapse(&tokenizer.sink.text.borrow(), max_chars)
}

#[derive(Default)]
struct TextSink {
    text: RefCell<String>,
    /// Depth inside hidden elements.
    hidden: Cell<usize>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::CharacterTokens(chars) if self.hidden.get() == 0 => {
                self.text.borrow_mut().push_str(&chars);
            }
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                if HIDDEN.contains(&name) {
                    match tag.kind {
                        TagKind::StartTag if !tag.self_closing => {
                            self.hidden.set(self.hidden.get() + 1);
                            // Tell the tokenizer these hold raw text, so markup-looking
                            // text inside a script cannot close it early or leak out.
                            return match name {
                                "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                                "style" | "iframe" | "noscript" => {
                                    TokenSinkResult::RawData(RawKind::Rawtext)
                                }
                                "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                                _ => TokenSinkResult::Continue,
                            };
                        }
                        TagKind::EndTag => self.hidden.set(self.hidden.get().saturating_sub(1)),
                        _ => {}
                    }
                } else if BLOCK.contains(&name) {
                    self.text.borrow_mut().push('\n');
                } else if name == "td" || name == "th" || name == "img" {
                    self.text.borrow_mut().push(' ');
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Collapses white space (keeping single paragraph breaks), drops control characters
/// and caps the length.
fn collapse(text: &str, max_chars: usize) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut chars = 0;
    // The separator owed before the next visible character: none, ' ' or '\n'.
    let mut pending: Option<char> = None;
    let mut i = 0;
    while i < bytes.len() {
        // A space outside a run (leading, or one of several) owes a separator.
        if bytes[i] == b' ' {
            pending.get_or_insert(' ');
            i += 1;
            continue;
        }
        // A run of printable ASCII, with the single spaces between its words: most
        // text is one run per paragraph, copied at once.
        let run_start = i;
        while i < bytes.len() {
            if is_printable_ascii(bytes[i]) {
                i += 1;
            } else if bytes[i] == b' ' && bytes.get(i + 1).copied().is_some_and(is_printable_ascii)
            {
                i += 2;
            } else {
                break;
            }
        }
        let c = if i > run_start {
            None
        } else {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            i += c.len_utf8();
            Some(demoronize(c))
        };
        match c {
            None => {
                if let Some(sep) = pending.take().filter(|_| !out.is_empty()) {
                    out.push(sep);
                    chars += 1;
                }
                let run = &text[run_start..i];
                if chars + run.len() > max_chars {
                    // The cap falls in this run: its words while they fit, then the one
                    // it cuts (so the cut is where a word-at-a-time copy makes it). One
                    // pass: a paragraph longer than the cap must not be scanned again
                    // for each of its words.
                    for (n, word) in run.split(' ').enumerate() {
                        if n > 0 {
                            out.push(' ');
                            chars += 1;
                        }
                        if chars + word.len() > max_chars {
                            out.push_str(&word[..max_chars.saturating_sub(chars)]);
                            break;
                        }
                        out.push_str(word);
                        chars += word.len();
                    }
                    out.push('…');
                    return out;
                }
                out.push_str(run);
                chars += run.len();
            }
            Some('\n' | '\r' | '\u{2029}') => pending = Some('\n'),
            Some(c) if c.is_whitespace() || c == '\u{a0}' => {
                if pending.is_none() {
                    pending = Some(' ');
                }
            }
            Some(c) if c.is_control() || c == '\u{fffd}' => {}
            Some(c) => {
                if let Some(sep) = pending.take().filter(|_| !out.is_empty()) {
                    out.push(sep);
                    chars += 1;
                }
                if chars >= max_chars {
                    out.push('…');
                    return out;
                }
                out.push(c);
                chars += 1;
            }
        }
    }
    out
}

fn is_printable_ascii(byte: u8) -> bool {
    (0x21..=0x7e).contains(&byte)
}

/// C1 control characters in feed text are nearly always Windows-1252 punctuation
/// (’ “ ” – …) decoded as Latin-1; restore them, as feedparser's "demoronize" does.
fn demoronize(c: char) -> char {
    if ('\u{80}'..='\u{9f}').contains(&c) {
        let byte = [c as u8];
        let (fixed, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
        fixed.chars().next().unwrap_or(c)
    } else {
        c
    }
}

/// A feed a web page advertises with `<link rel="alternate" type="…">`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedLink {
    pub href: String,
    pub title: Option<String>,
}

/// The feeds an HTML page links in its `<link rel="alternate">` tags, in page order,
/// resolved against `base`.
pub fn feed_links(html: &str, base: &url::Url) -> Vec<FeedLink> {
    let links = scan_links(html).links.take();
    links
        .into_iter()
        .filter_map(|(href, title)| {
            let url = base.join(href.trim()).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| FeedLink {
                href: url.to_string(),
                title,
            })
        })
        .collect()
}

/// The address a saved page says it is a copy of: its `<link rel="canonical">`, else
/// its `og:url` (http or https only).
pub fn canonical_link(html: &str) -> Option<url::Url> {
    let sink = scan_links(html);
    let (canonical, og_url) = (sink.canonical.take(), sink.og_url.take());
    [canonical, og_url]
        .into_iter()
        .flatten()
        .filter_map(|href| url::Url::parse(href.trim()).ok())
        .find(|url| matches!(url.scheme(), "http" | "https"))
}

fn scan_links(html: &str) -> LinkSink {
    let tokenizer = Tokenizer::new(LinkSink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink
}

/// What a page's `<link>` and `<meta>` tags say of it: the feeds it advertises, and
/// where it is the copy of (the first of each).
#[derive(Default)]
struct LinkSink {
    links: RefCell<Vec<(String, Option<String>)>>,
    canonical: RefCell<Option<String>>,
    og_url: RefCell<Option<String>>,
}

impl TokenSink for LinkSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
        {
            let name: &str = &tag.name;
            let attr = |n: &str| {
                tag.attrs
                    .iter()
                    .find(|a| &*a.name.local == n)
                    .map(|a| a.value.to_string())
            };
            if name == "meta"
                && attr("property").is_some_and(|p| p.eq_ignore_ascii_case("og:url"))
                && self.og_url.borrow().is_none()
            {
                *self.og_url.borrow_mut() = attr("content");
            }
            if name == "link" {
                let rel = attr("rel").unwrap_or_default().to_ascii_lowercase();
                if rel.split_whitespace().any(|r| r == "canonical")
                    && self.canonical.borrow().is_none()
                {
                    *self.canonical.borrow_mut() = attr("href");
                }
                let kind = attr("type").unwrap_or_default().to_ascii_lowercase();
                let is_feed = [
                    "application/rss+xml",
                    "application/atom+xml",
                    "application/feed+json",
                    "application/json",
                ]
                .iter()
                .any(|t| kind.starts_with(t));
                if rel.split_whitespace().any(|r| r == "alternate")
                    && is_feed
                    && let Some(href) = attr("href")
                {
                    self.links.borrow_mut().push((href, attr("title")));
                }
            }
            // Script and style bodies hold no links; skip them as raw text.
            return match name {
                "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                "style" => TokenSinkResult::RawData(RawKind::Rawtext),
                _ => TokenSinkResult::Continue,
            };
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_never_becomes_text() {
        let cases = [
            ("plain title", "plain title"),
            (
                "Fish &amp; chips &lt;b&gt; &#8217; &nbsp;x",
                "Fish & chips <b> ’ x",
            ),
            ("<p>One</p><p>Two <b>bold</b></p>", "One\nTwo bold"),
            (
                "a<script>var incident = 1; document.write('</p>')</script>b",
                "ab",
            ),
            ("<style>.outage{color:red}</style>Hello", "Hello"),
            (
                "<a href=\"javascript:alert(1)\" onclick=\"outage()\">link</a>",
                "link",
            ),
            ("<!-- incident -->visible", "visible"),
            ("<svg><text>hidden</text></svg>shown", "shown"),
            ("safe<object classid=\"x\"> description", "safe description"),
            ("x <  y and 3 > 2", "x < y and 3 > 2"),
            ("  lots   of\n\n\n space  ", "lots of\nspace"),
            ("a \n b\t \u{a0} c", "a\nb c"),
            (
                "don\u{92}t \u{93}quote\u{94}",
                "don\u{2019}t \u{201c}quote\u{201d}",
            ),
        ];
        for (html, text) in cases {
            assert_eq!(to_text(html, 1000), text, "{html}");
        }
    }

    #[test]
    fn text_is_capped_by_characters_not_bytes() {
        assert_eq!(to_text("ééééé", 3), "ééé…");
        assert_eq!(to_text("<p>abcdef</p>", 4), "abcd…");
    }

    /// Text is copied a run of words at a time; the cap still falls where it did when
    /// it was copied a word at a time (stored texts, and so their hashes, must not
    /// change when gleaner is upgraded).
    #[test]
    fn the_cap_cuts_runs_of_words_where_it_cut_single_words() {
        assert_eq!(to_text("one two three", 13), "one two three");
        assert_eq!(to_text("one two three", 12), "one two thre…");
        assert_eq!(to_text("one two three", 8), "one two …");
        assert_eq!(to_text("one two three", 7), "one two …");
        assert_eq!(to_text("one  two\nthree", 5), "one t…");
        assert_eq!(to_text("é one two", 5), "é one …");
    }

    #[test]
    fn feed_links_are_found_and_resolved() {
        let base = url::Url::parse("https://blog.example/posts/").unwrap();
        let html = r#"<html><head>
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
            <link rel="alternate" type="application/atom+xml" href="atom.xml">
            <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
            <script>"<link rel=alternate type=application/rss+xml href=/fake>"</script>
            </head></html>"#;
        let links = feed_links(html, &base);
        let hrefs: Vec<&str> = links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(
            hrefs,
            [
                "https://blog.example/feed.xml",
                "https://blog.example/posts/atom.xml"
            ]
        );
        assert_eq!(links[0].title.as_deref(), Some("RSS"));
    }

    #[test]
    fn pages_decode_in_the_charset_they_declare() {
        let latin = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
        assert!(decode_page(latin, None).contains("café"));
        let http_equiv =
            b"<meta http-equiv=Content-Type content='text/html; charset=windows-1252'>\x93q\x94";
        assert!(decode_page(http_equiv, None).contains("“q”"));
        assert!(
            decode_page(b"caf\xc3\xa9", None).contains("café"),
            "UTF-8 by default"
        );
        assert!(
            decode_page(b"caf\xe9", Some("latin1")).contains("café"),
            "the header wins"
        );
        assert!(
            decode_page(b"\xef\xbb\xbfcaf\xc3\xa9", Some("latin1")).contains("café"),
            "a BOM wins"
        );
        assert_eq!(decode_page(b"a\xffb", None), "a\u{fffd}b");
    }
}
