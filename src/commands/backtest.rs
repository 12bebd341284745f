//! `gleaner backtest`: ranking quality on labelled entries or on the stored decisions.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;

use super::{Outcome, emit};
use crate::cli::TableFormat;
use crate::config::Config;
use crate::rank::backtest;
use crate::rank::shortlist::Ranker;

pub(super) fn labels(
    config: &Config,
    labels: &Path,
    format: TableFormat,
) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(labels)
        .with_context(|| format!("cannot read {}", labels.display()))?;
    let labelled =
        backtest::parse_labels(&text).map_err(|e| anyhow::anyhow!("{}: {e}", labels.display()))?;
    if labelled.is_empty() {
        eprintln!("{} holds no labelled entries", labels.display());
        return Ok(Outcome::NothingFound);
    }
    let boosts: HashMap<&str, f64> = config
        .feeds
        .iter()
        .filter_map(|f| Some((f.org.as_deref()?, f.boost)))
        .collect();
    let report = backtest::run_labels(
        &labelled,
        &config.scorer(),
        |org| boosts.get(org).copied().unwrap_or(0.0),
        config.settings.shortlist_size,
    );
    emit(&match format {
        TableFormat::Table => backtest::report_text(&report),
        TableFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
    })?;
    Ok(Outcome::Done)
}

/// Backtests the current config's rules on the stored decisions, scoring the stored
/// text afresh (so a changed `feeds.toml` can be previewed before it is kept; nothing
/// is written); with `time_split`, rules alone against rules + learned.
pub(super) fn decisions(
    config: &Config,
    db: &Path,
    time_split: bool,
    test_weeks: Option<usize>,
    format: TableFormat,
) -> anyhow::Result<Outcome> {
    let store = crate::app::open_as_is(db)?;
    let mut decided = store.decided_all()?;
    // What a newsletter's archive passed over counts as rejected in its week.
    let tz = config.settings.timezone;
    decided.extend(store.archive_passed_over()?.into_iter().map(|post| {
        let decision = crate::model::Decision {
            state: crate::model::Verdict::Reject.state().to_owned(),
            note: None,
            week: crate::week::IsoWeek::containing(post.effective_at, tz).to_string(),
            decided_at: post.effective_at,
            batch: None,
        };
        (post, decision)
    }));
    if decided.is_empty() {
        eprintln!(
            "{} holds no picked or rejected posts yet; decide some with `gleaner pick`/`reject` or pass --labels FILE",
            db.display()
        );
        return Ok(Outcome::NothingFound);
    }
    // Scored as the store would score them under this config: rules, boost, sources.
    let scorer = config.scorer();
    let mut labelled = Vec::new();
    let mut rule_scores = Vec::new();
    let mut examples = Vec::new();
    for (post, decision) in decided {
        let l = backtest::labelled_decision(&post, &decision);
        let boost = config.feed(&post.feed).map_or(0.0, |f| f.boost);
        rule_scores.push(
            scorer
                .score(&l.entry, boost)
                .with_sources(post.sources(), config.settings.source_points),
        );
        examples.push(crate::rank::learn::Example {
            feed: post.feed,
            title: post.title,
            summary: post.summary,
            picked: l.picked,
        });
        labelled.push(l);
    }
    let k = config.settings.shortlist_size;
    if !time_split {
        let report = backtest::run(&labelled, &rule_scores, k);
        let status = Ranker::load(&store, config)?.learning_status().to_string();
        emit(&match format {
            TableFormat::Table => format!(
                "{}\nlearned part: {status} (compare with `gleaner backtest --decisions`)\n",
                backtest::report_text(&report)
            ),
            TableFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        })?;
        return Ok(Outcome::Done);
    }
    let split = backtest::time_split(
        &labelled,
        &rule_scores,
        &examples,
        &config.learning,
        test_weeks,
        k,
    );
    let Some(split) = split else {
        eprintln!("decisions span a single week; a time split needs at least two");
        return Ok(Outcome::NothingFound);
    };
    emit(&match format {
        TableFormat::Table => backtest::split_text(&split),
        TableFormat::Json => serde_json::to_string_pretty(&split)? + "\n",
    })?;
    Ok(Outcome::Done)
}
