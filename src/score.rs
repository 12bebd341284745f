//! Score: an [`Entry`]'s plain text + the compiled rules → a [`Score`] made of named parts.
//!
//! Rule semantics, in the order they apply:
//! 1. Every `[[rule]]` is a regex tried against each field it lists (`title`, `summary`,
//!    `content`, `url`, `author`; default: title, summary, content). Fields hold plain
//!    text: HTML tags, scripts, styles and entities were removed by normalize, so they
//!    can never match.
//! 2. A rule counts **once per field**, however often it matches there; its points in
//!    that field are `weight × field_weight` (`[settings.field_weights]`, by default a
//!    title match is worth 2×, a summary match 1×, a content match 0.5×).
//! 3. Negative weights subtract the same way (launches, webinars, hiring…).
//! 4. The feed's `boost`, when non-zero, is one more part (`rule = "boost"`, `field = "feed"`).
//! 5. A story carried by several feeds gets a `sources` part (see [`sources_part`]); the
//!    store adds it, as only the store knows how many feeds carried a story.
//! 6. The total is the sum of the parts (lists add one more, the bounded `learned` part
//!    of [`crate::learn`], itself a named part); nothing else contributes, so every number shown
//!    to the editor is explained by its parts.
//!
//! Patterns are compiled once per config into one [`RuleSet`] per field, so scoring an
//! entry is one pass over each field whatever the number of rules. Which rule matched
//! which field is stored with the score, so after an edit only new and edited rules
//! need the text again ([`Scorer::for_rescore`]).

use std::fmt;

use regex_automata::meta;
use regex_automata::{Input, MatchKind, PatternSet};
use serde::{Deserialize, Serialize};

use crate::config::{Config, FieldWeights, RuleConfig};
use crate::normalize::Entry;

/// A part of an entry that rules can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Summary,
    Content,
    Url,
    Author,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Title,
        Field::Summary,
        Field::Content,
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
            Field::Url => "url",
            Field::Author => "author",
        }
    }

    fn text(self, entry: &Entry) -> &str {
        match self {
            Field::Title => &entry.title,
            Field::Summary => &entry.summary,
            Field::Content => &entry.content,
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

/// One named contribution to a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub rule: String,
    /// Where a rule matched: `title`, `summary`, `content`, `url`, `author`, or `feed`
    /// for a boost. Parts added when a list is read say what they come from instead:
    /// `3 feeds` for `sources`, the deciding words for `learned` (see `shortlist`).
    pub field: String,
    pub points: f64,
}

/// A total and the parts it is the sum of.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Score {
    pub total: f64,
    pub reasons: Vec<Reason>,
}

impl Score {
    fn from_reasons(reasons: Vec<Reason>) -> Score {
        // Rounded so that totals printed with two decimals add up exactly.
        let total = round2(reasons.iter().map(|r| r.points).sum());
        Score { total, reasons }
    }

    /// `incident (title) +6.00, boost (feed) +1.00`
    pub fn summary_line(&self) -> String {
        reasons_line(&self.reasons)
    }
}

/// The `sources` part of a story carried by `sources` feeds: `points` for each feed
/// beyond the first, counting at most [`crate::config::MAX_COUNTED_SOURCES`] of them.
pub fn sources_part(sources: usize, points: f64) -> Option<Reason> {
    let extra = sources
        .saturating_sub(1)
        .min(crate::config::MAX_COUNTED_SOURCES);
    let points = round2(points * extra as f64);
    (points != 0.0).then(|| Reason {
        rule: SOURCES_RULE.into(),
        field: format!("{sources} feeds"),
        points,
    })
}

/// The name of the [`sources_part`].
pub const SOURCES_RULE: &str = "sources";

impl Score {
    /// This score with one more part, the total summed again.
    pub fn plus(mut self, part: Reason) -> Score {
        self.reasons.push(part);
        Score::from_reasons(self.reasons)
    }

