//! Checks of single values in `feeds.toml` (patterns, URLs, cron expressions, zones,
//! numbers, strings), each adding a problem with its line and a hint when it fails.

use std::ops::{Range, RangeInclusive};

use toml_edit::{Item, Table, Value};
use url::Url;

use super::reader::Reader;
use super::*;
use crate::score::Field;

impl Reader {
    pub(super) fn pattern(&mut self, t: &Table, span: Option<Range<usize>>) -> Option<String> {
        let text = self.required_string(t, "pattern", span, "[[rule]]")?;
        match crate::score::RuleSet::check(&text) {
            Ok(()) => Some(text),
            Err(detail) => {
                self.problem(
                    t.get("pattern").and_then(Item::span),
                    &format!("bad regex `{text}`: {detail}"),
                    "patterns use the regex crate's syntax; use single quotes so backslashes stay literal",
                );
                None
            }
        }
    }

    /// A `[[feed]]`'s `links`: a regex over the paths of the articles its listing page
    /// links, read only for `kind = "page"`, and needed when the page is its site's
    /// root (every link on the site is below it).
    pub(super) fn article_links(
        &mut self,
        t: &Table,
        kind: Option<FeedKind>,
        url: Option<&Url>,
    ) -> Option<regex::Regex> {
        let at = t.get("links").and_then(Item::span);
        let text = self.string(t, "links");
        if kind != Some(FeedKind::Page) {
            if text.is_some() {
                self.problem(
                    at,
                    "`links` is only read for kind = \"page\"",
                    "remove it, or set kind = \"page\" if the url is a page listing the site's articles",
                );
            }
            return None;
        }
        let Some(text) = text else {
            if url.is_some_and(|url| listing_folder(url) == "/") {
                self.problem(
                    t.get("url").and_then(Item::span),
                    "a kind = \"page\" feed at its site's top level needs `links`: every link of the site is below it",
                    "set links to a regex of its articles' paths, e.g. links = '^/blog/[^/]+/?$'",
                );
            }
            return None;
        };
        match regex::RegexBuilder::new(&text).size_limit(1 << 20).build() {
            Ok(links) => Some(links),
            Err(err) => {
                let detail = err.to_string();
                let detail = detail.lines().last().unwrap_or("").trim();
                self.problem(
                    at,
                    &format!("bad regex `{text}`: {detail}"),
                    "links is matched against each link's path, e.g. links = '^/articles/[^/]+/?$'; use single quotes so backslashes stay literal",
                );
                None
            }
        }
    }

    pub(super) fn fields(&mut self, t: &Table) -> Vec<Field> {
        let Some(names) = self.string_list(t, "fields") else {
            return Field::SCORED_BY_DEFAULT.to_vec();
        };
        let mut fields = Vec::new();
        for name in names {
            match Field::parse(&name) {
                Some(f) if !fields.contains(&f) => fields.push(f),
                Some(_) => {}
                None => self.problem(
                    t.get("fields").and_then(Item::span),
                    &format!("unknown field `{name}`"),
                    "fields are title, summary, content, article, url, author",
                ),
            }
        }
        fields
    }

