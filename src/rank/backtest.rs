//! Backtest: how well the current rules rank posts an editor picked above the ones
//! they did not. Pure functions over labelled entries scored by the real scorer.
//!
//! Labelled entries come from a labels file (`--labels`, the shape of
//! `../shared/eval/dev.jsonl`) or from the editor's own decisions in the store (picked
//! vs rejected, grouped by the week decided in). On decisions, [`time_split`] also
//! compares rules alone with rules + the learned part, training for each later week
//! only on the weeks before it, as the part would have been in use.
//!
//! Entries are ranked by score, best first, and **ties rank pessimistically**: among
//! equal scores the not-picked entries come first, so a rule set cannot look good by
//! giving everything the same score. Per group (a newsletter issue or week) and over
//! all entries pooled, it reports
//! - R-precision: the share of picked entries among the top R, R = number picked;
//! - average precision: the mean of the precision at each picked entry's rank;
//! - recall at k: the share of picked entries in the top k (k = `shortlist_size`).

use serde::{Deserialize, Serialize};

use crate::ingest::normalize::{Entry, canonical_url};
use crate::render::{counted, two_places};
use crate::score::{Score, Scorer};
use crate::store::{Decision, StoredPost};

/// One line of a labels file (the shape of `../shared/eval/dev.jsonl`).
#[derive(Debug, Clone, Deserialize)]
pub struct LabelRow {
    pub label: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub org: Option<String>,
    #[serde(default)]
    pub issue: Option<i64>,
    #[serde(default)]
    pub week_of: Option<String>,
    #[serde(default)]
    pub week_of_estimated: Option<String>,
    #[serde(default)]
    pub week: Option<String>,
}

/// A labelled entry, ready to score.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub group: String,
    pub picked: bool,
    pub entry: Entry,
    pub org: Option<String>,
}

/// Reads a labels file: one JSON object a line; a bad line is an error naming it.
pub fn parse_labels(text: &str) -> Result<Vec<Labelled>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: LabelRow =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let picked = match row.label.as_str() {
            "picked" => true,
            "not_picked" | "rejected" => false,
            other => {
                return Err(format!(
                    "line {}: label `{other}` is neither picked nor not_picked",
                    i + 1
                ));
            }
        };
        // By week, so picked and not-picked posts of the same week meet; the issue
        // number only where no week is known.
        let group = match (
            row.week.or(row.week_of).or(row.week_of_estimated),
            row.issue,
        ) {
            (Some(week), _) => week,
            (None, Some(issue)) => format!("issue {issue}"),
            (None, None) => "unknown".into(),
        };
        // The same path as a polled entry: markup and entities become plain text.
        let entry = Entry {
            item_key: String::new(),
            url: row.url.as_deref().and_then(canonical_url),
            title: crate::ingest::html::to_text(
                row.title.as_deref().unwrap_or(""),
                crate::ingest::normalize::MAX_TITLE,
            ),
            summary: crate::ingest::html::to_text(
                row.summary.as_deref().unwrap_or(""),
                crate::ingest::normalize::MAX_SUMMARY,
            ),
            content: String::new(),
            article: String::new(),
            author: row.author.filter(|a| !a.trim().is_empty()),
            published: None,
            updated: None,
        };
        out.push(Labelled {
            group,
            picked,
            entry,
            org: row.org,
        });
    }
    Ok(out)
}

/// A decided post as a labelled entry of the week it was decided in.
pub fn labelled_decision(post: &StoredPost, decision: &Decision) -> Labelled {
    Labelled {
        group: decision.week.clone(),
        picked: decision.state == crate::model::Verdict::Pick.state(),
        entry: Entry {
            url: post.url.clone(),
            title: post.title.clone(),
            summary: post.summary.clone(),
            content: post.content.clone(),
            // Scored as the store scored it: an aggregator's link counts by its page.
            article: post.article_text.clone(),
            author: post.author.clone(),
            ..Entry::default()
        },
        org: None,
    }
}

/// Rules alone and rules + learned, on the latest weeks of decisions.
#[derive(Debug, Clone, Serialize)]
pub struct SplitReport {
    /// Weeks only trained on, and weeks tested (each also trained on before it).
    pub train_weeks: Vec<String>,
    pub test_weeks: Vec<String>,
    pub rules: Report,
    pub rules_and_learned: Report,
    /// Test weeks in which the learned part was in use (enough decisions before them).
    pub weeks_learned_active: usize,
}

