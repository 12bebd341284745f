//! An issue's HTML → its items (link, title, blurb, attribution line), before links are
//! resolved and filtered. Two readers:
//!
//! - **marked-up**: SRE Weekly's WordPress plugin wraps each pick in
//!   `div.sreweekly-entry` (`div.sreweekly-title > a`, then `div.sreweekly-description`
//!   holding the blurb and the byline in a `<small>`). When an issue has such entries
//!   only they are read; the sponsor box (`div.sreweekly-sponsor-message`, or any class
//!   naming a sponsor), e-mail-only entries (`.email_only`) and the Outages list
//!   (`ul.sreweekly-outages`) are not picks.
//! - **generic**, for any other issue: the document is flattened into blocks
//!   (paragraphs, headings, list items, …). A block that is (nearly) all one link starts
//!   an item, as does a list item that starts with a link; the blocks after it, up to
//!   the next such block, a heading or a rule, are its body. The body's attribution is
//!   a block marked as one (`<small>`, `<em>`, `<i>`, `<cite>`, or a class naming an
//!   attribution, byline or author) in an attribution's shape; else its last block when
//!   it has another before it and is in that shape; else the last block that reads as
//!   one on its own (`Author — Org`, `Julia Evans`). The rest is the blurb, whose own
//!   links are references, not picks.
//!
//!   Sponsor blocks: a block that opens with sponsor words ("A message from our
//!   sponsor, …:") starts one, which runs to the first block with a link (its call to
//!   action) or the next heading or rule; a block inside an element whose class names
//!   a sponsor is one; a heading "Sponsor(s)" or "Outages" skips its section.

use super::attribution::{
    attribution_shaped, is_skipped_section, is_sponsor_text, looks_like_attribution,
};
use super::dom::{BLOCK, Dom, Kind, NodeId, ROOT, clean};
use super::{DRAFT_PLACEHOLDER, MAX_LINKS};
use crate::ingest::normalize::{MAX_SUMMARY, MAX_TITLE};

/// One pick as read from the issue: the raw `href`, not yet resolved or checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RawItem {
    pub href: String,
    pub title: String,
    pub blurb: String,
    pub attribution: Option<String>,
}

/// Items read past this many are not looked at (the caller keeps [`MAX_LINKS`] after
/// dropping own-site links and duplicates).
const MAX_RAW_ITEMS: usize = MAX_LINKS * 4;

pub fn items(html: &str) -> Vec<RawItem> {
    let dom = Dom::parse(html);
    marked_up(&dom).unwrap_or_else(|| generic(&dom))
}

fn is_link(dom: &Dom, id: NodeId) -> bool {
    dom.href(id).is_some()
}

/// SRE Weekly's plugin markup; `None` when the issue has none.
fn marked_up(dom: &Dom) -> Option<Vec<RawItem>> {
    let entries: Vec<NodeId> = dom
        .preorder(ROOT)
        .into_iter()
        .filter(|&n| dom.has_class(n, "sreweekly-entry"))
        .collect();
    if entries.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for e in entries {
        if out.len() >= MAX_RAW_ITEMS {
            break;
        }
        let nested = dom
            .ancestors(e)
            .any(|a| dom.has_class(a, "sreweekly-entry"));
        let sponsored = std::iter::once(e)
            .chain(dom.ancestors(e))
            .any(|a| dom.class_contains(a, "sponsor"));
        if nested || sponsored || dom.has_class(e, "email_only") {
            continue;
        }
        let title_box = dom.find(e, |n| dom.has_class(n, "sreweekly-title"));
        let link = title_box
            .and_then(|t| dom.find(t, |n| is_link(dom, n)))
            .or_else(|| dom.find(e, |n| is_link(dom, n)));
        let Some(link) = link else { continue };
        let desc = dom.find(e, |n| dom.has_class(n, "sreweekly-description"));
        let scope = desc.unwrap_or(e);
        let byline = dom
            .preorder(scope)
            .into_iter()
            .rev()
            .find(|&n| dom.name(n) == Some("small"));
        let mut skip: Vec<NodeId> = byline.into_iter().collect();
        if desc.is_none() {
            skip.push(title_box.unwrap_or(link));
        }
        let blurb = dom.text(scope, &skip, MAX_SUMMARY);
        let title = dom.text(link, &[], MAX_TITLE);
        if is_sponsor_text(&blurb) || is_sponsor_text(&title) {
            continue;
        }
        out.push(RawItem {
            href: dom.href(link).unwrap_or_default().to_owned(),
            title,
            blurb,
            attribution: byline
                .map(|b| dom.text(b, &[], super::attribution::MAX_ATTRIBUTION))
                .filter(|a| !a.is_empty()),
        });
    }
    Some(out)
}

