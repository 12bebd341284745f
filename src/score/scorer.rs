//! The scorer: the rules of one config compiled once, per field, into one
//! [`RuleSet`] each, so scoring an entry is one pass over each field whatever the number
//! of rules; and re-scoring from stored parts, where a rule's matches still hold.

use super::rules::{
    Field, FieldWeights, RuleConfig, RuleSet, has_non_ascii_word_chars, rule_matchers,
    with_ascii_word_boundaries,
};
use crate::model::score::round2;
use crate::model::{Entry, Reason, Score};

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
    /// Compiled with the scorer, except the article's: only a poll's article pass has
    /// article text, and its rules (those of `content` again) took a poll that reads
    /// no page 1 MiB more memory.
    ascii_boundaries: std::sync::OnceLock<RuleSet>,
    /// Compiled on first need: most polls never see a non-ASCII word character, and
    /// compiling patterns is most of gleaner's start-up time.
    as_written: std::sync::OnceLock<RuleSet>,
    patterns: Vec<String>,
    /// Index into `Scorer::rules` of each pattern in the sets.
    members: Vec<usize>,
}

impl FieldRules {
    /// The rules with ASCII word boundaries (see above), compiled on first need.
    fn ascii(&self) -> &RuleSet {
        self.ascii_boundaries.get_or_init(|| {
            let patterns: Vec<String> = self
                .patterns
                .iter()
                .map(|p| with_ascii_word_boundaries(p))
                .collect();
            RuleSet::new(&patterns)
                .expect("an ASCII word boundary is valid wherever a Unicode one is")
        })
    }
}

/// A part with the order it is shown in: its rule's index, then its field's.
type OrderedPart = ((usize, usize), Reason);

impl Scorer {
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
                    .filter(|&i| !reuses_stored[i] && reads(&rules[i], field))
                    .collect();
                if members.is_empty() {
                    return None;
                }
                let patterns: Vec<String> =
                    members.iter().map(|&i| rules[i].pattern.clone()).collect();
                let rules = FieldRules {
                    field,
                    ascii_boundaries: std::sync::OnceLock::new(),
                    as_written: std::sync::OnceLock::new(),
                    patterns,
                    members,
                };
                if field != Field::Article {
                    rules.ascii();
                }
                Some(rules)
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
                rules.ascii()
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
}

/// Whether `rule` is matched against `field`: the fields it lists, and the article
/// wherever it lists `content` (the article stands in for a full-text feed).
fn reads(rule: &RuleConfig, field: Field) -> bool {
    rule.fields.contains(&field)
        || (field == Field::Article && rule.fields.contains(&Field::Content))
}

/// The score of these parts, put in the order the editor wrote the rules (then the
/// fields) in, with the feed's boost. The article stands in for the feed's text and
/// never adds to it: a rule's article part goes when the rule matched the summary or
/// the content (a full-text RSS feed carries its text in either), so reading a page
/// never scores a post above the same post from a full-text feed. (The feed's text
/// first whatever the weights: then a stored article part always means the rule
/// matched neither, and re-weighing stored parts stays exact.)
fn in_order(mut parts: Vec<OrderedPart>, boost: f64) -> Score {
    parts.sort_by_key(|(order, _)| *order);
    let feed_text = [Field::Summary as usize, Field::Content as usize];
    let mut kept: Vec<OrderedPart> = Vec::with_capacity(parts.len());
    for part in parts {
        let ((rule, field), _) = part;
        // Sorted by rule, then field: the rule's summary and content parts are the
        // ones just before.
        let twice = field == Field::Article as usize
            && kept
                .iter()
                .rev()
                .take_while(|((r, _), _)| *r == rule)
                .any(|((_, f), _)| feed_text.contains(f));
        if !twice {
            kept.push(part);
        }
    }
    with_boost(kept.into_iter().map(|(_, part)| part).collect(), boost)
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The article is read by every rule that reads `content`, and counts only for a
    /// rule that matched neither the summary nor the content: a teaser plus its
    /// article never outscores the full text.
    #[test]
    fn the_article_stands_in_for_the_feed_text_and_never_adds_to_it() {
        let rules = [
            rule("outage", r"(?i)\boutage", 3.0, &Field::SCORED_BY_DEFAULT),
            rule("retries", r"(?i)\bretries", 2.0, &[Field::Content]),
            rule("page", r"(?i)\bpostmortem", 1.0, &[Field::Article]),
            rule("head", r"(?i)\bretries", 1.0, &[Field::Title]),
        ];
        let scorer = Scorer::from_rules(&rules, FieldWeights::default());
        let full = "An outage: retries piled up. The postmortem follows.";
        let mut teaser = entry("x", "", "An outage.");
        teaser.article = full.into();
        let full_text = entry("x", "", full);
        let s = scorer.score(&teaser, 0.0);
        assert_eq!(
            s.summary_line(),
            "outage (content) +1.50, retries (article) +1.00, page (article) +0.50"
        );
        // The full text does not match `page` (article only): the article may add
        // only what a rule asks of the article itself.
        assert_eq!(scorer.score(&full_text, 0.0).total, 2.5);
        let mut both = full_text.clone();
        both.article = full.into();
        assert_eq!(
            scorer.score(&both, 0.0).summary_line(),
            "outage (content) +1.50, retries (content) +1.00, page (article) +0.50"
        );
        // Full text in the summary (an RSS description) counts the same way.
        let mut in_summary = entry("x", full, "");
        in_summary.article = full.into();
        assert_eq!(
            scorer.score(&in_summary, 0.0).summary_line(),
            "outage (summary) +3.00, retries (article) +1.00, page (article) +0.50"
        );
        // Stored parts re-weighed give the same as the text.
        let weights = FieldWeights {
            article: 2.0,
            ..FieldWeights::default()
        };
        let matchers = rule_matchers(&rules);
        let matchers = matchers.iter().map(String::as_str).collect();
        let rescorer = Scorer::for_rescore(&rules, weights, &matchers);
        assert_eq!(
            rescorer.rescore(&s.reasons, &Entry::default(), 0.0),
            Scorer::from_rules(&rules, weights).score(&teaser, 0.0)
        );
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
}
