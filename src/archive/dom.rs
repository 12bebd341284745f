//! A small element tree built from html5ever's tokenizer: just enough structure to read
//! a newsletter issue (which `div` holds which link, which `<small>` is the byline).
//!
//! The tree is not the HTML spec's tree builder, only its commonest repairs: a block
//! start closes an open `<p>`, a new `<li>`/`<dt>`/`<dd>` closes the previous one,
//! links do not nest, an end tag closes everything opened after its start tag, and a
//! stray end tag is ignored. Hostile input is bounded: the input is cut at
//! [`MAX_INPUT`] bytes, the tree at [`MAX_NODES`] nodes, nesting at [`MAX_DEPTH`] (deeper
//! elements but links are dropped, their text kept), and every text read from it has a character cap. The
//! elements whose content no reader sees (`script`, `style`, `template`, `svg`, …) are
//! dropped with their content, as [`crate::ingest::html::to_text`] drops them.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Longest issue HTML read, in bytes; the rest is ignored.
pub const MAX_INPUT: usize = 4 << 20;
/// Most nodes (elements and text runs) in one tree.
pub const MAX_NODES: usize = 200_000;
/// Deepest nesting kept.
pub const MAX_DEPTH: usize = 128;
/// Longest `href` kept (canonical URLs are at most 2,048 bytes anyway).
const MAX_HREF: usize = 4_096;

/// Elements dropped with their content.
const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "svg", "math", "head", "title", "select",
    "textarea", "button",
];
/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// Block elements: each starts and ends a line of text.
pub const BLOCK: &[&str] = &[
    "p",
    "div",
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
    "aside",
    "header",
    "footer",
    "nav",
    "main",
    "hr",
    "dl",
    "dd",
    "dt",
    "figure",
    "figcaption",
    "details",
    "summary",
    "address",
];

/// The root's id: every tree has it, an element named `#root`.
pub const ROOT: NodeId = 0;

pub type NodeId = usize;

pub enum Kind {
    Element {
        name: String,
        /// Class names, lower-cased.
        classes: Vec<String>,
        href: Option<String>,
    },
    Text(String),
}

pub struct Node {
    pub kind: Kind,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
}

pub struct Dom {
    pub nodes: Vec<Node>,
}

impl Dom {
    /// Builds the tree of an HTML fragment or document.
    pub fn parse(html: &str) -> Dom {
        let html = &html[..html.floor_char_boundary(MAX_INPUT)];
        let sink = Builder {
            state: RefCell::new(State {
                nodes: vec![Node {
                    kind: Kind::Element {
                        name: "#root".into(),
                        classes: Vec::new(),
                        href: None,
                    },
                    parent: None,
                    children: Vec::new(),
                }],
                stack: Vec::new(),
                hidden: 0,
            }),
        };
        let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(html));
        let _ = tokenizer.feed(&input);
        tokenizer.end();
        let nodes = std::mem::take(&mut tokenizer.sink.state.borrow_mut().nodes);
        Dom { nodes }
    }

    /// The element's name, or `None` for text.
    pub fn name(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[id].kind {
            Kind::Element { name, .. } => Some(name),
            Kind::Text(_) => None,
        }
    }

    pub fn has_class(&self, id: NodeId, class: &str) -> bool {
        matches!(&self.nodes[id].kind, Kind::Element { classes, .. } if classes.iter().any(|c| c == class))
    }

    /// Whether any class name of the element contains `needle` (`sponsor` finds
    /// `sreweekly-sponsor-message`).
    pub fn class_contains(&self, id: NodeId, needle: &str) -> bool {
        matches!(&self.nodes[id].kind, Kind::Element { classes, .. } if classes.iter().any(|c| c.contains(needle)))
    }

    /// The `href` of an `<a>` element.
    pub fn href(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[id].kind {
            Kind::Element { name, href, .. } if name == "a" => href.as_deref(),
            _ => None,
        }
    }

    /// `id` and its descendants, in document order.
    pub fn preorder(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.nodes[n].children.iter().rev());
        }
        out
    }

    /// The first of `id`'s descendants (not `id` itself) that `pred` accepts.
    pub fn find(&self, id: NodeId, pred: impl Fn(NodeId) -> bool) -> Option<NodeId> {
        self.preorder(id).into_iter().skip(1).find(|&n| pred(n))
    }

    /// The ancestors of `id`, nearest first (not `id` itself).
    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(self.nodes[id].parent, |&n| self.nodes[n].parent)
    }

    /// The text of `id`'s subtree without the subtrees in `skip`: block elements break
    /// lines, white space collapses, at most `max_chars` characters.
    pub fn text(&self, id: NodeId, skip: &[NodeId], max_chars: usize) -> String {
        let mut raw = String::new();
        // Collapsing only shrinks text, but white space can be most of it: read a
        // generous multiple of the cap, never the whole of a hostile document.
        let budget = max_chars.saturating_mul(8).saturating_add(1_024);
        self.collect(id, skip, &mut raw, budget);
        clean(&raw, max_chars)
    }

    fn collect(&self, id: NodeId, skip: &[NodeId], out: &mut String, budget: usize) {
        if out.len() >= budget || skip.contains(&id) {
            return;
        }
        match &self.nodes[id].kind {
            Kind::Text(t) => {
                let room = budget - out.len();
                out.push_str(&t[..t.floor_char_boundary(room)]);
            }
            Kind::Element { name, .. } => {
                let block = BLOCK.contains(&name.as_str());
                if block || name == "br" {
                    out.push('\n');
                } else if matches!(name.as_str(), "td" | "th" | "img") {
                    out.push(' ');
                }
                for &c in &self.nodes[id].children {
                    self.collect(c, skip, out, budget);
                }
                if block {
                    out.push('\n');
                }
            }
        }
    }
}