/// A flattened block of the document.
#[derive(Default)]
struct Block {
    raw: String,
    text: String,
    links: Vec<BlockLink>,
    heading: bool,
    list_item: bool,
    /// A horizontal rule.
    rule: bool,
    sponsor_box: bool,
    /// Characters inside attribution markup, and in all (before cleaning).
    marked_chars: usize,
    all_chars: usize,
}

struct BlockLink {
    href: String,
    text: String,
    /// Nothing but white space precedes the link in its block.
    at_start: bool,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    heading: bool,
    list_item: bool,
    marked: bool,
    sponsor: bool,
}

struct Flattener<'a> {
    dom: &'a Dom,
    blocks: Vec<Block>,
    cur: Block,
}

impl Flattener<'_> {
    fn flush(&mut self) {
        let mut block = std::mem::take(&mut self.cur);
        block.text = clean(&block.raw, MAX_SUMMARY);
        block.raw = String::new();
        if !block.text.is_empty() || !block.links.is_empty() {
            self.blocks.push(block);
        }
    }

    fn walk(&mut self, id: NodeId, ctx: Ctx) {
        // Enough blocks for MAX_RAW_ITEMS items of a few blocks each.
        if self.blocks.len() > MAX_RAW_ITEMS * 8 {
            return;
        }
        let dom = self.dom;
        let name = match &dom.nodes[id].kind {
            Kind::Text(t) => {
                let n = t.chars().filter(|c| !c.is_whitespace()).count();
                self.cur.all_chars += n;
                if ctx.marked {
                    self.cur.marked_chars += n;
                }
                self.cur.heading |= ctx.heading;
                self.cur.list_item |= ctx.list_item;
                self.cur.sponsor_box |= ctx.sponsor;
                if self.cur.raw.len() < MAX_SUMMARY * 8 {
                    self.cur.raw.push_str(t);
                }
                return;
            }
            Kind::Element { name, .. } => name.as_str(),
        };
        match name {
            "hr" => {
                self.flush();
                self.blocks.push(Block {
                    rule: true,
                    ..Block::default()
                });
                return;
            }
            "br" => {
                self.cur.raw.push('\n');
                return;
            }
            _ => {}
        }
        let block = BLOCK.contains(&name);
        if block {
            self.flush();
        }
        let ctx = Ctx {
            heading: ctx.heading || matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6"),
            list_item: ctx.list_item || name == "li",
            marked: ctx.marked
                || matches!(name, "small" | "em" | "i" | "cite")
                || ["attribution", "byline", "author"]
                    .iter()
                    .any(|c| dom.class_contains(id, c)),
            sponsor: ctx.sponsor || dom.class_contains(id, "sponsor"),
        };
        if let Some(href) = dom.href(id) {
            self.cur.sponsor_box |= ctx.sponsor;
            self.cur.heading |= ctx.heading;
            self.cur.list_item |= ctx.list_item;
            self.cur.links.push(BlockLink {
                href: href.to_owned(),
                text: dom.text(id, &[], MAX_TITLE),
                at_start: self.cur.raw.trim().is_empty(),
            });
        }
        for &c in &dom.nodes[id].children {
            self.walk(c, ctx);
        }
        if block {
            self.flush();
        }
    }
}

impl Block {
    /// Whether the block is an item's title link: (nearly) all of it one link, or a
    /// list item or heading that starts with one.
    fn title_link(&self) -> Option<&BlockLink> {
        let link = self.links.first()?;
        let link_chars = link.text.chars().count();
        let all = self.text.chars().count();
        if link_chars == 0 {
            return None;
        }
        let most = link_chars * 10 >= all * 6;
        let leads = link.at_start && (self.list_item || self.heading);
        (most || leads).then_some(link)
    }

