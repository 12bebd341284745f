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

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml_edit::{Document, Item, Table, Value};
use url::Url;

use crate::score::Field;

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

/// `[server]`: the daemon's HTTP listener (`/metrics`, `/healthz`).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: std::net::SocketAddr,
    /// When set, every request must carry it (`Authorization: Bearer …` or `?token=`).
    pub token: Option<String>,
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

/// Feeds beyond the first that `source_points` counts for a story.
pub const MAX_COUNTED_SOURCES: usize = 3;

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
}

/// Multipliers applied to a rule's weight depending on where it matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldWeights {
    pub title: f64,
    pub summary: f64,
    pub content: f64,
    pub url: f64,
    pub author: f64,
}

impl FieldWeights {
    pub fn get(&self, field: Field) -> f64 {
        match field {
            Field::Title => self.title,
            Field::Summary => self.summary,
            Field::Content => self.content,
            Field::Url => self.url,
            Field::Author => self.author,
        }
    }
}

impl Default for FieldWeights {
    fn default() -> Self {
        FieldWeights {
            title: 2.0,
            summary: 1.0,
            content: 0.5,
            url: 1.0,
            author: 1.0,
        }
    }
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
    /// Line of the `[[feed]]` header, for messages.
    pub line: usize,
}

/// One `[[rule]]`, its pattern checked to compile (see [`crate::score::RuleSet::check`]).
#[derive(Debug, Clone)]
pub struct RuleConfig {
    pub name: String,
    pub pattern: String,
    pub weight: f64,
    pub fields: Vec<Field>,
    pub line: usize,
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
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

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {source}; pass --config PATH or set GLEANER_CONFIG", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
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

const SETTINGS_KEYS: &[&str] = &[
    "database",
    "shortlist_dir",
    "poll_schedule",
    "shortlist_schedule",
    "timezone",
    "shortlist_size",
    "min_score",
    "max_per_feed",
    "source_points",
    "concurrency",
    "per_host_concurrency",
    "connect_timeout_secs",
    "request_timeout_secs",
    "max_body_bytes",
    "max_redirects",
    "user_agent",
    "max_backoff_secs",
    "respect_cache_control",
    "field_weights",
];
const FIELD_WEIGHT_KEYS: &[&str] = &["title", "summary", "content", "url", "author"];
const FEED_KEYS: &[&str] = &["name", "url", "org", "boost", "tags"];
const RULE_KEYS: &[&str] = &["name", "pattern", "weight", "fields"];
const TOP_KEYS: &[&str] = &["settings", "server", "notify", "learning", "feed", "rule"];
const LEARNING_KEYS: &[&str] = &["enabled", "min_each", "max_points"];
const NOTIFY_KEYS: &[&str] = &["webhook", "review_url", "top"];
const SERVER_KEYS: &[&str] = &["listen", "token"];

/// Walks the document, collecting problems instead of stopping at the first.
struct Reader {
    /// Byte offset at which each line starts, to turn spans into line numbers in
    /// O(log n) (a feed list may hold thousands of entries).
    line_starts: Vec<usize>,
    problems: Vec<Problem>,
}

impl Reader {
    fn config(&mut self, path: &Path, base: &Path, root: &Table) -> Config {
        self.unknown_keys(root, TOP_KEYS, "the top level");
        let empty = Table::new();
        let settings_table = self
            .section(root.get("settings"), "settings", SETTINGS_KEYS)
            .unwrap_or(&empty);
        let settings = self.settings(base, settings_table);
        let server = self.server(root.get("server"));
        let notify = self.notify(root.get("notify"));
        let learning = self.learning(root.get("learning"));
        let feeds = self.feeds(root.get("feed"));
        let rules = self.rules(root.get("rule"));
        Config {
            path: path.to_path_buf(),
            settings,
            server,
            notify,
            learning,
            feeds,
            rules,
        }
    }

