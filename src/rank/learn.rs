//! Learn: the editor's own decisions (picked vs rejected) → a bounded, explained score
//! part that nudges the rules' ranking toward what this editor actually links.
//!
//! The model is a naive Bayes log-count ratio over the words of a post's title and
//! summary and its feed (binary features: a word counts once per post). Each feature's
//! weight is `ln(P(feature | picked) / P(feature | rejected))` with add-one smoothing,
//! and only features seen in at least [`MIN_FEATURE_POSTS`] decided posts take part.
//! A post's evidence is the sum of its features' weights; its points are
//! `max_points × tanh(evidence / EVIDENCE_SCALE)`, so the part can never move a post by
//! more than `max_points` however sure the model is, and the rules still decide most of
//! the order. The part is explained by the features that pushed it most:
//! `learned (retry, kinesis, postmortem) +1.40`.
//!
//! Training is in-process from the database, milliseconds for thousands of decisions,
//! so a command trains it afresh; the review page keeps it per reader until a decision
//! or the config changes (`web::readers`). It stays inactive until there are enough
//! decisions of both kinds (`[learning]`).

use std::collections::{HashMap, HashSet};

pub use crate::model::Example;

use crate::config::LearningConfig;
use crate::score::{Reason, round2};

/// Features must appear in this many decided posts to carry weight: a word seen once
/// is noise, not taste.
pub const MIN_FEATURE_POSTS: u32 = 2;
/// Evidence (summed log ratios) at which the part reaches ~76% of `max_points`.
pub const EVIDENCE_SCALE: f64 = 4.0;
/// The name of the learned part.
pub const LEARNED_RULE: &str = "learned";
/// Features named when explaining a learned part.
const EXPLAINED_FEATURES: usize = 3;

/// Whether the learned part is in use, and why not.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Disabled,
    /// Not enough decisions yet.
    Waiting {
        picked: usize,
        rejected: usize,
        need_each: usize,
    },
    Active {
        picked: usize,
        rejected: usize,
    },
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Disabled => f.write_str("off ([learning] enabled = false)"),
            Status::Waiting {
                picked,
                rejected,
                need_each,
            } => write!(
                f,
                "waiting: {picked} picked and {rejected} rejected posts, needs {need_each} of each"
            ),
            Status::Active { picked, rejected } => write!(
                f,
                "active: trained on {picked} picked and {rejected} rejected posts"
            ),
        }
    }
}

/// A trained model.
#[derive(Debug, Clone)]
pub struct Model {
    weights: HashMap<String, f64>,
    max_points: f64,
}

/// Trains on `examples` when `config` allows and there are enough of both kinds.
pub fn train(examples: &[Example], config: &LearningConfig) -> (Status, Option<Model>) {
    let picked = examples.iter().filter(|e| e.picked).count();
    let rejected = examples.len() - picked;
    if !config.enabled {
        return (Status::Disabled, None);
    }
    if picked < config.min_each || rejected < config.min_each {
        let status = Status::Waiting {
            picked,
            rejected,
            need_each: config.min_each,
        };
        return (status, None);
    }
    let mut counts: HashMap<String, (u32, u32)> = HashMap::new();
    for example in examples {
        for feature in features(&example.feed, &example.title, &example.summary) {
            let slot = counts.entry(feature).or_default();
            if example.picked {
                slot.0 += 1;
            } else {
                slot.1 += 1;
            }
        }
    }
    let (n_picked, n_rejected) = (picked as f64, rejected as f64);
    let weights = counts
        .into_iter()
        .filter(|(_, (p, r))| p + r >= MIN_FEATURE_POSTS)
        .map(|(feature, (p, r))| {
            let in_picked = (f64::from(p) + 1.0) / (n_picked + 2.0);
            let in_rejected = (f64::from(r) + 1.0) / (n_rejected + 2.0);
            (feature, (in_picked / in_rejected).ln())
        })
        .collect();
    let model = Model {
        weights,
        max_points: config.max_points,
    };
    (Status::Active { picked, rejected }, Some(model))
}

impl Model {
    /// The most this part can add or remove.
    pub fn max_points(&self) -> f64 {
        self.max_points
    }

