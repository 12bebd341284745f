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
//! 5. The total is the sum of the parts; nothing else contributes, so every number shown
//!    to the editor is explained by its parts.
//!
//! Patterns are compiled once per config into one `RegexSet` per field, so scoring an
//! entry is one pass over each field whatever the number of rules.

use std::fmt;

use regex::RegexSet;
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
    /// `title`, `summary`, `content`, `url`, `author`, or `feed` for a boost.
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
        if self.reasons.is_empty() {
            return "no rule matched".into();
        }
        self.reasons
            .iter()
            .map(|r| format!("{} ({}) {:+.2}", r.rule, r.field, r.points))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The rules of one config, compiled for scoring.
pub struct Scorer {
    /// Per field: the set of patterns of the rules that look at it, and those rules.
    per_field: Vec<(Field, RegexSet, Vec<usize>)>,
    rules: Vec<(String, f64)>,
    weights: FieldWeights,
}

impl Scorer {
    pub fn new(config: &Config) -> Scorer {
        Scorer::from_rules(&config.rules, config.settings.field_weights)
    }

    pub fn from_rules(rules: &[RuleConfig], weights: FieldWeights) -> Scorer {
        let per_field = Field::ALL
            .into_iter()
            .filter_map(|field| {
                let members: Vec<usize> = (0..rules.len())
                    .filter(|&i| rules[i].fields.contains(&field))
                    .collect();
                if members.is_empty() {
                    return None;
                }
                let set = RegexSet::new(members.iter().map(|&i| rules[i].pattern.as_str()))
                    .expect("each pattern was compiled once already by config validation");
                Some((field, set, members))
            })
            .collect();
        Scorer {
            per_field,
            rules: rules.iter().map(|r| (r.name.clone(), r.weight)).collect(),
            weights,
        }
    }

    /// Scores an entry; `boost` is its feed's boost.
    pub fn score(&self, entry: &Entry, boost: f64) -> Score {
        let mut reasons = Vec::new();
        for (field, set, members) in &self.per_field {
            let text = field.text(entry);
            if text.is_empty() {
                continue;
            }
            for hit in set.matches(text).iter() {
                let (name, weight) = &self.rules[members[hit]];
                reasons.push(Reason {
                    rule: name.clone(),
                    field: field.as_str().into(),
                    points: round2(weight * self.weights.get(*field)),
                });
            }
        }
        // Rule order, then field order: the order the editor wrote them in.
        reasons.sort_by_key(|r| {
            let rule = self
                .rules
                .iter()
                .position(|(n, _)| *n == r.rule)
                .unwrap_or(usize::MAX);
            let field = Field::parse(&r.field)
                .map(|f| f as usize)
                .unwrap_or(usize::MAX);
            (rule, field)
        });
        if boost != 0.0 {
            reasons.push(Reason {
                rule: "boost".into(),
                field: "feed".into(),
                points: boost,
            });
        }
        Score::from_reasons(reasons)
    }

    /// A fingerprint of everything that affects scores (patterns, weights, field
    /// weights), so stored scores can be known to be stale.
    pub fn fingerprint(config: &Config) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for r in &config.rules {
            h.update(format!(
                "{}\0{}\0{}\0{:?}\n",
                r.name,
                r.pattern.as_str(),
                r.weight,
                r.fields
            ));
        }
        for f in &config.feeds {
            h.update(format!("{}\0{}\n", f.name, f.boost));
        }
        h.update(format!("{:?}", config.settings.field_weights));
        format!("{:x}", h.finalize())[..16].to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn rule(name: &str, pattern: &str, weight: f64, fields: &[Field]) -> RuleConfig {
        RuleConfig {
            name: name.into(),
            pattern: Regex::new(pattern).unwrap(),
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