    /// A top-level `[name]` table, its unknown keys reported; `None` when it is absent
    /// or not a table (reported too), so its defaults apply.
    fn section<'t>(
        &mut self,
        item: Option<&'t Item>,
        name: &str,
        keys: &[&str],
    ) -> Option<&'t Table> {
        let item = item?;
        let Some(t) = item.as_table() else {
            self.problem(
                item.span(),
                &format!("`{name}` must be a table"),
                &format!("write it as [{name}]"),
            );
            return None;
        };
        self.unknown_keys(t, keys, &format!("[{name}]"));
        Some(t)
    }

    fn learning(&mut self, item: Option<&Item>) -> LearningConfig {
        let defaults = LearningConfig::default();
        let Some(t) = self.section(item, "learning", LEARNING_KEYS) else {
            return defaults;
        };
        let max_points = self.number(t, "max_points").unwrap_or(defaults.max_points);
        if !(0.0..=100.0).contains(&max_points) {
            self.problem(
                t.get("max_points").and_then(Item::span),
                &format!("`max_points` must be between 0 and 100, not {max_points}"),
                "the learned part is bounded so the rules still matter; 3 is the default",
            );
        }
        LearningConfig {
            enabled: self.boolean(t, "enabled", defaults.enabled),
            min_each: self.count(t, "min_each", defaults.min_each, 1),
            max_points: max_points.clamp(0.0, 100.0),
        }
    }

    fn notify(&mut self, item: Option<&Item>) -> NotifyConfig {
        let defaults = NotifyConfig {
            webhook: None,
            review_url: None,
            top: 10,
        };
        let Some(t) = self.section(item, "notify", NOTIFY_KEYS) else {
            return defaults;
        };
        NotifyConfig {
            webhook: self.optional_http_url(t, "webhook"),
            review_url: self.optional_http_url(t, "review_url"),
            top: self.count(t, "top", 10, 1),
        }
    }

    fn optional_http_url(&mut self, t: &Table, key: &str) -> Option<Url> {
        let text = self.string(t, key)?;
        match Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
            _ => {
                self.problem(
                    t.get(key).and_then(Item::span),
                    &format!("`{key}` must be an http(s) URL, not `{text}`"),
                    "for example https://hooks.slack.com/services/…",
                );
                None
            }
        }
    }

    fn server(&mut self, item: Option<&Item>) -> ServerConfig {
        let default_listen = DEFAULT_LISTEN.parse().expect("valid default address");
        let Some(t) = self.section(item, "server", SERVER_KEYS) else {
            return ServerConfig {
                listen: default_listen,
                token: None,
            };
        };
        let token = self.string(t, "token").filter(|tok| !tok.is_empty());
        let listen = match self.string(t, "listen") {
            None => default_listen,
            Some(text) => match text.parse::<std::net::SocketAddr>() {
                Ok(addr) => addr,
                Err(_) => {
                    self.problem(
                        t.get("listen").and_then(Item::span),
                        &format!("bad listen address `{text}`"),
                        "use IP:PORT, like \"127.0.0.1:8311\"",
                    );
                    default_listen
                }
            },
        };
        if !listen.ip().is_loopback() && token.is_none() {
            self.problem(
                t.get("listen").and_then(Item::span),
                &format!("listen address {listen} is reachable from other machines but [server] has no token"),
                "set token = \"…\" (a long random string) or listen on 127.0.0.1",
            );
        }
        ServerConfig { listen, token }
    }

    fn settings(&mut self, base: &Path, t: &Table) -> Settings {
        let database = self
            .string(t, "database")
            .unwrap_or_else(|| "data/gleaner.db".into());
        let shortlist_dir = self
            .string(t, "shortlist_dir")
            .unwrap_or_else(|| "data/shortlists".into());
        let poll_schedule = self.cron(t, "poll_schedule", "0 */30 * * * *");
        let shortlist_schedule = self.cron(t, "shortlist_schedule", "0 0 8 * * Mon");
        let timezone = self.timezone(t);
        let field_weights = self.field_weights(t);
        Settings {
            database: base.join(database),
            shortlist_dir: base.join(shortlist_dir),
            poll_schedule,
            shortlist_schedule,
            timezone,
            shortlist_size: self.count(t, "shortlist_size", 20, 1),
            min_score: self.number(t, "min_score").unwrap_or(1.0),
            max_per_feed: self.count(t, "max_per_feed", 3, 0),
            source_points: self.number(t, "source_points").unwrap_or(0.5),
            concurrency: self.count(t, "concurrency", 16, 1),
            per_host_concurrency: self.count(t, "per_host_concurrency", 2, 1),
            connect_timeout: Duration::from_secs(
                self.count(t, "connect_timeout_secs", 10, 1) as u64
            ),
            request_timeout: Duration::from_secs(
                self.count(t, "request_timeout_secs", 30, 1) as u64
            ),
            max_body_bytes: self.count(t, "max_body_bytes", 10 * 1024 * 1024, 1024) as u64,
            max_redirects: self.count(t, "max_redirects", 5, 0),
            user_agent: self
                .string(t, "user_agent")
                .unwrap_or_else(default_user_agent),
            max_backoff: Duration::from_secs(self.count(t, "max_backoff_secs", 6 * 3600, 60) as u64),
            respect_cache_control: self.boolean(t, "respect_cache_control", true),
            field_weights,
        }
    }

    fn field_weights(&mut self, t: &Table) -> FieldWeights {
        let mut weights = FieldWeights::default();
        let Some(item) = t.get("field_weights") else {
            return weights;
        };
        let Some(table) = item.as_table_like() else {
            self.problem(
                item.span(),
                "`field_weights` must be a table",
                "write [settings.field_weights] with title/summary/content/url/author numbers",
            );
            return weights;
        };
        for (key, value) in table.iter() {
            let slot = match key {
                "title" => &mut weights.title,
                "summary" => &mut weights.summary,
                "content" => &mut weights.content,
                "url" => &mut weights.url,
                "author" => &mut weights.author,
                _ => {
                    self.problem(
                        value.span(),
                        &format!("unknown key `{key}` in [settings.field_weights]"),
                        &format!("known keys: {}", FIELD_WEIGHT_KEYS.join(", ")),
                    );
                    continue;
                }
            };
            match as_number(value) {
                Some(n) => *slot = n,
                None => self.problem(
                    value.span(),
                    &format!("field weight `{key}` must be a number"),
                    "for example title = 2.0",
                ),
            }
        }
        weights
    }

    fn feeds(&mut self, item: Option<&Item>) -> Vec<FeedConfig> {
        let mut feeds: Vec<FeedConfig> = Vec::new();
        // Name → line of its first [[feed]]; a map, since lists run to thousands.
        let mut seen_names: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        for (table, span) in self.array_of_tables(item, "feed") {
            self.unknown_keys(table, FEED_KEYS, "[[feed]]");
            let line = span.clone().map(|s| self.line_of(s.start)).unwrap_or(1);
            let name = self.required_string(table, "name", span.clone(), "[[feed]]");
            let url = self.url(table, span.clone());
            let org = self.string(table, "org");
            let boost = self.number(table, "boost").unwrap_or(0.0);
            let tags = self.string_list(table, "tags").unwrap_or_default();
            if let Some(name) = &name {
                if let Some(&first_line) = seen_names.get(name) {
                    self.problem_at(
                        line,
                        &format!("duplicate feed name `{name}` (first on line {first_line})"),
                        "feed names are their identity in the database: make each unique",
                    );
                    continue;
                }
                seen_names.insert(name.clone(), line);
            }
            let (Some(name), Some(url)) = (name, url) else {
                continue;
            };
            feeds.push(FeedConfig {
                name,
                url,
                org,
                boost,
                tags,
                line,
            });
        }
        feeds
    }

    fn rules(&mut self, item: Option<&Item>) -> Vec<RuleConfig> {
        let mut rules: Vec<RuleConfig> = Vec::new();
        for (table, span) in self.array_of_tables(item, "rule") {
            self.unknown_keys(table, RULE_KEYS, "[[rule]]");
            let line = span.clone().map(|s| self.line_of(s.start)).unwrap_or(1);
            let name = self.required_string(table, "name", span.clone(), "[[rule]]");
            let pattern = self.pattern(table, span.clone());
            let weight = self.number(table, "weight");
            if weight.is_none() && table.get("weight").is_none() {
                self.problem(
                    span.clone(),
                    "[[rule]] has no `weight`",
                    "add weight = 1.0 (negative to penalize)",
                );
            }
            let fields = self.fields(table);
            let (Some(name), Some(pattern), Some(weight)) = (name, pattern, weight) else {
                continue;
            };
            if let Some(first) = rules.iter().find(|r| r.name == name) {
                self.problem_at(
                    line,
                    &format!(
                        "duplicate rule name `{name}` (first on line {})",
                        first.line
                    ),
                    "rule names appear in explanations: make each unique",
                );
                continue;
            }
            rules.push(RuleConfig {
                name,
                pattern,
                weight,
                fields,
                line,
            });
        }
        rules
    }

    fn array_of_tables<'t>(
        &mut self,
        item: Option<&'t Item>,
        key: &str,
    ) -> Vec<(&'t Table, Option<Range<usize>>)> {
        match item {
            None => Vec::new(),
            Some(Item::ArrayOfTables(array)) => array.iter().map(|t| (t, t.span())).collect(),
            Some(other) => {
                self.problem(
                    other.span(),
                    &format!("`{key}` must be an array of tables"),
                    &format!("write each one under its own [[{key}]] header"),
                );
                Vec::new()
            }
        }
    }

    fn pattern(&mut self, t: &Table, span: Option<Range<usize>>) -> Option<String> {
        let text = self.required_string(t, "pattern", span, "[[rule]]")?;
        match crate::score::RuleSet::check(&text) {
            Ok(()) => Some(text),
            Err(detail) => {
                self.problem(
                    t.get("pattern").and_then(Item::span),
                    &format!("bad regex `{text}`: {detail}"),
                    "patterns use the regex crate's syntax; use single quotes so backslashes stay literal",
                );
                None
            }
        }
    }

    fn fields(&mut self, t: &Table) -> Vec<Field> {
        let Some(names) = self.string_list(t, "fields") else {
            return Field::SCORED_BY_DEFAULT.to_vec();
        };
        let mut fields = Vec::new();
        for name in names {
            match Field::parse(&name) {
                Some(f) if !fields.contains(&f) => fields.push(f),
                Some(_) => {}
                None => self.problem(
                    t.get("fields").and_then(Item::span),
                    &format!("unknown field `{name}`"),
                    "fields are title, summary, content, url, author",
                ),
            }
        }
        fields
    }

    fn url(&mut self, t: &Table, span: Option<Range<usize>>) -> Option<Url> {
        let text = self.required_string(t, "url", span, "[[feed]]")?;
        let at = t.get("url").and_then(Item::span);
        match Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            Ok(_) => {
                self.problem(
                    at,
                    &format!("feed url `{text}` is not http(s)"),
                    "use an http:// or https:// URL",
                );
                None
            }
            Err(err) => {
                self.problem(
                    at,
                    &format!("bad feed url `{text}`: {err}"),
                    "use a full URL like https://example.com/feed.xml",
                );
                None
            }
        }
    }

    fn cron(&mut self, t: &Table, key: &str, default: &str) -> String {
        let Some(expr) = self.string(t, key) else {
            return default.into();
        };
        if let Err(err) = parse_cron(&expr) {
            self.problem(
                t.get(key).and_then(Item::span),
                &format!("bad cron expression `{expr}` for `{key}`: {err}"),
                "use six fields, seconds first: \"0 */30 * * * *\" is every 30 minutes",
            );
        }
        expr
    }

    fn timezone(&mut self, t: &Table) -> chrono_tz::Tz {
        let Some(name) = self.string(t, "timezone") else {
            return chrono_tz::UTC;
        };
        match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => tz,
            Err(_) => {
                self.problem(
                    t.get("timezone").and_then(Item::span),
                    &format!("unknown time zone `{name}`"),
                    "use an IANA name such as \"UTC\", \"Europe/Berlin\" or \"America/New_York\"",
                );
                chrono_tz::UTC
            }
        }
    }

    fn count(&mut self, t: &Table, key: &str, default: usize, min: usize) -> usize {
        let Some(item) = t.get(key) else {
            return default;
        };
        match item.as_integer() {
            Some(n) if n >= min as i64 => n as usize,
            _ => {
                self.problem(
                    item.span(),
                    &format!("`{key}` must be a whole number of at least {min}"),
                    &format!("the default is {default}"),
                );
                default
            }
        }
    }

    fn boolean(&mut self, t: &Table, key: &str, default: bool) -> bool {
        let Some(item) = t.get(key) else {
            return default;
        };
        match item.as_bool() {
            Some(b) => b,
            None => {
                self.problem(
                    item.span(),
                    &format!("`{key}` must be true or false"),
                    &format!("the default is {default}"),
                );
                default
            }
        }
    }

    fn number(&mut self, t: &Table, key: &str) -> Option<f64> {
        let item = t.get(key)?;
        let n = as_number(item);
        if n.is_none() {
            self.problem(
                item.span(),
                &format!("`{key}` must be a number"),
                "for example 1.5 or -2",
            );
        }
        n
    }

    fn string(&mut self, t: &Table, key: &str) -> Option<String> {
        let item = t.get(key)?;
        match item.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.problem(
                    item.span(),
                    &format!("`{key}` must be a string"),
                    "put the value in quotes",
                );
                None
            }
        }
    }

    fn required_string(
        &mut self,
        t: &Table,
        key: &str,
        span: Option<Range<usize>>,
        what: &str,
    ) -> Option<String> {
        if t.get(key).is_none() {
            self.problem(
                span,
                &format!("{what} has no `{key}`"),
                &format!("add {key} = \"…\""),
            );
            return None;
        }
        let s = self.string(t, key)?;
        if s.trim().is_empty() {
            self.problem(
                t.get(key).and_then(Item::span),
                &format!("`{key}` is empty"),
                "give it a value",
            );
            return None;
        }
        Some(s)
    }

    fn string_list(&mut self, t: &Table, key: &str) -> Option<Vec<String>> {
        let item = t.get(key)?;
        let list = item.as_array().and_then(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        });
        if list.is_none() {
            self.problem(
                item.span(),
                &format!("`{key}` must be a list of strings"),
                "for example [\"a\", \"b\"]",
            );
        }
        list
    }

    fn unknown_keys(&mut self, t: &Table, known: &[&str], place: &str) {
        for (key, item) in t.iter() {
            if !known.contains(&key) {
                let span = t.key(key).and_then(|k| k.span()).or_else(|| item.span());
                let hint = match closest(key, known) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!("known keys: {}", known.join(", ")),
                };
                self.problem(span, &format!("unknown key `{key}` in {place}"), &hint);
            }
        }
    }

    fn problem(&mut self, span: Option<Range<usize>>, message: &str, hint: &str) {
        let line = span.map(|s| self.line_of(s.start)).unwrap_or(1);
        self.problem_at(line, message, hint);
    }

    /// The 1-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    fn problem_at(&mut self, line: usize, message: &str, hint: &str) {
        self.problems.push(Problem {
            line,
            message: message.to_owned(),
            hint: hint.to_owned(),
        });
    }
}

