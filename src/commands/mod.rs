//! Commands: each CLI subcommand as a function from validated inputs to printed output
//! and an [`Outcome`]. The work lives in the library's stages; these files only open
//! what a command needs, call it, and print.

mod archive;
mod backtest;
mod check;
mod feeds;
mod poll;
mod rescore;
mod review;
mod shortlist;
mod sources;
mod subscriptions;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command, ExportFormat};
use crate::config::{CONFIG_ENV, Config, DEFAULT_CONFIG_PATH};
use crate::daemon;
use crate::review::Verdict;

/// How a command that ran without error ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Nothing was found where something was asked for (exit 1).
    NothingFound,
    /// The output is there but unfinished: a draft with picks still missing their
    /// blurbs (exit 3).
    Unfinished,
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let config_path = config_path(cli.config.as_deref());
    if let Command::Check = cli.command {
        return check::check(&config_path);
    }
    let config = Config::load(&config_path)?;
    let db = cli
        .db
        .clone()
        .unwrap_or_else(|| config.settings.database.clone());
    match cli.command {
        Command::Add {
            url,
            name,
            org,
            page,
            links,
        } => subscriptions::add(
            &config,
            subscriptions::AddRequest {
                url,
                name,
                org,
                page,
                links,
            },
        ),
        Command::Import { file } => subscriptions::import(&config, &file),
        Command::Export {
            format: ExportFormat::Opml,
            output,
        } => subscriptions::export(&config, output.as_deref()),
        Command::Remove { name } => subscriptions::remove(&config, &name),
        Command::Backtest {
            labels: Some(labels),
            format,
            ..
        } => backtest::labels(&config, &labels, format),
        Command::Backtest {
            labels: None,
            decisions,
            test_weeks,
            format,
        } => backtest::decisions(
            &config,
            &db,
            decisions,
            test_weeks.map(|n| n as usize),
            format,
        ),
        Command::Daemon => daemon::run(config, db).map(|()| Outcome::Done),
        Command::Poll { feeds, force } => poll::poll(config, &db, &feeds, force),
        Command::Shortlist {
            week,
            limit,
            format,
        } => shortlist::shortlist(&config, &db, week, limit.map(usize::from), format),
        Command::Feeds { format } => feeds::feeds(&config, &db, format),
        Command::Explain { id, format } => shortlist::explain(&config, &db, id, format),
        Command::Queue { week, format } => review::queue(&config, &db, week, format),
        Command::Pick { ids, note } => {
            review::decide(&config, &db, Verdict::Pick, &ids, note.as_deref())
        }
        Command::Reject { ids, note } => {
            review::decide(&config, &db, Verdict::Reject, &ids, note.as_deref())
        }
        Command::Defer { ids, note } => {
            review::decide(&config, &db, Verdict::Defer, &ids, note.as_deref())
        }
        Command::Note { id, text } => review::note(&config, &db, id, &text),
        Command::Undo { ids } => review::undo(&config, &db, &ids),
        Command::Draft {
            week,
            format,
            order,
            allow_todo,
        } => review::draft(&config, &db, week, format, order, allow_todo),
        Command::Rescore => rescore::rescore(&config, &db),
        Command::Archive {
            source,
            issues,
            format,
        } => archive::archive(&config, &db, &source, usize::from(issues), format),
        Command::Sources {
            action,
            limit,
            format,
        } => sources::sources(&config, &db, action, usize::from(limit), format),
        Command::Check => unreachable!("handled above"),
    }
}

/// `--config`, else `GLEANER_CONFIG`, else `./feeds.toml`.
fn config_path(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os(CONFIG_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH))
}

/// Writes to standard output; a closed pipe (`gleaner shortlist | head`) surfaces as a
/// `BrokenPipe` error that `main` treats as a normal exit.
pub fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
