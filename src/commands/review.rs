//! The review commands: `queue`, `pick` / `reject` / `defer`, `note`, `undo` and `draft`.

use std::path::Path;

use super::{Outcome, emit};
use crate::cli::{DraftFormat, DraftOrder, TableFormat};
use crate::clock;
use crate::config::Config;
use crate::rank::shortlist::Ranker;
use crate::render::draft::{draft_html, draft_markdown, missing_blurbs};
use crate::render::tables::queue_table;
use crate::review::{Verdict, decide_one, draft_items, edit_note, queue_items};
use crate::week::WeekSpec;

pub(super) fn queue(
    config: &Config,
    db: &Path,
    week: WeekSpec,
    format: TableFormat,
) -> anyhow::Result<Outcome> {
    let store = crate::app::open_scored(config, db)?;
    let week = week.resolve(clock::now(), config.settings.timezone);
    let items = queue_items(&store, &Ranker::load(&store, config)?, week)?;
    emit(&match format {
        TableFormat::Table => queue_table(&items),
        TableFormat::Json => serde_json::to_string_pretty(&items)? + "\n",
    })?;
    if items.is_empty() {
        eprintln!("the queue for {week} is empty");
        return Ok(Outcome::NothingFound);
    }
    Ok(Outcome::Done)
}

pub(super) fn decide(
    config: &Config,
    db: &Path,
    verdict: Verdict,
    ids: &[i64],
    note: Option<&str>,
) -> anyhow::Result<Outcome> {
    let mut store = crate::app::open_for_writing(config, db)?;
    let mut outcome = Outcome::Done;
    for &id in ids {
        match decide_one(&mut store, config, verdict, id, note)? {
            Some((title, week)) => emit(&format!("{} #{id} ({week}): {title}\n", verdict.state()))?,
            None => {
                eprintln!("no entry with id {id}; ids are shown by `gleaner queue`");
                outcome = Outcome::NothingFound;
            }
        }
    }
    Ok(outcome)
}

pub(super) fn note(config: &Config, db: &Path, id: i64, text: &str) -> anyhow::Result<Outcome> {
    let mut store = crate::app::open_for_writing(config, db)?;
    match edit_note(&mut store, id, text)? {
        Some(state) => {
            let what = if state == Verdict::Pick.state() {
                "blurb"
            } else {
                "note"
            };
            let done = if text.trim().is_empty() {
                "cleared"
            } else {
                "set"
            };
            emit(&format!("{done} the {what} of #{id} ({state})\n"))?;
            Ok(Outcome::Done)
        }
        None => {
            eprintln!("#{id} has no decision to note; pick, reject or defer it first");
            Ok(Outcome::NothingFound)
        }
    }
}

pub(super) fn undo(config: &Config, db: &Path, ids: &[i64]) -> anyhow::Result<Outcome> {
    let mut store = crate::app::open_for_writing(config, db)?;
    let mut outcome = Outcome::Done;
    for &id in ids {
        match store.undo(id)? {
            Some(state) => {
                let now = store.decision(id)?.map_or("new".to_owned(), |d| d.state);
                emit(&format!("undid {state} of #{id}; it is {now} again\n"))?;
            }
            None => {
                eprintln!("#{id} has no decision to undo");
                outcome = Outcome::NothingFound;
            }
        }
    }
    Ok(outcome)
}

pub(super) fn draft(
    config: &Config,
    db: &Path,
    week: WeekSpec,
    format: DraftFormat,
    order: DraftOrder,
    allow_todo: bool,
) -> anyhow::Result<Outcome> {
    // Ordered by score, so scores of the current rules.
    let store = crate::app::open_scored(config, db)?;
    let week = week.resolve(clock::now(), config.settings.timezone);
    let items = draft_items(
        &store,
        &Ranker::load(&store, config)?,
        week,
        draft_order(order),
    )?;
    emit(&match format {
        DraftFormat::Markdown => draft_markdown(week, &items),
        DraftFormat::Html => draft_html(week, &items),
    })?;
    if items.is_empty() {
        return Ok(Outcome::NothingFound);
    }
    let missing = missing_blurbs(&items);
    if missing.is_empty() {
        return Ok(Outcome::Done);
    }
    let ids: Vec<String> = missing
        .iter()
        .map(|i| format!("#{}", i.candidate.id))
        .collect();
    eprintln!(
        "{} of {} picks have no blurb yet ({}): write each with `gleaner note ID TEXT`{}",
        missing.len(),
        items.len(),
        ids.join(", "),
        if allow_todo {
            ""
        } else {
            ", or pass --allow-todo"
        }
    );
    Ok(if allow_todo {
        Outcome::Done
    } else {
        Outcome::Unfinished
    })
}

fn draft_order(order: DraftOrder) -> crate::review::DraftOrder {
    match order {
        DraftOrder::Picked => crate::review::DraftOrder::Picked,
        DraftOrder::Score => crate::review::DraftOrder::Score,
    }
}
