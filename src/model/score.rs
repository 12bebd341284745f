//! What a score is made of: named parts ([`Reason`]) and their sum ([`Score`]), and the
//! `sources` part a story carried by several feeds gets.

use serde::{Deserialize, Serialize};

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
    pub fn from_reasons(reasons: Vec<Reason>) -> Score {
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
/// beyond the first, counting at most [`MAX_COUNTED_SOURCES`] of them.
pub fn sources_part(sources: usize, points: f64) -> Option<Reason> {
    let extra = sources.saturating_sub(1).min(MAX_COUNTED_SOURCES);
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

/// Feeds beyond the first that `source_points` counts for a story.
pub const MAX_COUNTED_SOURCES: usize = 3;
