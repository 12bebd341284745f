//! An issue kept as markdown → its items. pulldown-cmark reads it as CommonMark
//! (reference links, setext headings, emphasis, entities, inline HTML, code that is
//! never a link) and renders HTML, which the HTML issue reader reads the way it reads
//! any newsletter page: a heading, paragraph or list item that is (nearly) one link
//! starts an item, the blocks after it are its blurb and attribution line, and sponsor
//! blocks and the "Sponsor(s)" and "Outages" sections are skipped. So gleaner's own
//! draft (`## [Title](url)`, blurb, `Author — Org`), a link alone in its paragraph and
//! a list item led by a link (`1. [Title](url) — blurb`) read as they do in HTML.

use pulldown_cmark::{Options, Parser, html};

use super::html_issue::{self, RawItem};

/// Longest markdown issue read, in bytes.
const MAX_INPUT: usize = 4 << 20;

pub fn items(md: &str) -> Vec<RawItem> {
    html_issue::items(&to_html(md))
}

fn to_html(md: &str) -> String {
    let md = &md[..md.floor_char_boundary(MAX_INPUT)];
    let mut out = String::with_capacity(md.len() + md.len() / 2);
    html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_STRIKETHROUGH));
    out
}
