//! An issue kept as markdown → its items. pulldown-cmark reads it as CommonMark
//! (reference links, setext headings, emphasis, entities, code that is never a link,
//! YAML front matter that is never text) and renders HTML, which the HTML issue reader
//! reads the way it reads any newsletter page: a heading, paragraph or list item that is
//! (nearly) one link starts an item, the blocks after it are its blurb and attribution
//! line, and sponsor blocks and the "Sponsor(s)" and "Outages" sections are skipped. So
//! gleaner's own draft (`## [Title](url)`, blurb, `Author — Org`), a link alone in its
//! paragraph and a list item led by a link (`1. [Title](url) — blurb`) read as they do in
//! HTML.
//!
//! Two things differ from plain CommonMark, for archives written by hand:
//! - a paragraph with a line that is one link is split at its line breaks, so links on
//!   consecutive lines, or a link line followed by its blurb and credit lines, are items
//!   of their own rather than one paragraph of several links;
//! - raw HTML is kept only as emphasis (`<small>`, `<em>`, `<cite>`, … without
//!   attributes); any other tag is text, and closed comments are dropped. A tag named in
//!   prose ("a `<style>` tag") then hides nothing, and no class in a file switches the
//!   reader to SRE Weekly's markup.

use std::collections::VecDeque;
use std::fmt;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

use super::dom;
use super::html_issue::{self, RawItem};

/// Longest markdown issue read, in bytes: a weekly issue is tens of kilobytes, and
/// CommonMark's tree and its HTML grow with nesting (a megabyte of `>` is a million
/// block quotes).
const MAX_INPUT: usize = 1 << 20;

/// Raw HTML kept as HTML: emphasis and line structure, with no attributes.
const KEPT_TAGS: &[&str] = &[
    "small", "em", "i", "b", "strong", "cite", "br", "p", "sup", "sub", "code",
];

pub fn items(md: &str) -> Vec<RawItem> {
    html_issue::items(&to_html(md))
}

fn to_html(md: &str) -> String {
    let md = &md[..md.floor_char_boundary(MAX_INPUT)];
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut in_comment = false;
    let events = Parser::new_ext(md, options).filter_map(|e| inert_html(e, &mut in_comment));
    let mut out = Capped(String::new());
    // Past the cap the writer refuses: what was written is what the HTML reader reads.
    let _ = html::write_html_fmt(&mut out, LinkLines::new(events));
    out.0
}

/// HTML written up to the HTML reader's own input cap, then refused.
struct Capped(String);

impl fmt::Write for Capped {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.len() + s.len() > dom::MAX_INPUT {
            return Err(fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
}

/// Raw HTML that is only [`KEPT_TAGS`] stays HTML; comments go (`in_comment` carries
/// one across the lines of an HTML block); anything else is text.
fn inert_html<'a>(event: Event<'a>, in_comment: &mut bool) -> Option<Event<'a>> {
    match event {
        Event::Html(raw) | Event::InlineHtml(raw) => {
            let t = raw.trim();
            if *in_comment || t.starts_with("<!--") {
                *in_comment = !t.ends_with("-->");
                None
            } else if only_kept_tags(&raw) {
                Some(Event::InlineHtml(raw))
            } else {
                Some(Event::Text(raw))
            }
        }
        other => Some(other),
    }
}

/// Whether every `<…>` in `raw` is `<tag>`, `</tag>` or `<tag/>` of a kept tag (and a
/// `<` opens a tag only there).
fn only_kept_tags(raw: &str) -> bool {
    let mut rest = raw;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            return false;
        };
        let tag = &rest[open + 1..open + close];
        let name = tag.trim_start_matches('/').trim_end_matches('/').trim_end();
        if !KEPT_TAGS.iter().any(|k| k.eq_ignore_ascii_case(name)) {
            return false;
        }
        rest = &rest[open + close + 1..];
    }
    true
}

/// Splits a paragraph that has a line of one link at its line breaks (see the module
/// doc); other events pass through.
struct LinkLines<'a, I> {
    events: I,
    ready: VecDeque<Event<'a>>,
}

