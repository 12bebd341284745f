//! Article metadata from JSON-LD and `<meta>` tags, and the cleaning every name gets.
//! The order of the sources is [`super`]'s.

use chrono::{DateTime, Utc};
use dom_query::Document;
use serde_json::Value;

use super::cut_at_char;
use crate::ingest::html;
use crate::ingest::normalize::is_invisible;
use crate::ingest::parse::parse_date;

const MAX_JSON_LD_BYTES: usize = 256 * 1024;
const MAX_JSON_LD_SCRIPTS: usize = 16;
const MAX_JSON_LD_NODES: usize = 256;
const MAX_META_TAGS: usize = 1_000;
const MAX_AUTHORS: usize = 10;
pub(super) const MAX_NAME_CHARS: usize = 200;
pub(super) const MAX_TITLE_CHARS: usize = 500;
const ARTICLE_TYPES: &[&str] = &["Article", "BlogPosting", "NewsArticle", "TechArticle"];

/// Metadata from one source; sources are merged field by field, first wins.
#[derive(Debug, Default)]
pub(super) struct Meta {
    pub(super) title: Option<String>,
    pub(super) authors: Vec<String>,
    pub(super) site_name: Option<String>,
    pub(super) published: Option<DateTime<Utc>>,
}

impl Meta {
    pub(super) fn or(mut self, other: Meta) -> Meta {
        self.title = self.title.or(other.title);
        if self.authors.is_empty() {
            self.authors = other.authors;
        }
        self.site_name = self.site_name.or(other.site_name);
        self.published = self.published.or(other.published);
        self
    }
}

/// JSON-LD metadata: the first article-typed node of all the page's scripts.
pub(super) fn json_ld(doc: &Document) -> Meta {
    let mut nodes = Vec::new();
    let scripts = doc.select("script[type]");
    let ld_scripts = scripts.iter().filter(|script| {
        script.attr("type").is_some_and(|t| {
            t.trim()
                .to_ascii_lowercase()
                .starts_with("application/ld+json")
        })
    });
    for script in ld_scripts.take(MAX_JSON_LD_SCRIPTS) {
        let text = script.text();
        if text.len() > MAX_JSON_LD_BYTES {
            continue;
        }
        if let Ok(value) = serde_json::from_str::<Value>(unwrap_script(&text)) {
            flatten(value, &mut nodes);
        }
    }
    let node = nodes
        .iter()
        .find(|node| has_type(node, ARTICLE_TYPES))
        .or_else(|| nodes.iter().find(|node| has_type(node, &["WebPage"])));
    let Some(node) = node else {
        return Meta::default();
    };
    let title = ["headline", "name"].iter().find_map(|key| {
        node.get(key)?
            .as_str()
            .and_then(|s| clean(s, MAX_TITLE_CHARS))
    });
    let mut names = Vec::new();
    if let Some(author) = node.get("author") {
        match author {
            Value::Array(items) => {
                for item in items.iter().take(MAX_AUTHORS * 2) {
                    names.extend(name_of(item, &nodes));
                }
            }
            other => names.extend(name_of(other, &nodes)),
        }
    }
    Meta {
        title,
        authors: authors(names.iter().map(String::as_str)),
        site_name: node
            .get("publisher")
            .and_then(|p| name_of(p, &nodes))
            .and_then(|s| clean(&s, MAX_NAME_CHARS)),
        published: node
            .get("datePublished")
            .and_then(Value::as_str)
            .and_then(date),
    }
}

/// Some sites wrap JSON-LD in a CDATA section or an HTML comment.
fn unwrap_script(text: &str) -> &str {
    let text = text.trim();
    let text = text
        .strip_prefix("<![CDATA[")
        .and_then(|t| t.strip_suffix("]]>"))
        .unwrap_or(text);
    let text = text
        .strip_prefix("<!--")
        .and_then(|t| t.strip_suffix("-->"))
        .unwrap_or(text);
    text.trim().trim_end_matches(';')
}

/// The nodes of a JSON-LD value: itself, the items of an array, those of an `@graph`, in
/// document order, at most [`MAX_JSON_LD_NODES`]. (The script's size bounds the work.)
fn flatten(value: Value, nodes: &mut Vec<Value>) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        if nodes.len() >= MAX_JSON_LD_NODES {
            return;
        }
        match value {
            Value::Array(items) => {
                pending.extend(items.into_iter().take(MAX_JSON_LD_NODES).rev());
            }
            Value::Object(mut object) => {
                if let Some(graph) = object.remove("@graph") {
                    pending.push(graph);
                }
                nodes.push(Value::Object(object));
            }
            _ => {}
        }
    }
}

