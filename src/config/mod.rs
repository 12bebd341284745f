//! Config: `feeds.toml` → a validated [`Config`].
//!
//! The file is read once into a span-keeping TOML document and walked by hand, so that
//! *every* problem (unknown keys, wrong types, bad regexes, bad cron expressions, unknown
//! time zones, duplicate feed names, bad URLs) is collected and reported together, each
//! with its line and a hint. Nothing downstream ever sees an unvalidated value: the rest
//! of the program only receives a [`Config`].
//!
//! Relative paths (`database`, `shortlist_dir`) are resolved against the folder that
//! holds the config file, so `gleaner --config /etc/gleaner/feeds.toml` works from any
//! working directory.

mod reader;
mod schedule;
#[cfg(test)]
mod tests;
mod values;

pub use schedule::{next_cron, parse_cron};

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml_edit::Document;
use url::Url;

pub use crate::score::MAX_COUNTED_SOURCES;
pub use crate::score::{FieldWeights, RuleConfig};

use reader::{Reader, first_line, line_of};

/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "GLEANER_CONFIG";
/// Config path used when neither `--config` nor `GLEANER_CONFIG` is set.
pub const DEFAULT_CONFIG_PATH: &str = "feeds.toml";

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config was read from (used for messages and to resolve paths).
    pub path: PathBuf,
    pub settings: Settings,
    pub server: ServerConfig,
    pub notify: NotifyConfig,
    pub learning: LearningConfig,
    pub feeds: Vec<FeedConfig>,
    pub rules: Vec<RuleConfig>,
}

/// `[server]`: the daemon's HTTP listener (the review page, `/metrics`, `/healthz`).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: std::net::SocketAddr,
    /// When set, every request must carry it (`Authorization: Bearer …`, `?token=` once,
    /// then the session cookie).
    pub token: Option<String>,
    /// Host names (`name` or `name:port`) the listener answers to besides its own
    /// address and the loopback names: how the editor reaches it through a proxy or a
    /// LAN name. Any other `Host` is refused (DNS rebinding).
    pub allowed_hosts: Vec<String>,
}

/// `[notify]`: where the daemon posts each weekly shortlist.
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    /// A Slack-compatible incoming webhook; none means no notification.
    pub webhook: Option<Url>,
    /// The review page's address as the editor reaches it (linked from the message).
    pub review_url: Option<Url>,
    /// How many top entries the message lists.
    pub top: usize,
}

/// `[learning]`: the score part learned from the editor's decisions (see `learn`).
#[derive(Debug, Clone, PartialEq)]
pub struct LearningConfig {
    pub enabled: bool,
    /// Picked and rejected posts needed, each, before the part is used.
    pub min_each: usize,
    /// The most the part adds or removes.
    pub max_points: f64,
}

impl Default for LearningConfig {
    fn default() -> Self {
        LearningConfig {
            enabled: true,
            min_each: 15,
            max_points: 3.0,
        }
    }
}

/// Where the daemon listens unless `[server] listen` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8311";

/// `[settings]`: every value has a default, documented in the README.
#[derive(Debug, Clone)]
pub struct Settings {
    /// SQLite database file, resolved against the config file's folder.
    pub database: PathBuf,
    /// Folder the daemon writes weekly shortlists into (`<YYYY-Www>.md`).
    pub shortlist_dir: PathBuf,
    /// Cron expression (with seconds) for polling.
    pub poll_schedule: String,
    /// Cron expression (with seconds) for writing the weekly shortlist.
    pub shortlist_schedule: String,
    /// IANA zone name; weeks are ISO weeks in this zone, cron runs in it.
    pub timezone: chrono_tz::Tz,
    /// How many candidates a shortlist holds by default.
    pub shortlist_size: usize,
    /// Entries scoring below this are not candidates.
    pub min_score: f64,
    /// Most entries one feed may have in a shortlist or queue (0: no limit).
    pub max_per_feed: usize,
    /// Points for each feed beyond the first that carried a story (counted up to
    /// [`MAX_COUNTED_SOURCES`]).
    pub source_points: f64,
    /// Feeds fetched at once across all hosts.
    pub concurrency: usize,
    /// Feeds fetched at once from one host.
    pub per_host_concurrency: usize,
    pub connect_timeout: Duration,
    /// Deadline for one whole fetch, body included.
    pub request_timeout: Duration,
    /// Largest feed body accepted, counted after decompression.
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Longest wait between retries of a failing feed (and longest max-age honoured).
    pub max_backoff: Duration,
    /// Whether a feed's `Cache-Control: max-age` delays its next poll.
    pub respect_cache_control: bool,
    /// Points a rule match is multiplied by, per field.
    pub field_weights: FieldWeights,
    /// Which entries get their article page read (a feed may say otherwise).
    pub fetch_articles: FetchArticles,
    /// Under `auto`, an entry whose feed text has fewer words gets its page read.
    pub article_min_words: usize,
    /// Most article pages fetched in one poll; the rest wait for the next.
    pub article_budget: usize,
    /// Whether article pages on loopback, private or link-local addresses may be
    /// fetched (anyone can submit a link to an aggregator; feeds are always fetched).
    pub allow_private_articles: bool,
}

