//! What a rule is: the fields it can match ([`Field`]) and what a match there is worth
//! ([`FieldWeights`]), a `[[rule]]` as configured ([`RuleConfig`]), and rules compiled
//! together ([`RuleSet`]). Config validation checks patterns here; the scorer runs them.

use std::fmt;

use regex_automata::meta;
use regex_automata::{Input, MatchKind, PatternSet};
use serde::{Deserialize, Serialize};

use crate::model::Entry;

/// A part of an entry that rules can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Summary,
    Content,
    /// The article page's main text, when gleaner read it (see `ingest::article`). It
    /// stands in for a full-text feed: a rule that reads `content` reads it too, and
    /// its part here counts only when the rule matched neither the summary nor the
    /// content (see [`crate::score`]).
    Article,
    Url,
    Author,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Title,
        Field::Summary,
        Field::Content,
        Field::Article,
        Field::Url,
        Field::Author,
    ];
    /// Fields a rule matches when it names none.
    pub const SCORED_BY_DEFAULT: [Field; 3] = [Field::Title, Field::Summary, Field::Content];

    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Content => "content",
            Field::Article => "article",
            Field::Url => "url",
            Field::Author => "author",
        }
    }

    pub(super) fn text(self, entry: &Entry) -> &str {
        match self {
            Field::Title => &entry.title,
            Field::Summary => &entry.summary,
            Field::Content => &entry.content,
            Field::Article => &entry.article,
            Field::Url => entry.url.as_deref().unwrap_or(""),
            Field::Author => entry.author.as_deref().unwrap_or(""),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Multipliers applied to a rule's weight depending on where it matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldWeights {
    pub title: f64,
    pub summary: f64,
    pub content: f64,
    /// Like `content` unless set (see `config`).
    pub article: f64,
    pub url: f64,
    pub author: f64,
}

impl FieldWeights {
    pub fn get(&self, field: Field) -> f64 {
        match field {
            Field::Title => self.title,
            Field::Summary => self.summary,
            Field::Content => self.content,
            Field::Article => self.article,
            Field::Url => self.url,
            Field::Author => self.author,
        }
    }
}

impl Default for FieldWeights {
    fn default() -> Self {
        FieldWeights {
            title: 2.0,
            summary: 1.0,
            content: 0.5,
            article: 0.5,
            url: 1.0,
            author: 1.0,
        }
    }
}

/// One `[[rule]]`, its pattern checked to compile (see [`RuleSet::check`]).
#[derive(Debug, Clone)]
pub struct RuleConfig {
    pub name: String,
    pub pattern: String,
    pub weight: f64,
    pub fields: Vec<Field>,
    pub line: usize,
}

/// Each rule's matcher: a fingerprint of what decides where it matches (its name,
/// pattern and fields) and nothing else, so a rescore knows which rules' stored
/// matches still hold ([`crate::score::Scorer::for_rescore`]).
pub fn rule_matchers(rules: &[RuleConfig]) -> Vec<String> {
    rules
        .iter()
        .map(|r| short_sha256([format!("{}\0{}\0{:?}", r.name, r.pattern, r.fields)]))
        .collect()
}

/// The first 16 hex digits of the SHA-256 of `parts`, one after the other.
pub(crate) fn short_sha256(parts: impl IntoIterator<Item = String>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    format!("{:x}", h.finalize())[..16].to_owned()
}

/// Patterns matched together, answering which of them match a text: what
/// `regex::RegexSet` does, built without the literal prefilter `RegexSet` always
/// builds. Extracting literals from the default rules' case-insensitive alternations
/// was most of compiling them: the rule sets took 38 ms with it and 15 ms without
/// (`cargo bench --bench stages`, `compile_rules`), `gleaner check` 21 ms and 9 ms.
/// Overlapping matching reads the whole text anyway: scoring takes as long either way.
pub struct RuleSet(meta::Regex);

impl RuleSet {
    /// The limit on one rule's compiled size (the `regex` crate's default is 10 MiB; a
    /// keyword rule needs far less). A set has none: each of its rules passed this.
    const RULE_SIZE_LIMIT: usize = 1 << 22;

    /// The set of `patterns`, each of which passed [`RuleSet::check`].
    pub fn new<P: AsRef<str>>(patterns: &[P]) -> Result<RuleSet, Box<meta::BuildError>> {
        RuleSet::build(patterns, None)
    }

    /// Whether `pattern` compiles as a rule, or why not in one line.
    pub fn check(pattern: &str) -> Result<(), String> {
        RuleSet::build(&[pattern], Some(Self::RULE_SIZE_LIMIT))
            .map(drop)
            .map_err(|e| {
                if let Some(syntax) = e.syntax_error() {
                    // The parser's message ends with its verdict, after a picture of
                    // the pattern with a caret.
                    let text = syntax.to_string();
                    text.lines().last().unwrap_or("").trim().to_owned()
                } else if let Some(limit) = e.size_limit() {
                    format!("compiled, the pattern would exceed the size limit of {limit} bytes")
                } else {
                    e.to_string()
                }
            })
    }

    fn build<P: AsRef<str>>(
        patterns: &[P],
        size_limit: Option<usize>,
    ) -> Result<RuleSet, Box<meta::BuildError>> {
        meta::Regex::builder()
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::All)
                    .auto_prefilter(false)
                    .nfa_size_limit(size_limit)
                    .utf8_empty(true),
            )
            .build_many(patterns)
            .map(RuleSet)
            .map_err(Box::new)
    }

    /// The patterns (by index) that match somewhere in `text`.
    pub fn matches(&self, text: &str) -> PatternSet {
        let mut found = PatternSet::new(self.0.pattern_len());
        self.0
            .which_overlapping_matches(&Input::new(text), &mut found);
        found
    }
}