fn has_type(node: &Value, wanted: &[&str]) -> bool {
    // "schema:Article" and "https://schema.org/Article" name the same type.
    let short = |t: &str| t.rsplit(['/', ':']).next().unwrap_or(t).to_owned();
    match node.get("@type") {
        Some(Value::String(t)) => wanted.contains(&short(t).as_str()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .any(|t| wanted.contains(&short(t).as_str())),
        _ => false,
    }
}

/// A name given as a string, as an object's `name`, or as an `{"@id"}` reference to
/// another node that has one.
fn name_of(value: &Value, nodes: &[Value]) -> Option<String> {
    match value {
        Value::String(name) => Some(name.clone()),
        Value::Object(object) => match object.get("name") {
            Some(Value::String(name)) => Some(name.clone()),
            _ => {
                let id = object.get("@id")?.as_str()?;
                let node = nodes
                    .iter()
                    .find(|node| node.get("@id").and_then(Value::as_str) == Some(id))?;
                node.get("name")?.as_str().map(str::to_owned)
            }
        },
        _ => None,
    }
}

/// OpenGraph, then `<meta name="author">`.
pub(super) fn meta_tags(doc: &Document) -> Meta {
    let mut meta = Meta::default();
    let mut og_authors = Vec::new();
    let mut plain_authors = Vec::new();
    for tag in doc.select("meta[content]").iter().take(MAX_META_TAGS) {
        let Some(key) = tag.attr("property").or_else(|| tag.attr("name")) else {
            continue;
        };
        let Some(content) = tag.attr("content") else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "og:title" if meta.title.is_none() => meta.title = clean(&content, MAX_TITLE_CHARS),
            "og:site_name" if meta.site_name.is_none() => {
                meta.site_name = clean(&content, MAX_NAME_CHARS);
            }
            "article:published_time" if meta.published.is_none() => meta.published = date(&content),
            "article:author" if og_authors.len() < MAX_AUTHORS * 2 => {
                og_authors.push(content.to_string());
            }
            "author" if plain_authors.len() < MAX_AUTHORS * 2 => {
                plain_authors.push(content.to_string());
            }
            _ => {}
        }
    }
    meta.authors = authors(og_authors.iter().map(String::as_str));
    if meta.authors.is_empty() {
        meta.authors = authors(plain_authors.iter().map(String::as_str));
    }
    meta
}

pub(super) fn date(text: &str) -> Option<DateTime<Utc>> {
    (text.len() <= 100)
        .then(|| parse_date(text.trim()))
        .flatten()
}

/// Cleaned, de-duplicated (ignoring case) author names, at most [`MAX_AUTHORS`]. A
/// leading "By" goes; URLs, e-mail addresses and names without a letter or digit are
/// not names.
pub(super) fn authors<'a>(raw: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in raw {
        let Some(name) = clean(name, MAX_NAME_CHARS) else {
            continue;
        };
        let name = match name.get(..3) {
            Some(by) if by.eq_ignore_ascii_case("by ") => name[3..].trim_start().to_owned(),
            _ => name,
        };
        let lower = name.to_lowercase();
        let not_a_name = lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
            || (name.contains('@') && !name.contains(' '))
            || !name.chars().any(char::is_alphanumeric);
        if not_a_name || out.iter().any(|seen| seen.to_lowercase() == lower) {
            continue;
        }
        out.push(name);
        if out.len() == MAX_AUTHORS {
            break;
        }
    }
    out
}

/// Entities decoded and tags dropped (JSON-LD strings carry both at times), white space
/// collapsed, control and bidi/zero-width characters removed, at most `max_chars`.
pub(super) fn clean(raw: &str, max_chars: usize) -> Option<String> {
    let raw = cut_at_char(raw, max_chars.saturating_mul(8));
    let decoded = html::to_text(raw, max_chars.saturating_mul(2));
    let mut out = String::new();
    let mut chars = 0;
    let mut space = false;
    for c in decoded.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if !c.is_control() && !is_invisible(c) {
            if space {
                out.push(' ');
                chars += 1;
                space = false;
            }
            if chars == max_chars {
                break;
            }
            out.push(c);
            chars += 1;
        }
    }
    let out = out.trim_end().to_owned();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_names_are_cleaned_and_bounded() {
        let long = "x".repeat(500);
        let many: Vec<String> = (0..15).map(|i| format!("Author {i}")).collect();
        let cases: Vec<(Vec<&str>, Vec<String>)> = vec![
            (vec!["  Jane   Doe "], vec!["Jane Doe".into()]),
            (
                vec!["Jane\u{202E}Doe", "\u{2066}Ada\u{2069} Lee\u{7}"],
                vec!["JaneDoe".into(), "Ada Lee".into()],
            ),
            (
                vec!["By Kim Poe", "by kim poe", "KIM POE"],
                vec!["Kim Poe".into()],
            ),
            (
                vec!["https://twitter.com/x", "jane@example.com", "---", ""],
                vec![],
            ),
            (vec!["Jane &amp; John"], vec!["Jane & John".into()]),
            (vec![long.as_str()], vec!["x".repeat(MAX_NAME_CHARS)]),
            (
                many.iter().map(String::as_str).collect(),
                many[..MAX_AUTHORS].to_vec(),
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(authors(raw.iter().copied()), want, "{raw:?}");
        }
    }
}
