//! Command line: the raw flags as clap parses them. `commands` turns them into work.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::week::WeekSpec;

/// gleaner reads engineering blogs for a reliability newsletter's editor: it polls the
/// feeds in feeds.toml, stores every entry once in SQLite, scores each with explainable
/// keyword rules and emits a ranked weekly shortlist.
#[derive(Debug, Parser)]
#[command(name = "gleaner", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The config file [env: GLEANER_CONFIG] [default: ./feeds.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The SQLite database [default: `database` from the config, relative to its folder]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Log format on standard error
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the long-lived daemon: serve the review page, /metrics and /healthz on
    /// `[server] listen`; poll at start and on `poll_schedule`; write (and post to
    /// `[notify] webhook`) the shortlists on `shortlist_schedule`; stop with Ctrl-C or
    /// SIGTERM (in-flight writes finish first)
    Daemon,

    /// Poll feeds once now and print a summary; exits 0 even when some feeds failed
    Poll {
        /// Poll only this feed (repeatable); by default every feed
        #[arg(long = "feed", value_name = "NAME")]
        feeds: Vec<String>,
        /// Poll feeds that are backing off after failures too
        #[arg(long)]
        force: bool,
    },

    /// Print a week's candidates, best first, with the reasons for each score
    Shortlist {
        /// this, last, or an ISO week like 2026-W48 (`--week` alone: this week)
        #[arg(long, value_name = "WEEK", num_args = 0..=1, default_value = "this", default_missing_value = "this")]
        week: WeekSpec,
        /// At most this many candidates, 1 to 10000 [default: `shortlist_size` from the config]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=10_000))]
        limit: Option<u16>,
        #[arg(long, value_enum, default_value_t = ShortlistFormat::Markdown)]
        format: ShortlistFormat,
    },

    /// Show every feed's health: status, failures, last success, next poll, entries
    Feeds {
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },

    /// Explain one entry's score, part by part
    Explain {
        /// The entry's id, as shown by `shortlist`
        id: i64,
        #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
        format: ExplainFormat,
    },

    /// List a week's review queue: undecided candidates, late arrivals and carried-over
    /// deferrals, best first
    Queue {
        /// this, last, or an ISO week like 2026-W48 (`--week` alone: this week)
        #[arg(long, value_name = "WEEK", num_args = 0..=1, default_value = "this", default_missing_value = "this")]
        week: WeekSpec,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },

    /// Pick entries for the newsletter; the note becomes the draft's blurb (without
    /// --note, a blurb the entry had is kept)
    Pick {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        /// The blurb for the draft
        #[arg(long)]
        note: Option<String>,
    },

    /// Reject entries (they leave the queue for good)
    Reject {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        /// Why, for your own records
        #[arg(long)]
        note: Option<String>,
    },

    /// Defer entries to next week's queue
    Defer {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        #[arg(long)]
        note: Option<String>,
    },

    /// Set the note of an entry's current decision: a pick's blurb, a rejection's
    /// reason (an empty TEXT clears it)
    Note {
        #[arg(value_name = "ID")]
        id: i64,
        #[arg(value_name = "TEXT")]
        text: String,
    },

    /// Undo entries' latest decision (the one before it, or none, applies again)
    Undo {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
    },

    /// Write the newsletter draft from a week's picked entries
    Draft {
        /// this, last, or an ISO week like 2026-W48 (`--week` alone: this week)
        #[arg(long, value_name = "WEEK", num_args = 0..=1, default_value = "this", default_missing_value = "this")]
        week: WeekSpec,
        #[arg(long, value_enum, default_value_t = DraftFormat::Markdown)]
        format: DraftFormat,
        /// The order picked (or as arranged on the review page), or best score first
        #[arg(long, value_enum, default_value_t = DraftOrder::Picked)]
        order: DraftOrder,
        /// Exit 0 even when a pick has no blurb yet (else the draft is printed and the
        /// exit status is 3)
        #[arg(long)]
        allow_todo: bool,
    },

    /// Subscribe to a feed, given its URL or a web page that links it; adds a `[[feed]]`
    /// to the config file, keeping its comments and layout
    Add {
        /// A feed URL, or a page whose <link rel="alternate"> (or a common path) is a feed
        url: String,
        /// The feed's name [default: the feed's title]
        #[arg(long)]
        name: Option<String>,
        /// The "Org" in "Author — Org"
        #[arg(long)]
        org: Option<String>,
        /// The site has no feed: watch this page (its article list) for new articles
        #[arg(long)]
        page: bool,
        /// With --page: a regex over the paths of the links that are articles
        /// [default: those below the page's own path]
        #[arg(long, value_name = "REGEX")]
        links: Option<String>,
    },

    /// Subscribe to every feed of an OPML file (nested outlines become tags); feeds
    /// already subscribed are skipped
    Import {
        #[arg(value_name = "FILE.opml")]
        file: PathBuf,
    },

    /// Write the subscriptions as OPML 2.0
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Opml)]
        format: ExportFormat,
        /// Write here instead of standard output
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },

    /// Unsubscribe: remove the named `[[feed]]` from the config file (its stored entries stay)
    Remove { name: String },

    /// Measure how well the current rules rank picked posts above the others: on the
    /// editor's stored decisions (picked vs rejected), or on a labels file
    Backtest {
        /// A labels file instead of the stored decisions (one JSON object a line:
        /// title, summary, url, label, issue or week)
        #[arg(long, value_name = "FILE.jsonl", conflicts_with_all = ["decisions", "test_weeks"])]
        labels: Option<PathBuf>,
        /// Compare rules alone with rules + the learned part on a time split of the
        /// stored decisions: each later week scored by a model trained on the weeks
        /// before it
        #[arg(long)]
        decisions: bool,
        /// With --decisions: how many of the latest weeks to test (default: a third)
        #[arg(long, value_name = "N", requires = "decisions", value_parser = clap::value_parser!(u32).range(1..))]
        test_weeks: Option<u32>,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },

    /// Learn from a newsletter's past issues: each issue's links become your picks of
    /// the week it covers (never shown in a queue or a draft), the posts of those weeks
    /// it did not link the learned part's negatives. Importing again adds nothing
    Archive {
        /// The newsletter's own feed (WordPress-style: one issue per item, its pages
        /// followed with ?paged=2 and on), or a file or folder of past issues (HTML or
        /// markdown; a date in the file name, e.g. 2026-06-14-issue-412.md, says when
        /// it went out: a file without one gives no picks)
        #[arg(value_name = "URL|PATH")]
        source: String,
        /// At most this many issues, the newest
        #[arg(long, value_name = "N", default_value_t = 52, value_parser = clap::value_parser!(u16).range(1..=5000))]
        issues: u16,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },

    /// Suggest sites to subscribe to: those gleaner saw through aggregators or a
    /// newsletter's archive but you do not subscribe to, most picked and linked first,
    /// each with its feed (discovered from the site) and the command that adds it
    Sources {
        #[command(subcommand)]
        action: Option<SourcesAction>,
        /// At most this many sites
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: u16,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },

    /// Apply the current rules to every stored entry (nothing is re-fetched)
    Rescore,

    /// Validate the config and report every problem at once, with its line
    Check,
}

#[derive(Debug, Subcommand)]
pub enum SourcesAction {
    /// Hide a site from the suggestions for good
    Dismiss {
        #[arg(value_name = "SITE")]
        site: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShortlistFormat {
    Markdown,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Opml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DraftFormat {
    Markdown,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DraftOrder {
    Picked,
    Score,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

impl clap::builder::ValueParserFactory for WeekSpec {
    type Parser = clap::builder::ValueParser;
    fn value_parser() -> Self::Parser {
        clap::builder::ValueParser::new(|s: &str| s.parse::<WeekSpec>())
    }
}