/// `pattern` with every `\b` / `\B` made an ASCII word boundary.
pub(super) fn with_ascii_word_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Whether `text` holds a character that is a word character (`\w`) in Unicode but not
/// in ASCII: letters, digits and marks beyond ASCII, connector punctuation, joiners.
/// Errs on the side of `true`: then the patterns run exactly as written.
pub(super) fn has_non_ascii_word_chars(text: &str) -> bool {
    !text.is_ascii()
        && text.chars().any(|c| {
            !c.is_ascii()
                && (c.is_alphanumeric()
                    || matches!(c, '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
                    || matches!(c, '\u{200c}' | '\u{200d}' | '\u{203f}' | '\u{2040}' | '\u{2054}' | '\u{fe33}' | '\u{fe34}' | '\u{fe4d}'..='\u{fe4f}' | '\u{ff3f}'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    #[test]
    fn both_boundary_flavours_agree_wherever_the_fast_one_is_used() {
        let patterns = [
            r"(?i)\bincidents?\b",
            r"\bcafé\b",
            r"\Bage\b",
            r"(?i)\b(on-?call|SLOs?)\b",
            r"a\\b",
        ];
        let texts = [
            "An incident’s “root cause” — explained",
            "the café opened",
            "cafés and incidents",
            "outage at scale",
            "Überincident happened",
            "on-call—SLOs…",
            "e\u{301}incident",
            r"a\b",
        ];
        for p in patterns {
            let unicode = Regex::new(p).unwrap();
            let ascii = Regex::new(&with_ascii_word_boundaries(p)).unwrap();
            for t in texts {
                if !has_non_ascii_word_chars(t) {
                    assert_eq!(ascii.is_match(t), unicode.is_match(t), "{p} on {t}");
                }
            }
        }
        assert!(!has_non_ascii_word_chars("don’t — “quote” …"));
        assert!(has_non_ascii_word_chars("café"));
        assert!(has_non_ascii_word_chars("e\u{301}"));
        assert_eq!(
            with_ascii_word_boundaries(r"\bx\B\\b\d"),
            r"(?-u:\b)x(?-u:\B)\\b\d"
        );
    }
}