    /// This score with its `sources` part for a story carried by `sources` feeds (any
    /// previous `sources` part replaced).
    pub fn with_sources(mut self, sources: usize, points: f64) -> Score {
        self.reasons.retain(|r| r.rule != SOURCES_RULE);
        self.reasons.extend(sources_part(sources, points));
        Score::from_reasons(self.reasons)
    }
}

/// Parts on one line, as every output shows them: `incident (title) +6.00, …`.
pub fn reasons_line(reasons: &[Reason]) -> String {
    if reasons.is_empty() {
        return "no rule matched".into();
    }
    reasons
        .iter()
        .map(|r| format!("{} ({}) {:+.2}", r.rule, r.field, r.points))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The rules of one config, compiled for scoring.
pub struct Scorer {
    /// The rules matched against text, by field (for a rescore, only those whose
    /// stored matches cannot be reused: see [`Scorer::for_rescore`]).
    per_field: Vec<FieldRules>,
    rules: Vec<(String, f64)>,
    /// Each rule's index in `rules` by name, to find the rule of a stored part.
    index_of: std::collections::HashMap<String, usize>,
    /// Per rule, whether its matches are taken from the stored parts (re-weighed)
    /// rather than from the text.
    reuses_stored: Vec<bool>,
    weights: FieldWeights,
}

/// The rules that look at one field, as one [`RuleSet`] in two flavours.
///
/// A Unicode `\b` keeps the regex engine off its fast DFA (scoring the benchmark farm
/// took 0.4 ms per entry instead of 7 µs). An ASCII `\b` gives the very same answer
/// on any text without non-ASCII *word* characters (curly quotes and dashes are not
/// word characters), so that text, nearly all English prose, is matched with `\b`
/// rewritten to `(?-u:\b)`, and only text with é, ö, 漢… uses the patterns as written.
struct FieldRules {
    field: Field,
    ascii_boundaries: RuleSet,
    /// Compiled on first need: most polls never see a non-ASCII word character, and
    /// compiling patterns is most of gleaner's start-up time.
    as_written: std::sync::OnceLock<RuleSet>,
    patterns: Vec<String>,
    /// Index into `Scorer::rules` of each pattern in the sets.
    members: Vec<usize>,
}

/// A part with the order it is shown in: its rule's index, then its field's.
type OrderedPart = ((usize, usize), Reason);

impl Scorer {
    pub fn new(config: &Config) -> Scorer {
        Scorer::from_rules(&config.rules, config.settings.field_weights)
    }

    pub fn from_rules(rules: &[RuleConfig], weights: FieldWeights) -> Scorer {
        Scorer::build(rules, weights, vec![false; rules.len()])
    }

    /// A scorer for entries whose parts were stored by rules whose matchers (see
    /// [`rule_matchers`]) are `stored_matchers`. A rule among them matches where it
    /// matched then, since where a rule matches depends on its name, pattern and
    /// fields alone: its stored parts are re-weighed. Only the other rules (new or
    /// edited) are matched against text ([`Scorer::rescore`]).
    pub fn for_rescore(
        rules: &[RuleConfig],
        weights: FieldWeights,
        stored_matchers: &std::collections::HashSet<&str>,
    ) -> Scorer {
        let reuses_stored = rule_matchers(rules)
            .iter()
            .map(|m| stored_matchers.contains(m.as_str()))
            .collect();
        Scorer::build(rules, weights, reuses_stored)
    }

    fn build(rules: &[RuleConfig], weights: FieldWeights, reuses_stored: Vec<bool>) -> Scorer {
        let per_field = Field::ALL
            .into_iter()
            .filter_map(|field| {
                let members: Vec<usize> = (0..rules.len())
                    .filter(|&i| !reuses_stored[i] && rules[i].fields.contains(&field))
                    .collect();
                if members.is_empty() {
                    return None;
                }
                let patterns: Vec<String> =
                    members.iter().map(|&i| rules[i].pattern.clone()).collect();
                Some(FieldRules {
                    field,
                    ascii_boundaries: RuleSet::new(
                        &patterns
                            .iter()
                            .map(|p| with_ascii_word_boundaries(p))
                            .collect::<Vec<_>>(),
                    )
                    .expect("an ASCII word boundary is valid wherever a Unicode one is"),
                    as_written: std::sync::OnceLock::new(),
                    patterns,
                    members,
                })
            })
            .collect();
        Scorer {
            per_field,
            rules: rules.iter().map(|r| (r.name.clone(), r.weight)).collect(),
            index_of: (0..rules.len())
                .map(|i| (rules[i].name.clone(), i))
                .collect(),
            reuses_stored,
            weights,
        }
    }

    /// Scores an entry; `boost` is its feed's boost.
    pub fn score(&self, entry: &Entry, boost: f64) -> Score {
        in_order(self.text_matches(entry), boost)
    }

    /// The score [`Scorer::score`] gives an entry, from the parts stored when it was
    /// last scored and its text; `entry` need only hold the fields
    /// [`Scorer::matched_fields`] names. A stored part of a rule that reuses its
    /// matches gets its points from today's weights; stored parts of rules since
    /// edited or removed, and the stored `boost` and `sources` parts, are dropped; the
    /// boost is today's (the caller adds `sources`).
    pub fn rescore(&self, stored: &[Reason], entry: &Entry, boost: f64) -> Score {
        let mut parts = self.text_matches(entry);
        parts.extend(stored.iter().filter_map(|part| {
            // Only a rule part names a field; boost says `feed`, sources `3 feeds`.
            let field = Field::parse(&part.field)?;
            let rule = *self.index_of.get(&part.rule)?;
            self.reuses_stored[rule].then(|| ((rule, field as usize), self.part(rule, field)))
        }));
        in_order(parts, boost)
    }

    /// The fields the rules matched against text look at: what a rescore reads.
    pub fn matched_fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.per_field.iter().map(|rules| rules.field)
    }

    /// Whether any rule reuses its stored matches: if none does, [`Scorer::rescore`]
    /// needs no stored parts.
    pub fn reuses_stored_matches(&self) -> bool {
        self.reuses_stored.contains(&true)
    }

    /// How many rules are matched against text rather than reusing stored matches.
    pub fn rules_matched(&self) -> usize {
        self.reuses_stored.iter().filter(|&&reused| !reused).count()
    }

    /// How many rules there are.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The parts of the rules matched against `entry`'s text.
    fn text_matches(&self, entry: &Entry) -> Vec<OrderedPart> {
        let mut hits = Vec::new();
        for rules in &self.per_field {
            let text = rules.field.text(entry);
            if text.is_empty() {
                continue;
            }
            let set = if has_non_ascii_word_chars(text) {
                rules.as_written.get_or_init(|| {
                    RuleSet::new(&rules.patterns)
                        .expect("each pattern was compiled once already by config validation")
                })
            } else {
                &rules.ascii_boundaries
            };
            for hit in set.matches(text).iter() {
                let rule = rules.members[hit];
                hits.push(((rule, rules.field as usize), self.part(rule, rules.field)));
            }
        }
        hits
    }

    /// The part of rule `rule` matching in `field`.
    fn part(&self, rule: usize, field: Field) -> Reason {
        let (name, weight) = &self.rules[rule];
        Reason {
            rule: name.clone(),
            field: field.as_str().into(),
            points: round2(weight * self.weights.get(field)),
        }
    }

    /// A fingerprint of everything that affects scores (patterns, weights, field
    /// weights), so stored scores can be known to be stale.
    pub fn fingerprint(config: &Config) -> String {
        let rules = config
            .rules
            .iter()
            .map(|r| format!("{}\0{}\0{}\0{:?}\n", r.name, r.pattern, r.weight, r.fields));
        let boosts = config
            .feeds
            .iter()
            .map(|f| format!("{}\0{}\n", f.name, f.boost));
        let settings = [
            format!("{:?}", config.settings.field_weights),
            format!("sources {}", config.settings.source_points),
        ];
        short_sha256(rules.chain(boosts).chain(settings))
    }
}