/// Parses a cron expression exactly as tokio-cron-scheduler will (seconds required,
/// day-of-month AND day-of-week), so `check` accepts only what the daemon can run.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
}

pub fn default_user_agent() -> String {
    format!(
        "gleaner/{} (feed reader for a newsletter editor; +https://crates.io/crates/gleaner)",
        env!("CARGO_PKG_VERSION")
    )
}

fn as_number(item: &Item) -> Option<f64> {
    match item.as_value()? {
        Value::Float(f) => Some(*f.value()),
        Value::Integer(i) => Some(*i.value() as f64),
        _ => None,
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}

/// The known key nearest to a misspelled one, if it is near enough to be a typo.
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, Vec<Problem>> {
        Config::from_str(Path::new("/srv/g/feeds.toml"), text).map_err(|e| match e {
            ConfigError::Invalid { problems, .. } => problems,
            other => panic!("unexpected {other}"),
        })
    }

    #[test]
    fn defaults_apply_and_paths_resolve_against_the_config_folder() {
        let c = load("").unwrap();
        assert_eq!(c.settings.database, Path::new("/srv/g/data/gleaner.db"));
        assert_eq!(c.settings.shortlist_size, 20);
        assert_eq!(c.settings.timezone, chrono_tz::UTC);
        assert!(c.settings.user_agent.starts_with("gleaner/"));
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_line() {
        let text = r#"[settings]
timezone = "Mars/Olympus"
poll_schedul = "0 * * * * *"
shortlist_schedule = "every monday"

[[feed]]
name = "a"
url = "not a url"

[[feed]]
name = "a"
url = "https://a.example/feed"

[[feed]]
name = "a"
url = "https://b.example/feed"

[[rule]]
name = "bad"
pattern = '(unclosed'
weight = 1
"#;
        let problems = load(text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 8, 10, 14, 20], "{problems:#?}");
        assert!(
            problems[1].hint.contains("poll_schedule"),
            "{:?}",
            problems[1]
        );
        assert!(
            problems[4]
                .message
                .contains("duplicate feed name `a` (first on line 6)")
        );
        assert!(
            problems[5]
                .message
                .contains("duplicate feed name `a` (first on line 6)")
        );
    }

    #[test]
    fn rules_default_to_all_text_fields_and_reject_unknown_fields() {
        let huge = load("[[rule]]\nname='r'\npattern='\\w{5000}'\nweight=2\n").unwrap_err();
        assert!(huge[0].message.contains("size limit"), "{huge:?}");
        let ok = load("[[rule]]\nname='r'\npattern='x'\nweight=2\n").unwrap();
        assert_eq!(ok.rules[0].fields, Field::SCORED_BY_DEFAULT.to_vec());
        let bad = load("[[rule]]\nname='r'\npattern='x'\nweight=2\nfields=['body']\n").unwrap_err();
        assert_eq!(bad[0].line, 5);
        assert!(bad[0].message.contains("unknown field `body`"));
    }

    #[test]
    fn a_public_listener_needs_a_token() {
        assert_eq!(load("").unwrap().server.listen.to_string(), DEFAULT_LISTEN);
        let problems = load("[server]\nlisten = \"0.0.0.0:8311\"\n").unwrap_err();
        assert_eq!(problems[0].line, 2);
        assert!(problems[0].message.contains("has no token"));
        let ok = load("[server]\nlisten = \"0.0.0.0:8311\"\ntoken = \"s3cret\"\n").unwrap();
        assert_eq!(ok.server.token.as_deref(), Some("s3cret"));
    }

    #[test]
    fn toml_syntax_errors_name_their_line() {
        let problems = load("[settings]\ndatabase = \n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 2);
    }

    #[test]
    fn non_http_feed_urls_are_refused() {
        let problems = load("[[feed]]\nname='x'\nurl='file:///etc/passwd'\n").unwrap_err();
        assert!(problems[0].message.contains("not http(s)"));
    }
}
