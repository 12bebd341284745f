//! Reading `feeds.toml`: the document is walked section by section, collecting every
//! problem (unknown keys, wrong types, bad values) with its line instead of stopping at
//! the first. The checks of single values are in `values`.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml_edit::{Item, Table};

use super::*;

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
    "fetch_articles",
    "article_min_words",
    "article_budget",
    "allow_private_articles",
];
const FIELD_WEIGHT_KEYS: &[&str] = &["title", "summary", "content", "article", "url", "author"];
const FEED_KEYS: &[&str] = &[
    "name",
    "url",
    "org",
    "boost",
    "tags",
    "kind",
    "fetch_articles",
    "links",
];
const RULE_KEYS: &[&str] = &["name", "pattern", "weight", "fields"];
const TOP_KEYS: &[&str] = &["settings", "server", "notify", "learning", "feed", "rule"];
const LEARNING_KEYS: &[&str] = &["enabled", "min_each", "max_points"];
const NOTIFY_KEYS: &[&str] = &["webhook", "review_url", "top"];
const SERVER_KEYS: &[&str] = &["listen", "token", "allowed_hosts"];

/// The largest list a config may ask for (`shortlist_size`, `max_per_feed`).
pub(super) const MAX_LIST: usize = 10_000;
/// The largest number of points a weight, boost or threshold may be, either way.
const POINTS: f64 = 1_000_000.0;

/// Walks the document, collecting problems instead of stopping at the first.
pub(super) struct Reader {
    /// Byte offset at which each line starts, to turn spans into line numbers in
    /// O(log n) (a feed list may hold thousands of entries).
    pub(super) line_starts: Vec<usize>,
    pub(super) problems: Vec<Problem>,
}