/// `fetch_articles`: which entries gleaner reads the article page of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchArticles {
    /// Aggregator items, and entries whose feed text is short (`article_min_words`).
    Auto,
    /// Every entry with a link.
    Always,
    Never,
}

impl FetchArticles {
    pub fn parse(text: &str) -> Option<FetchArticles> {
        match text {
            "auto" => Some(FetchArticles::Auto),
            "always" => Some(FetchArticles::Always),
            "never" => Some(FetchArticles::Never),
            _ => None,
        }
    }
}

/// A feed's `kind`: what its entries are. Unset, Hacker News, Lobsters and Reddit
/// feeds are detected as aggregators and every other feed is a blog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    /// Each entry links someone else's article (and a discussion of it).
    Aggregator,
    /// Each entry is a post of the feed's own site; no detection.
    Blog,
    /// The URL is an HTML page listing the site's articles (a site with no feed): each
    /// article it links is an entry (see `ingest::listing`).
    Page,
}

/// One `[[feed]]`.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Unique; the feed's identity in the database.
    pub name: String,
    pub url: Url,
    /// The "Org" in "Author — Org".
    pub org: Option<String>,
    /// Points added to every entry of this feed.
    pub boost: f64,
    pub tags: Vec<String>,
    /// Set in the file, or detected from the feed when `None`.
    pub kind: Option<FeedKind>,
    /// Overrides `[settings] fetch_articles` for this feed.
    pub fetch_articles: Option<FetchArticles>,
    /// For `kind = "page"`: which link paths on the page are articles (default: those
    /// below the page's own path).
    pub links: Option<regex::Regex>,
    /// Line of the `[[feed]]` header, for messages.
    pub line: usize,
}

impl FeedConfig {
    /// Which of this feed's entries get their article read.
    pub fn fetch_articles(&self, settings: &Settings) -> FetchArticles {
        self.fetch_articles.unwrap_or(settings.fetch_articles)
    }
}

/// What a watched page's articles' paths start with when its feed sets no `links`: the
/// page's own path as a folder (`/articles` → `/articles/`; `/blog.html` → `/`; a path
/// ending in `/` is a folder whatever it holds, `/docs/v1.2/`). `/` would take every
/// link of the site, so such a page needs `links`.
pub fn listing_folder(page: &Url) -> String {
    let path = page.path();
    if path.ends_with('/') {
        return path.to_owned();
    }
    let folder = match path.rsplit_once('/') {
        Some((parent, last)) if last.contains('.') => parent,
        _ => path,
    };
    format!("{folder}/")
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            cause: source,
        })?;
        Config::from_str(path, &text)
    }

    /// Validates `text` as if read from `path` (used by `load` and by tests).
    pub fn from_str(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let doc = Document::parse(text.to_owned()).map_err(|err| {
            let line = err.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                problems: vec![Problem {
                    line,
                    message: format!("not valid TOML: {}", first_line(err.message())),
                    hint: "fix the syntax; see the example feeds.toml in the README".into(),
                }],
            }
        })?;
        let mut reader = Reader {
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            problems: Vec::new(),
        };
        let config = reader.config(path, base, doc.as_table());
        if reader.problems.is_empty() {
            Ok(config)
        } else {
            reader.problems.sort_by_key(|p| p.line);
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems: reader.problems,
            })
        }
    }

    /// The config's rules compiled for scoring.
    pub fn scorer(&self) -> crate::score::Scorer {
        crate::score::Scorer::from_rules(&self.rules, self.settings.field_weights)
    }

    pub fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.name == name)
    }
}

/// One problem found in the config file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
    pub hint: String,
}

/// Each message names its `cause` where it reads best ("`…: <cause>; what to do`"), so
/// the cause is not also the error's `source`: `gleaner: {err:#}` would say it twice.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {cause}; pass --config PATH or set GLEANER_CONFIG to your feeds.toml, or create it (an empty file will do)", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}", InvalidDisplay { path, problems })]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

struct InvalidDisplay<'a> {
    path: &'a Path,
    problems: &'a [Problem],
}

impl fmt::Display for InvalidDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{} has {n} problem{}",
            self.path.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.problems {
            write!(
                f,
                "\n  {}:{}: {}; {}",
                self.path.display(),
                p.line,
                p.message,
                p.hint
            )?;
        }
        Ok(())
    }
}

pub fn default_user_agent() -> String {
    format!(
        "gleaner/{} (feed reader for a newsletter editor; +https://crates.io/crates/gleaner)",
        env!("CARGO_PKG_VERSION")
    )
}