/// Compares rules alone with rules + learned on a time split of decided posts: for
/// each test week, the model is trained on the decisions of all earlier weeks only.
/// `rule_scores[i]` is entry `i`'s score under the rules (stored-score parts included)
/// and `examples[i]` what the model sees of it.
pub fn time_split(
    labelled: &[Labelled],
    rule_scores: &[Score],
    examples: &[crate::rank::learn::Example],
    learning: &crate::config::LearningConfig,
    test_weeks: Option<usize>,
    k: usize,
) -> Option<SplitReport> {
    let mut weeks: Vec<&str> = labelled.iter().map(|l| l.group.as_str()).collect();
    weeks.sort();
    weeks.dedup();
    if weeks.len() < 2 {
        return None;
    }
    // By default the last third is tested: enough weeks before it to learn from.
    let test_weeks = test_weeks
        .unwrap_or(weeks.len() / 3)
        .clamp(1, weeks.len() - 1);
    let (train, test) = weeks.split_at(weeks.len() - test_weeks);
    let mut tested = Vec::new();
    let mut rules = Vec::new();
    let mut combined = Vec::new();
    let mut weeks_learned_active = 0;
    for week in test {
        let history: Vec<crate::rank::learn::Example> = labelled
            .iter()
            .zip(examples)
            .filter(|(l, _)| l.group.as_str() < *week)
            .map(|(_, e)| e.clone())
            .collect();
        let (_, model) = crate::rank::learn::train(&history, learning);
        weeks_learned_active += usize::from(model.is_some());
        for (i, l) in labelled
            .iter()
            .enumerate()
            .filter(|(_, l)| l.group == *week)
        {
            let score = rule_scores[i].clone();
            tested.push(l.clone());
            rules.push(score.clone());
            let e = &examples[i];
            combined.push(
                match model
                    .as_ref()
                    .and_then(|m| m.part(&e.feed, &e.title, &e.summary))
                {
                    Some(part) => score.plus(part),
                    None => score,
                },
            );
        }
    }
    Some(SplitReport {
        train_weeks: train.iter().map(|w| w.to_string()).collect(),
        test_weeks: test.iter().map(|w| w.to_string()).collect(),
        rules: run(&tested, &rules, k),
        rules_and_learned: run(&tested, &combined, k),
        weeks_learned_active,
    })
}

/// The time split as text: both rankings' figures side by side, and the change.
pub fn split_text(r: &SplitReport) -> String {
    let row = |name: &str, q: &Report| {
        format!(
            "  {name:<16} {:>11.3} {:>17.3} {:>9.3}   {:>11.3} {:>17.3}\n",
            q.mean_r_precision,
            q.mean_average_precision,
            q.mean_recall_at_k,
            q.overall.r_precision,
            q.overall.average_precision
        )
    };
    let (a, b) = (&r.rules, &r.rules_and_learned);
    let mut out = format!(
        "time split: {} trained on only ({} … {}), {} tested ({} … {}),\n\
         each test week scored by a model trained on the weeks before it (learned part in use in {} of them)\n\
         test set: {} decided posts, {} picked\n\n\
         {:<18} {:>11} {:>17} {:>9}   {:>11} {:>17}\n",
        counted(r.train_weeks.len() as u64, "week"),
        r.train_weeks.first().map_or("-", String::as_str),
        r.train_weeks.last().map_or("-", String::as_str),
        counted(r.test_weeks.len() as u64, "week"),
        r.test_weeks.first().map_or("-", String::as_str),
        r.test_weeks.last().map_or("-", String::as_str),
        r.weeks_learned_active,
        a.overall.entries,
        a.overall.picked,
        "mean per week:",
        "R-precision",
        "average precision",
        format!("recall@{}", a.k),
        "pooled R-prec",
        "pooled avg prec",
    );
    out.push_str(&row("rules", a));
    out.push_str(&row("rules + learned", b));
    out.push_str(&format!(
        "  {:<16} {:>+11.3} {:>+17.3} {:>+9.3}   {:>+11.3} {:>+17.3}\n",
        "change",
        b.mean_r_precision - a.mean_r_precision,
        b.mean_average_precision - a.mean_average_precision,
        b.mean_recall_at_k - a.mean_recall_at_k,
        b.overall.r_precision - a.overall.r_precision,
        b.overall.average_precision - a.overall.average_precision,
    ));
    out
}

/// Ranking quality of one group (or of everything pooled).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quality {
    pub group: String,
    pub entries: usize,
    pub picked: usize,
    pub r_precision: f64,
    pub average_precision: f64,
    pub recall_at_k: f64,
}