    /// The learned part of a post's score; `None` when no known feature is in it or the
    /// part rounds to zero.
    pub fn part(&self, feed: &str, title: &str, summary: &str) -> Option<Reason> {
        let mut known: Vec<(String, f64)> = features(feed, title, summary)
            .into_iter()
            .filter_map(|f| self.weights.get(&f).map(|&w| (f, w)))
            .collect();
        let evidence: f64 = known.iter().map(|(_, w)| w).sum();
        let points = round2(self.max_points * (evidence / EVIDENCE_SCALE).tanh());
        if points == 0.0 {
            return None;
        }
        // Named: the features that pushed the way the part went, strongest first.
        known.retain(|(_, w)| *w != 0.0 && w.signum() == points.signum());
        known.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        let named: Vec<String> = known
            .into_iter()
            .take(EXPLAINED_FEATURES)
            .map(|(f, _)| f)
            .collect();
        Some(Reason {
            rule: LEARNED_RULE.into(),
            field: named.join(", "),
            points,
        })
    }
}

/// The distinct features of a post: its feed (`feed:NAME`) and the words of its title
/// and summary, lower-cased, without stop words, numbers and one- or two-letter words.
pub fn features(feed: &str, title: &str, summary: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = vec![format!("feed:{feed}")];
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .chain(summary.split(|c: char| !c.is_alphanumeric()))
    {
        if word.chars().count() < 3 || word.chars().all(|c| c.is_numeric()) {
            continue;
        }
        let word = word.to_lowercase();
        if STOP_WORDS.binary_search(&word.as_str()).is_ok() {
            continue;
        }
        if seen.insert(word.clone()) {
            out.push(word);
        }
    }
    out
}

/// English words too common to say anything about a post (sorted, for binary search).
const STOP_WORDS: &[&str] = &[
    "about", "after", "all", "also", "and", "any", "are", "been", "before", "but", "can", "could",
    "did", "does", "each", "for", "from", "had", "has", "have", "how", "into", "its", "just",
    "more", "most", "new", "not", "now", "one", "only", "other", "our", "out", "over", "should",
    "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "through", "use", "used", "using", "was", "way", "were", "what", "when",
    "where", "which", "while", "who", "why", "will", "with", "would", "you", "your",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn config(min_each: usize) -> LearningConfig {
        LearningConfig {
            enabled: true,
            min_each,
            max_points: 3.0,
        }
    }

    fn example(title: &str, picked: bool) -> Example {
        Example {
            feed: "f".into(),
            title: title.into(),
            summary: String::new(),
            picked,
        }
    }

    #[test]
    fn stop_words_are_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn waits_for_enough_decisions_of_each_kind() {
        let few = vec![example("kafka retries", true), example("webinar", false)];
        assert_eq!(
            train(&few, &config(2)).0,
            Status::Waiting {
                picked: 1,
                rejected: 1,
                need_each: 2
            }
        );
        let mut off = config(1);
        off.enabled = false;
        assert!(train(&few, &off).1.is_none());
    }

    #[test]
    fn learns_the_editors_words_bounded_and_explained() {
        let examples = vec![
            example("Kafka consumer lag explained", true),
            example("Kafka rebalancing storms", true),
            example("Tuning kafka brokers", true),
            example("Join our webinar on dashboards", false),
            example("Webinar: dashboards for everyone", false),
            example("Dashboards webinar recap", false),
        ];
        let (status, model) = train(&examples, &config(3));
        assert_eq!(
            status,
            Status::Active {
                picked: 3,
                rejected: 3
            }
        );
        let model = model.unwrap();
        let up = model.part("f", "Kafka partitions", "").unwrap();
        assert!(up.points > 0.0 && up.points <= 3.0, "{up:?}");
        assert_eq!(up.field, "kafka");
        let down = model
            .part("f", "webinar webinar dashboards", "dashboards webinar")
            .unwrap();
        assert!(down.points < 0.0 && down.points >= -3.0, "{down:?}");
        assert!(down.field.contains("webinar") && down.field.contains("dashboards"));
        assert_eq!(
            model.part("other", "Something unrelated entirely", ""),
            None
        );
    }

    #[test]
    fn features_are_distinct_words_and_the_feed() {
        assert_eq!(
            features("Blog", "The Retry-storm: retry 2024", "RETRY at scale"),
            ["feed:Blog", "retry", "storm", "scale"]
        );
    }
}