    pub(super) fn url(&mut self, t: &Table, span: Option<Range<usize>>) -> Option<Url> {
        let text = self.required_string(t, "url", span, "[[feed]]")?;
        let at = t.get("url").and_then(Item::span);
        match Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            Ok(_) => {
                self.problem(
                    at,
                    &format!("feed url `{text}` is not http(s)"),
                    "use an http:// or https:// URL",
                );
                None
            }
            Err(err) => {
                self.problem(
                    at,
                    &format!("bad feed url `{text}`: {err}"),
                    "use a full URL like https://example.com/feed.xml",
                );
                None
            }
        }
    }

    pub(super) fn cron(&mut self, t: &Table, key: &str, default: &str) -> String {
        let Some(expr) = self.string(t, key) else {
            return default.into();
        };
        if let Err(err) = parse_cron(&expr) {
            self.problem(
                t.get(key).and_then(Item::span),
                &format!("bad cron expression `{expr}` for `{key}`: {err}"),
                "use six fields, seconds first: \"0 */30 * * * *\" is every 30 minutes",
            );
        }
        expr
    }

    pub(super) fn timezone(&mut self, t: &Table) -> chrono_tz::Tz {
        let Some(name) = self.string(t, "timezone") else {
            return chrono_tz::UTC;
        };
        match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => tz,
            Err(_) => {
                self.problem(
                    t.get("timezone").and_then(Item::span),
                    &format!("unknown time zone `{name}`"),
                    "use an IANA name such as \"UTC\", \"Europe/Berlin\" or \"America/New_York\"",
                );
                chrono_tz::UTC
            }
        }
    }

    /// A whole number in `range` (bounded both ways: a huge timeout or list size is a
    /// typo, and would overflow a deadline or an allocation).
    pub(super) fn count(
        &mut self,
        t: &Table,
        key: &str,
        default: usize,
        range: RangeInclusive<usize>,
    ) -> usize {
        let Some(item) = t.get(key) else {
            return default;
        };
        match item.as_integer().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if range.contains(&n) => n,
            _ => {
                self.problem(
                    item.span(),
                    &format!(
                        "`{key}` must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                    &format!("the default is {default}"),
                );
                default
            }
        }
    }

    pub(super) fn boolean(&mut self, t: &Table, key: &str, default: bool) -> bool {
        let Some(item) = t.get(key) else {
            return default;
        };
        match item.as_bool() {
            Some(b) => b,
            None => {
                self.problem(
                    item.span(),
                    &format!("`{key}` must be true or false"),
                    &format!("the default is {default}"),
                );
                default
            }
        }
    }

    /// A number in `range`: never NaN or infinite (a `nan` weight made every score NaN,
    /// which no insert takes).
    pub(super) fn number(
        &mut self,
        t: &Table,
        key: &str,
        range: RangeInclusive<f64>,
    ) -> Option<f64> {
        let item = t.get(key)?;
        self.number_in(item, key, range)
    }

    /// [`Reader::number`] of an item already found.
    pub(super) fn number_in(
        &mut self,
        item: &Item,
        key: &str,
        range: RangeInclusive<f64>,
    ) -> Option<f64> {
        let n = as_number(item).filter(|n| range.contains(n));
        if n.is_none() {
            self.problem(
                item.span(),
                &format!(
                    "`{key}` must be a number from {} to {}",
                    range.start(),
                    range.end()
                ),
                "for example 1.5 or -2",
            );
        }
        n
    }

    pub(super) fn string(&mut self, t: &Table, key: &str) -> Option<String> {
        let item = t.get(key)?;
        match item.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.problem(
                    item.span(),
                    &format!("`{key}` must be a string"),
                    "put the value in quotes",
                );
                None
            }
        }
    }

    pub(super) fn required_string(
        &mut self,
        t: &Table,
        key: &str,
        span: Option<Range<usize>>,
        what: &str,
    ) -> Option<String> {
        if t.get(key).is_none() {
            self.problem(
                span,
                &format!("{what} has no `{key}`"),
                &format!("add {key} = \"…\""),
            );
            return None;
        }
        let s = self.string(t, key)?;
        if s.trim().is_empty() {
            self.problem(
                t.get(key).and_then(Item::span),
                &format!("`{key}` is empty"),
                "give it a value",
            );
            return None;
        }
        Some(s)
    }

    pub(super) fn string_list(&mut self, t: &Table, key: &str) -> Option<Vec<String>> {
        let item = t.get(key)?;
        let list = item.as_array().and_then(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        });
        if list.is_none() {
            self.problem(
                item.span(),
                &format!("`{key}` must be a list of strings"),
                "for example [\"a\", \"b\"]",
            );
        }
        list
    }

    pub(super) fn unknown_keys(&mut self, t: &Table, known: &[&str], place: &str) {
        for (key, item) in t.iter() {
            if !known.contains(&key) {
                let span = t.key(key).and_then(|k| k.span()).or_else(|| item.span());
                let hint = match closest(key, known) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!("known keys: {}", known.join(", ")),
                };
                self.problem(span, &format!("unknown key `{key}` in {place}"), &hint);
            }
        }
    }

    pub(super) fn problem(&mut self, span: Option<Range<usize>>, message: &str, hint: &str) {
        let line = span.map(|s| self.line_of(s.start)).unwrap_or(1);
        self.problem_at(line, message, hint);
    }

    /// The 1-based line holding byte `offset`.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    pub(super) fn problem_at(&mut self, line: usize, message: &str, hint: &str) {
        self.problems.push(Problem {
            line,
            message: message.to_owned(),
            hint: hint.to_owned(),
        });
    }
}

pub(super) fn as_number(item: &Item) -> Option<f64> {
    match item.as_value()? {
        Value::Float(f) => Some(*f.value()),
        Value::Integer(i) => Some(*i.value() as f64),
        _ => None,
    }
}

/// The known key nearest to a misspelled one, if it is near enough to be a typo.
pub(super) fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = current;
        }
    }
    row[b.len()]
}
