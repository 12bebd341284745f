//! `gleaner check`: validates the config and says what it holds, and warns about what
//! is valid but probably not meant.

use std::collections::HashMap;
use std::path::Path;

use super::{Outcome, emit};
use crate::config::Config;
use crate::ingest::listing::article_key;
use crate::ingest::normalize::canonical_url;

pub(super) fn check(path: &Path) -> anyhow::Result<Outcome> {
    let config = Config::load(path)?;
    let mut out = format!(
        "{}: ok ({} feeds, {} rules, database {})\n",
        path.display(),
        config.feeds.len(),
        config.rules.len(),
        config.settings.database.display()
    );
    for warning in warnings(&config) {
        out.push_str(&format!("  {}:{warning}\n", path.display()));
    }
    emit(&out)?;
    Ok(Outcome::Done)
}

/// `line: warning: …; hint` for each thing valid but probably not meant: two feeds
/// under different names with one URL (every post would be fetched twice and credited
/// to the first), whatever its form (`www.` or not, `http` or `https`, a trailing
/// slash, tracking parameters).
fn warnings(config: &Config) -> Vec<String> {
    let mut first: HashMap<String, (&str, usize)> = HashMap::new();
    let mut out = Vec::new();
    for feed in &config.feeds {
        let key =
            article_key(&canonical_url(feed.url.as_str()).unwrap_or_else(|| feed.url.to_string()));
        match first.get(&key) {
            Some((name, line)) => out.push(format!(
                "{}: warning: feed `{}` has the URL of `{name}` (line {line}); remove one of them",
                feed.line, feed.name
            )),
            None => {
                first.insert(key, (&feed.name, feed.line));
            }
        }
    }
    out
}