impl<'a, I: Iterator<Item = Event<'a>>> LinkLines<'a, I> {
    fn new(events: I) -> Self {
        LinkLines {
            events,
            ready: VecDeque::new(),
        }
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for LinkLines<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(event) = self.ready.pop_front() {
            return Some(event);
        }
        let event = self.events.next()?;
        if !matches!(event, Event::Start(Tag::Paragraph)) {
            return Some(event);
        }
        let body: Vec<Event<'a>> = self
            .events
            .by_ref()
            .take_while(|e| !matches!(e, Event::End(TagEnd::Paragraph)))
            .collect();
        let lines = lines(body);
        let split = lines.len() > 1 && lines.iter().any(|line| is_one_link(line));
        let groups = if split {
            lines
        } else {
            vec![lines.into_iter().flatten().collect()]
        };
        for line in groups {
            self.ready.push_back(Event::Start(Tag::Paragraph));
            self.ready.extend(line);
            self.ready.push_back(Event::End(TagEnd::Paragraph));
        }
        self.ready.pop_front()
    }
}

/// A paragraph's inline events cut at its line breaks outside links and emphasis (the
/// breaks themselves kept at the end of their line).
fn lines(body: Vec<Event<'_>>) -> Vec<Vec<Event<'_>>> {
    let mut lines = vec![Vec::new()];
    let mut depth = 0usize;
    for event in body {
        let breaks = depth == 0 && matches!(event, Event::SoftBreak | Event::HardBreak);
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        lines.last_mut().expect("one line at least").push(event);
        if breaks {
            lines.push(Vec::new());
        }
    }
    lines.retain(|line| line.iter().any(|e| !is_blank(e)));
    lines
}

/// A line that is one link, maybe inside emphasis, and nothing else but white space.
fn is_one_link(line: &[Event<'_>]) -> bool {
    let mut links = 0;
    let mut in_link = 0usize;
    for event in line {
        match event {
            Event::Start(Tag::Link { .. }) => {
                if in_link == 0 {
                    links += 1;
                }
                in_link += 1;
            }
            Event::End(TagEnd::Link) => in_link = in_link.saturating_sub(1),
            _ if in_link > 0 => {}
            Event::Start(Tag::Strong | Tag::Emphasis)
            | Event::End(TagEnd::Strong | TagEnd::Emphasis) => {}
            e if is_blank(e) => {}
            _ => return false,
        }
    }
    links == 1
}

fn is_blank(event: &Event<'_>) -> bool {
    match event {
        Event::SoftBreak | Event::HardBreak => true,
        Event::Text(t) => t.trim().is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_emphasis_stays_html() {
        assert!(only_kept_tags("<small>Ann Lee</small>"));
        assert!(only_kept_tags("<p><em>Ann</em> <br/> Lee</p>"));
        assert!(!only_kept_tags("<style>"));
        assert!(!only_kept_tags("<small class=\"sreweekly-entry\">"));
        assert!(!only_kept_tags("a < b"));
        let html = to_html("Put a <style> tag in.\n\n<!-- hidden\nstill -->\n\n<script>x</script>");
        assert!(html.contains("&lt;style&gt;"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            !html.contains("hidden") && !html.contains("still"),
            "{html}"
        );
    }

    #[test]
    fn front_matter_is_not_text() {
        let html = to_html("---\ntitle: Issue 12\n---\n\n[A](https://a.example/1)");
        assert!(!html.contains("Issue 12"), "{html}");
        assert!(!html.contains("<hr"), "{html}");
    }

    #[test]
    fn link_lines_split_but_prose_lines_do_not() {
        let split = to_html("[A](https://a.example/1)\nBlurb text.\nAnn Lee — Acme");
        assert_eq!(split.matches("<p>").count(), 3, "{split}");
        let prose = to_html(
            "A blurb that wraps\nonto a second line, with [a link](https://a.example/1)\ninside.",
        );
        assert_eq!(prose.matches("<p>").count(), 1, "{prose}");
    }
}