/// Each rule's matcher: a fingerprint of what decides where it matches (its name,
/// pattern and fields) and nothing else, so a rescore knows which rules' stored
/// matches still hold ([`Scorer::for_rescore`]).
pub fn rule_matchers(rules: &[RuleConfig]) -> Vec<String> {
    rules
        .iter()
        .map(|r| short_sha256([format!("{}\0{}\0{:?}", r.name, r.pattern, r.fields)]))
        .collect()
}

/// The score of these parts, put in the order the editor wrote the rules (then the
/// fields) in, with the feed's boost.
fn in_order(mut parts: Vec<OrderedPart>, boost: f64) -> Score {
    parts.sort_by_key(|(order, _)| *order);
    with_boost(parts.into_iter().map(|(_, part)| part).collect(), boost)
}

/// The first 16 hex digits of the SHA-256 of `parts`, one after the other.
fn short_sha256(parts: impl IntoIterator<Item = String>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    format!("{:x}", h.finalize())[..16].to_owned()
}

/// The score of these rule parts and the feed's boost, a part of its own when non-zero.
fn with_boost(mut reasons: Vec<Reason>, boost: f64) -> Score {
    if boost != 0.0 {
        reasons.push(Reason {
            rule: "boost".into(),
            field: "feed".into(),
            points: boost,
        });
    }
    Score::from_reasons(reasons)
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
fn with_ascii_word_boundaries(pattern: &str) -> String {
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
fn has_non_ascii_word_chars(text: &str) -> bool {
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

    #[test]
    fn non_ascii_keywords_still_match_with_unicode_boundaries() {
        let rules = [rule("fr", r"(?i)\béchec\b", 1.0, &[Field::Title])];
        let scorer = Scorer::from_rules(&rules, FieldWeights::default());
        assert_eq!(
            scorer.score(&entry("Un échec total", "", ""), 0.0).total,
            2.0
        );
        assert_eq!(scorer.score(&entry("Unéchec", "", ""), 0.0).total, 0.0);
    }

    fn rule(name: &str, pattern: &str, weight: f64, fields: &[Field]) -> RuleConfig {
        RuleConfig {
            name: name.into(),
            pattern: pattern.into(),
            weight,
            fields: fields.to_vec(),
            line: 1,
        }
    }

    fn entry(title: &str, summary: &str, content: &str) -> Entry {
        Entry {
            title: title.into(),
            summary: summary.into(),
            content: content.into(),
            ..Entry::default()
        }
    }

    #[test]
    fn a_rule_counts_once_per_field_weighted_by_field() {
        let rules = [rule(
            "incident",
            r"(?i)\bincidents?\b",
            3.0,
            &Field::SCORED_BY_DEFAULT,
        )];
        let scorer = Scorer::from_rules(&rules, FieldWeights::default());
        let cases = [
            (entry("Incident review", "", ""), 6.0, vec!["title"]),
            (
                entry("x", "an incident, another incident", ""),
                3.0,
                vec!["summary"],
            ),
            (
                entry("Incident", "incident", "incidents everywhere"),
                10.5,
                vec!["title", "summary", "content"],
            ),
            (entry("coincidental", "", ""), 0.0, vec![]),
        ];
        for (e, total, fields) in cases {
            let s = scorer.score(&e, 0.0);
            assert_eq!(s.total, total, "{e:?}");
            let got: Vec<&str> = s.reasons.iter().map(|r| r.field.as_str()).collect();
            assert_eq!(got, fields);
        }
    }

    #[test]
    fn negative_rules_and_boost_are_parts_of_the_sum() {
        let rules = [
            rule("outage", r"(?i)outage", 3.0, &[Field::Title]),
            rule(
                "webinar",
                r"(?i)webinar",
                -4.0,
                &[Field::Title, Field::Summary],
            ),
        ];
        let scorer = Scorer::from_rules(&rules, FieldWeights::default());
        let s = scorer.score(&entry("Outage webinar", "join our webinar", ""), 1.5);
        assert_eq!(s.total, 6.0 - 8.0 - 4.0 + 1.5);
        assert_eq!(
            s.summary_line(),
            "outage (title) +6.00, webinar (title) -8.00, webinar (summary) -4.00, boost (feed) +1.50"
        );
        let sum: f64 = s.reasons.iter().map(|r| r.points).sum();
        assert_eq!(round2(sum), s.total);
    }

    /// Stored parts rescored with new weights, new and edited rules, a removed rule
    /// and the rules reordered give what scoring the text gives, though the text the
    /// rescore sees holds only the fields the rules it matches again look at.
    #[test]
    fn rescoring_stored_parts_gives_what_scoring_the_text_gives() {
        let outage = |w| rule("outage", r"(?i)\boutage", w, &Field::SCORED_BY_DEFAULT);
        let webinar = |w| rule("webinar", "(?i)webinar", w, &[Field::Title, Field::Url]);
        let before_rules = [
            outage(3.0),
            webinar(-2.0),
            rule("gone", "(?i)again", 1.0, &[Field::Content]),
            rule("edited", "(?i)nothing", 1.0, &[Field::Title]),
        ];
        let before = Scorer::from_rules(&before_rules, FieldWeights::default());
        let stored_matchers = rule_matchers(&before_rules);
        let weights = FieldWeights {
            title: 2.5,
            content: 0.0,
            ..FieldWeights::default()
        };
        let reweighed = [webinar(-4.0), outage(1.5)];
        let edited = [
            rule("edited", "(?i)outage", 2.0, &[Field::Title]),
            rule("new", "(?i)webinar", 0.5, &[Field::Url]),
            webinar(-4.0),
            outage(1.5),
        ];
        let mut both = entry("Outage webinar", "an outage", "outage again");
        both.url = Some("https://x.example/webinar".into());
        let entries = [
            (both, 1.0, 0.0),
            (entry("nothing", "", ""), 0.0, 2.0),
            (entry("outage", "", ""), 0.5, 0.5),
        ];
        for (after_rules, matched) in [(&reweighed[..], 0), (&edited[..], 2)] {
            let after = Scorer::from_rules(after_rules, weights);
            let matchers = stored_matchers.iter().map(String::as_str).collect();
            let rescorer = Scorer::for_rescore(after_rules, weights, &matchers);
            assert_eq!(rescorer.rules_matched(), matched);
            let fields: Vec<Field> = rescorer.matched_fields().collect();
            for (e, old_boost, new_boost) in &entries {
                let stored = before.score(e, *old_boost).with_sources(3, 1.0);
                // Only the fields the rescore reads.
                let mut read = Entry::default();
                if fields.contains(&Field::Title) {
                    read.title = e.title.clone();
                }
                if fields.contains(&Field::Url) {
                    read.url = e.url.clone();
                }
                assert!(
                    fields
                        .iter()
                        .all(|f| [Field::Title, Field::Url].contains(f))
                );
                assert_eq!(
                    rescorer
                        .rescore(&stored.reasons, &read, *new_boost)
                        .with_sources(3, 1.0),
                    after.score(e, *new_boost).with_sources(3, 1.0),
                    "{e:?}"
                );
            }
        }
    }

    #[test]
    fn url_and_author_fields_only_when_asked() {
        let rules = [rule("pm", r"postmortem", 2.0, &[Field::Url])];
        let scorer = Scorer::from_rules(&rules, FieldWeights::default());
        let mut e = entry("postmortem", "", "");
        assert_eq!(scorer.score(&e, 0.0).total, 0.0);
        e.url = Some("https://x.example/postmortem-2024".into());
        assert_eq!(scorer.score(&e, 0.0).total, 2.0);
    }
}