/// Collapses white space within lines, drops empty lines and control characters, and
/// caps the text at `max_chars` characters (an ellipsis marks a cut).
pub fn clean(raw: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for line in raw.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        let mut words = line
            .split(|c: char| c.is_whitespace() || c.is_control() || c == '\u{fffd}')
            .filter(|w| !w.is_empty())
            .peekable();
        if words.peek().is_none() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            chars += 1;
        }
        let mut first = true;
        for word in words {
            if !first {
                out.push(' ');
                chars += 1;
            }
            first = false;
            for c in word.chars() {
                if chars >= max_chars {
                    let kept = out.trim_end().len();
                    out.truncate(kept);
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

struct State {
    nodes: Vec<Node>,
    /// Open elements, innermost last (the root is implied below them).
    stack: Vec<NodeId>,
    /// Depth inside hidden elements.
    hidden: usize,
}

struct Builder {
    state: RefCell<State>,
}

impl TokenSink for Builder {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::CharacterTokens(text) if state.hidden == 0 => state.text(&text),
            Token::TagToken(tag) => return state.tag(tag),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl State {
    fn current(&self) -> NodeId {
        self.stack.last().copied().unwrap_or(ROOT)
    }

    fn full(&self) -> bool {
        self.nodes.len() >= MAX_NODES
    }

    fn name(&self, id: NodeId) -> &str {
        match &self.nodes[id].kind {
            Kind::Element { name, .. } => name,
            Kind::Text(_) => "",
        }
    }

    fn text(&mut self, text: &str) {
        let parent = self.current();
        if let Some(&last) = self.nodes[parent].children.last()
            && let Kind::Text(t) = &mut self.nodes[last].kind
        {
            t.push_str(text);
            return;
        }
        if self.full() {
            return;
        }
        self.add(parent, Kind::Text(text.to_owned()));
    }

    fn add(&mut self, parent: NodeId, kind: Kind) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            kind,
            parent: Some(parent),
            children: Vec::new(),
        });
        self.nodes[parent].children.push(id);
        id
    }

    fn tag(&mut self, tag: Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if HIDDEN.contains(&name) {
            match tag.kind {
                TagKind::StartTag if !tag.self_closing => {
                    self.hidden += 1;
                    // Raw-text elements: markup-looking text inside cannot end them early.
                    return match name {
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "style" | "iframe" | "noscript" => {
                            TokenSinkResult::RawData(RawKind::Rawtext)
                        }
                        "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                        _ => TokenSinkResult::Continue,
                    };
                }
                TagKind::EndTag => self.hidden = self.hidden.saturating_sub(1),
                TagKind::StartTag => {}
            }
            return TokenSinkResult::Continue;
        }
        if self.hidden > 0 {
            return TokenSinkResult::Continue;
        }
        match tag.kind {
            TagKind::StartTag => self.open(&tag),
            TagKind::EndTag => self.close(name),
        }
        TokenSinkResult::Continue
    }

    /// The stack position of the innermost open `name`, not looking past a `stop`
    /// element (a list item inside a nested list does not close the outer one).
    fn open_position(&self, name: &str, stop: &[&str]) -> Option<usize> {
        for (i, &id) in self.stack.iter().enumerate().rev() {
            let n = self.name(id);
            if n == name {
                return Some(i);
            }
            if stop.contains(&n) {
                return None;
            }
        }
        None
    }

    fn open(&mut self, tag: &Tag) {
        if self.full() {
            return;
        }
        let name: &str = &tag.name;
        // Past the depth cap, elements are dropped (their text goes to the deepest kept
        // element), but for links: a link's text must stay its own. Links do not nest,
        // so they add at most one level.
        if self.stack.len() >= MAX_DEPTH && name != "a" {
            return;
        }
        let implied = |state: &State| match name {
            _ if BLOCK.contains(&name) && name != "li" && name != "dd" && name != "dt" => {
                state.open_position("p", &["table", "td", "th", "blockquote", "li"])
            }
            "li" => state
                .open_position("li", &["ul", "ol"])
                .or_else(|| state.open_position("p", &["li", "blockquote"])),
            "dd" | "dt" => state
                .open_position("dd", &["dl"])
                .or_else(|| state.open_position("dt", &["dl"])),
            "a" => state.open_position("a", &[]),
            _ => None,
        };
        if let Some(pos) = implied(self) {
            self.stack.truncate(pos);
        }
        let attr = |n: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == n)
                .map(|a| &*a.value)
        };
        let classes = attr("class")
            .map(|c| {
                c.split_ascii_whitespace()
                    .take(16)
                    .map(|c| c.chars().take(64).collect::<String>().to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let href = if name == "a" {
            attr("href")
                .filter(|h| h.len() <= MAX_HREF)
                .map(str::to_owned)
        } else {
            None
        };
        let parent = self.current();
        let id = self.add(
            parent,
            Kind::Element {
                name: name.to_owned(),
                classes,
                href,
            },
        );
        if !VOID.contains(&name) && !tag.self_closing {
            self.stack.push(id);
        }
    }

    fn close(&mut self, name: &str) {
        if let Some(pos) = self.stack.iter().rposition(|&id| self.name(id) == name) {
            self.stack.truncate(pos);
        }
    }
}
