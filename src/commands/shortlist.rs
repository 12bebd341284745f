//! `gleaner shortlist` and `gleaner explain`: a week's candidates, one entry's score.

use std::path::Path;

use super::{Outcome, emit};
use crate::cli::{ExplainFormat, ShortlistFormat};
use crate::clock;
use crate::config::Config;
use crate::model::Candidate;
use crate::rank::shortlist::{self, Ranker};
use crate::render;
use crate::week::{IsoWeek, WeekSpec};

pub(super) fn shortlist(
    config: &Config,
    db: &Path,
    week: WeekSpec,
    limit: Option<usize>,
    format: ShortlistFormat,
) -> anyhow::Result<Outcome> {
    let store = crate::app::open_scored(config, db)?;
    let week = week.resolve(clock::now(), config.settings.timezone);
    let limit = limit.unwrap_or(config.settings.shortlist_size);
    let ranker = Ranker::load(&store, config)?;
    let candidates = shortlist::build(&store, &ranker, week, limit)?;
    emit(&render_shortlist(week, config, &candidates, format))?;
    if candidates.is_empty() {
        eprintln!(
            "no candidates for {week} (scoring at least {})",
            config.settings.min_score
        );
        return Ok(Outcome::NothingFound);
    }
    Ok(Outcome::Done)
}

fn render_shortlist(
    week: IsoWeek,
    config: &Config,
    candidates: &[Candidate],
    format: ShortlistFormat,
) -> String {
    match format {
        ShortlistFormat::Markdown => {
            render::markdown::shortlist_markdown(week, config.settings.timezone, candidates)
        }
        ShortlistFormat::Json => render::json_csv::shortlist_json(candidates),
        ShortlistFormat::Csv => render::json_csv::shortlist_csv(candidates),
    }
}

pub(super) fn explain(
    config: &Config,
    db: &Path,
    id: i64,
    format: ExplainFormat,
) -> anyhow::Result<Outcome> {
    let store = crate::app::open_scored(config, db)?;
    let Some(post) = store.post(id)? else {
        eprintln!("no entry with id {id}; ids are shown by `gleaner shortlist`");
        return Ok(Outcome::NothingFound);
    };
    let candidate = Ranker::load(&store, config)?.candidate(post);
    let decision = store.decision(id)?;
    let standing = render::tables::Standing {
        min_score: config.settings.min_score,
        below_min_score: candidate.score < config.settings.min_score,
        decision_week: decision.as_ref().map(|d| d.week.clone()),
        note: decision.as_ref().and_then(|d| d.note.clone()),
        decision: decision.map(|d| d.state),
    };
    #[derive(serde::Serialize)]
    struct Explained<'a> {
        #[serde(flatten)]
        candidate: &'a Candidate,
        #[serde(flatten)]
        standing: &'a render::tables::Standing,
    }
    emit(&match format {
        ExplainFormat::Text => render::tables::explain_text(&candidate, &standing),
        ExplainFormat::Json => {
            serde_json::to_string_pretty(&Explained {
                candidate: &candidate,
                standing: &standing,
            })? + "\n"
        }
    })?;
    Ok(Outcome::Done)
}