impl Reader {
    pub(super) fn config(&mut self, path: &Path, base: &Path, root: &Table) -> Config {
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
        // Bounded so that the rules still matter.
        let max_points = self
            .number(t, "max_points", 0.0..=100.0)
            .unwrap_or(defaults.max_points);
        LearningConfig {
            enabled: self.boolean(t, "enabled", defaults.enabled),
            min_each: self.count(t, "min_each", defaults.min_each, 1..=1_000_000),
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
            top: self.count(t, "top", 10, 1..=100),
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
                allowed_hosts: Vec::new(),
            };
        };
        let token = self.string(t, "token").filter(|tok| !tok.is_empty());
        let allowed_hosts = self.allowed_hosts(t);
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
        ServerConfig {
            listen,
            token,
            allowed_hosts,
        }
    }

    /// `allowed_hosts`: names or `name:port`, no scheme, path or spaces.
    fn allowed_hosts(&mut self, t: &Table) -> Vec<String> {
        let names = self.string_list(t, "allowed_hosts").unwrap_or_default();
        let mut out = Vec::new();
        for name in names {
            let ok = !name.is_empty()
                && !name.contains("://")
                && !name.contains(['/', ' ', '@', '?', '#']);
            if ok {
                out.push(name.to_ascii_lowercase());
            } else {
                self.problem(
                    t.get("allowed_hosts").and_then(Item::span),
                    &format!("`{name}` in allowed_hosts is not a host name"),
                    "give names as the browser's address bar shows them, without http://: \"gleaner.lan\" or \"gleaner.lan:8311\"",
                );
            }
        }
        out
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
            shortlist_size: self.count(t, "shortlist_size", 20, 1..=MAX_LIST),
            min_score: self.number(t, "min_score", -POINTS..=POINTS).unwrap_or(1.0),
            max_per_feed: self.count(t, "max_per_feed", 3, 0..=MAX_LIST),
            source_points: self
                .number(t, "source_points", -POINTS..=POINTS)
                .unwrap_or(0.5),
            concurrency: self.count(t, "concurrency", 16, 1..=1024),
            per_host_concurrency: self.count(t, "per_host_concurrency", 2, 1..=256),
            connect_timeout: Duration::from_secs(
                self.count(t, "connect_timeout_secs", 10, 1..=600) as u64,
            ),
            request_timeout: Duration::from_secs(
                self.count(t, "request_timeout_secs", 30, 1..=3600) as u64,
            ),
            max_body_bytes: self.count(t, "max_body_bytes", 10 * 1024 * 1024, 1024..=1 << 30)
                as u64,
            max_redirects: self.count(t, "max_redirects", 5, 0..=20),
            user_agent: self
                .string(t, "user_agent")
                .unwrap_or_else(default_user_agent),
            max_backoff: Duration::from_secs(self.count(
                t,
                "max_backoff_secs",
                6 * 3600,
                60..=30 * 86_400,
            ) as u64),
            respect_cache_control: self.boolean(t, "respect_cache_control", true),
            field_weights,
            fetch_articles: self.fetch_mode(t).unwrap_or(FetchArticles::Auto),
            article_min_words: self.count(t, "article_min_words", 150, 0..=100_000),
            article_budget: self.count(t, "article_budget", 200, 0..=100_000),
            allow_private_articles: self.boolean(t, "allow_private_articles", false),
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
                "write [settings.field_weights] with title/summary/content/article/url/author numbers",
            );
            return weights;
        };
        // The article stands in for the content: weighed alike unless told otherwise.
        let article_set = table.get("article").is_some();
        for (key, value) in table.iter() {
            let slot = match key {
                "title" => &mut weights.title,
                "summary" => &mut weights.summary,
                "content" => &mut weights.content,
                "article" => &mut weights.article,
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
            if let Some(n) = self.number_in(value, key, -100.0..=100.0) {
                *slot = n;
            }
        }
        if !article_set {
            weights.article = weights.content;
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
            let boost = self.number(table, "boost", -POINTS..=POINTS).unwrap_or(0.0);
            let tags = self.string_list(table, "tags").unwrap_or_default();
            let kind = self.feed_kind(table);
            let fetch_articles = self.fetch_mode(table);
            let links = self.article_links(table, kind, url.as_ref());
            if let Some(name) = &name {
                if name == crate::model::ARCHIVE_FEED {
                    self.problem_at(
                        line,
                        &format!("the feed name `{name}` is gleaner's own, for posts known only from a newsletter's archive"),
                        "choose another name",
                    );
                    continue;
                }
                // Outputs list feeds by name, and the store separates them with
                // control characters.
                if name.chars().any(char::is_control) {
                    self.problem_at(
                        line,
                        &format!("feed name {name:?} holds a control character"),
                        "use printable characters only",
                    );
                    continue;
                }
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
                kind,
                fetch_articles,
                links,
                line,
            });
        }
        feeds
    }

    /// `fetch_articles`, in `[settings]` or a `[[feed]]`.
    fn fetch_mode(&mut self, t: &Table) -> Option<FetchArticles> {
        let text = self.string(t, "fetch_articles")?;
        let mode = FetchArticles::parse(&text);
        if mode.is_none() {
            self.problem(
                t.get("fetch_articles").and_then(Item::span),
                &format!("unknown fetch_articles `{text}`"),
                "use \"auto\" (aggregator items and short entries), \"always\" or \"never\"",
            );
        }
        mode
    }

    fn feed_kind(&mut self, t: &Table) -> Option<FeedKind> {
        let text = self.string(t, "kind")?;
        match text.as_str() {
            "aggregator" => Some(FeedKind::Aggregator),
            "blog" => Some(FeedKind::Blog),
            "page" => Some(FeedKind::Page),
            _ => {
                self.problem(
                    t.get("kind").and_then(Item::span),
                    &format!("unknown feed kind `{text}`"),
                    "use \"aggregator\" (entries link other sites' articles), \"blog\" or \"page\" (an HTML page listing a site's articles); unset, Hacker News, Lobsters and Reddit feeds are detected",
                );
                None
            }
        }
    }

    fn rules(&mut self, item: Option<&Item>) -> Vec<RuleConfig> {
        let mut rules: Vec<RuleConfig> = Vec::new();
        for (table, span) in self.array_of_tables(item, "rule") {
            self.unknown_keys(table, RULE_KEYS, "[[rule]]");
            let line = span.clone().map(|s| self.line_of(s.start)).unwrap_or(1);
            let name = self.required_string(table, "name", span.clone(), "[[rule]]");
            let pattern = self.pattern(table, span.clone());
            let weight = self.number(table, "weight", -POINTS..=POINTS);
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
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub(super) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}