    /// Written in attribution markup (all of its text, give or take punctuation).
    fn marked(&self) -> bool {
        self.all_chars > 0 && self.marked_chars * 10 >= self.all_chars * 9
    }
}

struct Open {
    href: String,
    title: String,
    lead: String,
    body: Vec<usize>,
}

fn generic(dom: &Dom) -> Vec<RawItem> {
    let mut flat = Flattener {
        dom,
        blocks: Vec::new(),
        cur: Block::default(),
    };
    flat.walk(ROOT, Ctx::default());
    flat.flush();
    let blocks = flat.blocks;

    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    let mut skip_section = false;
    let mut in_sponsor = false;
    for (i, b) in blocks.iter().enumerate() {
        if out.len() >= MAX_RAW_ITEMS {
            break;
        }
        let title = b.title_link();
        if b.rule || (b.heading && title.is_none()) {
            close(&mut open, &blocks, &mut out);
            in_sponsor = false;
            skip_section = b.heading && is_skipped_section(&b.text);
            continue;
        }
        if b.heading && title.is_some() {
            skip_section = false;
        }
        if skip_section {
            continue;
        }
        if b.sponsor_box {
            close(&mut open, &blocks, &mut out);
            continue;
        }
        if is_sponsor_text(&b.text) {
            close(&mut open, &blocks, &mut out);
            in_sponsor = b.links.is_empty();
            continue;
        }
        if in_sponsor {
            in_sponsor = b.links.is_empty();
            continue;
        }
        // An attribution line written as a link (to the author's page) is still the
        // attribution of the item before it.
        let byline_link = b.marked()
            && looks_like_attribution(&b.text)
            && open
                .as_ref()
                .is_some_and(|o| !o.body.iter().any(|&j| blocks[j].marked()));
        match title {
            Some(link) if !byline_link => {
                close(&mut open, &blocks, &mut out);
                let lead = if b.list_item && !b.heading {
                    b.text
                        .strip_prefix(link.text.as_str())
                        .unwrap_or("")
                        .trim_start_matches(['—', '–', '-', ':', ' '])
                        .to_owned()
                } else {
                    String::new()
                };
                open = Some(Open {
                    href: link.href.clone(),
                    title: link.text.clone(),
                    lead,
                    body: Vec::new(),
                });
            }
            _ => {
                if let Some(o) = open.as_mut() {
                    o.body.push(i);
                }
            }
        }
    }
    close(&mut open, &blocks, &mut out);
    out
}

fn close(open: &mut Option<Open>, blocks: &[Block], out: &mut Vec<RawItem>) {
    let Some(o) = open.take() else { return };
    let body: Vec<&Block> = o
        .body
        .iter()
        .map(|&i| &blocks[i])
        .filter(|b| b.text != DRAFT_PLACEHOLDER)
        .collect();
    let byline = body
        .iter()
        .rposition(|b| b.marked() && attribution_shaped(&b.text))
        .or_else(|| {
            let last = body.len().checked_sub(1)?;
            let lead = !o.lead.is_empty();
            (last >= 1 || lead)
                .then_some(last)
                .filter(|&l| attribution_shaped(&body[l].text) && !body[l].text.contains('\n'))
        })
        .or_else(|| body.iter().rposition(|b| looks_like_attribution(&b.text)));
    let mut blurb: Vec<&str> = Vec::new();
    if !o.lead.is_empty() {
        blurb.push(&o.lead);
    }
    blurb.extend(
        body.iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != byline)
            .map(|(_, b)| b.text.as_str()),
    );
    let blurb = clean(&blurb.join("\n"), MAX_SUMMARY);
    if is_sponsor_text(&o.title) || is_sponsor_text(&blurb) {
        return;
    }
    out.push(RawItem {
        href: o.href,
        title: clean(&o.title, MAX_TITLE),
        blurb,
        attribution: byline.map(|i| body[i].text.clone()),
    });
}