/// An entry and where it ranked.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub group: String,
    pub title: String,
    pub url: Option<String>,
    pub score: f64,
    /// 1-based rank among all entries, and their number.
    pub rank: usize,
    pub of: usize,
    pub reasons: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub k: usize,
    pub overall: Quality,
    /// Means over the groups that hold at least one picked entry.
    pub mean_r_precision: f64,
    pub mean_average_precision: f64,
    pub mean_recall_at_k: f64,
    pub groups: Vec<Quality>,
    /// The five picked entries ranked lowest overall, with their reasons.
    pub lowest_picked: Vec<Miss>,
    /// The five not-picked entries ranked highest overall: what the rules over-rate.
    pub highest_not_picked: Vec<Miss>,
}

/// `picked` flags in ranked order, ties pessimistic: score descending, and among equal
/// scores the not-picked first.
pub fn rank(scored: &mut [(f64, bool)]) {
    scored.sort_by(|a, b| pessimistic(*a, *b));
}

/// The order of [`rank`] for two (score, picked) pairs.
fn pessimistic(a: (f64, bool), b: (f64, bool)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// R-precision, average precision and recall at `k` of a ranked list of picked flags.
pub fn quality(group: &str, ranked: &[bool], k: usize) -> Quality {
    let picked = ranked.iter().filter(|&&p| p).count();
    let (r_precision, average_precision, recall_at_k) = if picked == 0 {
        (0.0, 0.0, 0.0)
    } else {
        let rp = ranked[..picked].iter().filter(|&&p| p).count() as f64 / picked as f64;
        let mut hits = 0;
        let mut sum = 0.0;
        for (i, &p) in ranked.iter().enumerate() {
            if p {
                hits += 1;
                sum += hits as f64 / (i + 1) as f64;
            }
        }
        let recall = ranked.iter().take(k).filter(|&&p| p).count() as f64 / picked as f64;
        (rp, sum / picked as f64, recall)
    };
    Quality {
        group: group.to_owned(),
        entries: ranked.len(),
        picked,
        r_precision,
        average_precision,
        recall_at_k,
    }
}

/// Scores every labelled entry of a labels file (with the boost of a configured feed
/// of the same org) and reports ranking quality per group and pooled.
pub fn run_labels(
    labelled: &[Labelled],
    scorer: &Scorer,
    boost_of_org: impl Fn(&str) -> f64,
    k: usize,
) -> Report {
    let scores: Vec<Score> = labelled
        .iter()
        .map(|l| scorer.score(&l.entry, l.org.as_deref().map_or(0.0, &boost_of_org)))
        .collect();
    run(labelled, &scores, k)
}

/// Ranking quality of `labelled` entries scored `scores` (same order), per group and
/// pooled.
pub fn run(labelled: &[Labelled], scores: &[Score], k: usize) -> Report {
    let mut pooled: Vec<(f64, bool)> = scores
        .iter()
        .zip(labelled)
        .map(|(s, l)| (s.total, l.picked))
        .collect();
    rank(&mut pooled);
    let flags: Vec<bool> = pooled.iter().map(|p| p.1).collect();
    let overall = quality("all", &flags, k);
    // Where an entry sits among all entries, ties pessimistic as above: a picked entry
    // after every not-picked one of its score, a not-picked one before them all.
    let pooled_rank = |score: f64, picked: bool| {
        1 + pooled
            .iter()
            .filter(|&&(s, p)| s > score || (picked && s == score && !p))
            .count()
    };
    let mut groups: Vec<String> = labelled.iter().map(|l| l.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let mut qualities = Vec::new();
    let mut misses = Vec::new();
    let mut false_alarms = Vec::new();
    for group in &groups {
        let mut members: Vec<usize> = (0..labelled.len())
            .filter(|&i| &labelled[i].group == group)
            .collect();
        let key = |i: usize| (scores[i].total, labelled[i].picked);
        members.sort_by(|&a, &b| pessimistic(key(a), key(b)));
        let flags: Vec<bool> = members.iter().map(|&i| labelled[i].picked).collect();
        qualities.push(quality(group, &flags, k));
        for i in members {
            let (entry, (score, picked)) = (&labelled[i].entry, key(i));
            let miss = Miss {
                group: group.clone(),
                title: if entry.title.is_empty() {
                    "(untitled)".into()
                } else {
                    entry.title.clone()
                },
                url: entry.url.clone(),
                score,
                rank: pooled_rank(score, picked),
                of: pooled.len(),
                reasons: scores[i].summary_line(),
            };
            if picked {
                misses.push(miss);
            } else {
                false_alarms.push(miss);
            }
        }
    }
    let with_picks: Vec<&Quality> = qualities.iter().filter(|q| q.picked > 0).collect();
    let mean = |f: fn(&Quality) -> f64| {
        if with_picks.is_empty() {
            0.0
        } else {
            with_picks.iter().map(|q| f(q)).sum::<f64>() / with_picks.len() as f64
        }
    };
    misses.sort_by_key(|m| std::cmp::Reverse(m.rank));
    misses.truncate(5);
    false_alarms.sort_by_key(|m| m.rank);
    false_alarms.truncate(5);
    Report {
        k,
        mean_r_precision: mean(|q| q.r_precision),
        mean_average_precision: mean(|q| q.average_precision),
        mean_recall_at_k: mean(|q| q.recall_at_k),
        overall,
        groups: qualities,
        lowest_picked: misses,
        highest_not_picked: false_alarms,
    }
}

/// The report as text: overall, per group with picks, the lowest-ranked picks.
pub fn report_text(r: &Report) -> String {
    let mut out = format!(
        "overall ({} entries, {} picked): R-precision {:.3}, average precision {:.3}, recall@{} {:.3}\n\
         mean over {} groups with picks: R-precision {:.3}, average precision {:.3}, recall@{} {:.3}\n\ngroups:\n",
        r.overall.entries,
        r.overall.picked,
        r.overall.r_precision,
        r.overall.average_precision,
        r.k,
        r.overall.recall_at_k,
        r.groups.iter().filter(|q| q.picked > 0).count(),
        r.mean_r_precision,
        r.mean_average_precision,
        r.k,
        r.mean_recall_at_k
    );
    for q in r.groups.iter().filter(|q| q.picked > 0) {
        out.push_str(&format!(
            "  {:<14} {:>3} entries {:>2} picked  R-prec {:.2}  AP {:.2}  recall@{} {:.2}\n",
            q.group, q.entries, q.picked, q.r_precision, q.average_precision, r.k, q.recall_at_k
        ));
    }
    for (heading, list) in [
        ("picked entries ranked lowest", &r.lowest_picked),
        ("not-picked entries ranked highest", &r.highest_not_picked),
    ] {
        out.push_str(&format!("\n{heading}:\n"));
        for m in list {
            out.push_str(&format!(
                "  #{} of {} ({}): {} (score {}: {})\n",
                m.rank,
                m.of,
                m.group,
                m.title,
                two_places(m.score),
                m.reasons
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decided_post_is_labelled_with_every_text_the_store_scored() {
        let post = StoredPost {
            title: "t".into(),
            summary: "s".into(),
            content: "c".into(),
            article_text: "the page's text".into(),
            ..StoredPost::default()
        };
        let decision = Decision {
            state: "picked".into(),
            note: None,
            week: "2026-W48".into(),
            decided_at: chrono::DateTime::UNIX_EPOCH,
            batch: None,
        };
        let l = labelled_decision(&post, &decision);
        assert!(l.picked);
        assert_eq!(
            (
                l.entry.summary.as_str(),
                l.entry.content.as_str(),
                l.entry.article.as_str()
            ),
            ("s", "c", "the page's text")
        );
    }

    #[test]
    fn metrics_of_known_rankings() {
        // picked at ranks 1 and 3 of 4.
        let q = quality("g", &[true, false, true, false], 2);
        assert_eq!(q.r_precision, 0.5);
        assert!((q.average_precision - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert_eq!(q.recall_at_k, 0.5);
        let perfect = quality("g", &[true, true, false], 2);
        assert_eq!(
            (
                perfect.r_precision,
                perfect.average_precision,
                perfect.recall_at_k
            ),
            (1.0, 1.0, 1.0)
        );
        assert_eq!(quality("g", &[false, false], 2).average_precision, 0.0);
    }

    #[test]
    fn ties_do_not_flatter() {
        let mut all_equal = vec![(1.0, true), (1.0, false), (1.0, false)];
        rank(&mut all_equal);
        let flags: Vec<bool> = all_equal.iter().map(|x| x.1).collect();
        assert_eq!(flags, [false, false, true]);
        assert_eq!(quality("g", &flags, 1).r_precision, 0.0);
    }

    #[test]
    fn label_lines_are_checked() {
        let ok = parse_labels("{\"label\":\"picked\",\"title\":\"A &amp; <b>B</b>\",\"issue\":3}\n\n{\"label\":\"not_picked\",\"week_of\":\"2024-01-07\"}\n").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].entry.title, "A & B");
        assert_eq!(
            (ok[0].group.as_str(), ok[1].group.as_str()),
            ("issue 3", "2024-01-07")
        );
        assert!(
            parse_labels("{\"label\":\"maybe\"}")
                .unwrap_err()
                .starts_with("line 1:")
        );
        assert!(parse_labels("not json").unwrap_err().starts_with("line 1:"));
    }
}
