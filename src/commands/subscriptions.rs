//! Editing subscriptions: `add` (finding the feed behind a URL), `remove`, `import` and
//! `export` (OPML).

use std::path::Path;

use anyhow::Context;

use super::{Outcome, emit};
use crate::config::Config;
use crate::subscriptions::{self, FeedsFile, NewFeed, Refusal};

pub(super) fn add(
    config: &Config,
    url: &str,
    name: Option<String>,
    org: Option<String>,
) -> anyhow::Result<Outcome> {
    let mut file = FeedsFile::open(&config.path)?;
    if let Some(by) = file.subscribed_as(url) {
        anyhow::bail!("{url} is already subscribed as `{by}`");
    }
    let fetcher = crate::ingest::fetch::Fetcher::new(&config.settings)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let found = runtime
        .block_on(subscriptions::discover(&fetcher, url))
        .map_err(anyhow::Error::msg)?;
    let name = match name {
        Some(name) => name,
        None => file.free_name(
            found
                .title
                .as_deref()
                .unwrap_or_else(|| host_of(&found.url)),
        ),
    };
    let feed = NewFeed {
        name: name.clone(),
        url: found.url.clone(),
        org,
        tags: Vec::new(),
    };
    file.add(&feed)
        .map_err(|refusal| anyhow::anyhow!("{refusal}"))?;
    file.save()?;
    emit(&format!("added `{name}`: {}\n", found.url))?;
    Ok(Outcome::Done)
}

fn host_of(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(url)
}

pub(super) fn import(config: &Config, opml: &Path) -> anyhow::Result<Outcome> {
    let text =
        std::fs::read_to_string(opml).with_context(|| format!("cannot read {}", opml.display()))?;
    let feeds = subscriptions::parse_opml(&text).with_context(|| format!("{}", opml.display()))?;
    let mut file = FeedsFile::open(&config.path)?;
    let (mut added, mut present, mut invalid) = (0, 0, Vec::new());
    for feed in feeds {
        if file.subscribed_as(&feed.xml_url).is_some() {
            present += 1;
            continue;
        }
        let new = NewFeed {
            name: file.free_name(&feed.title),
            url: feed.xml_url.clone(),
            org: None,
            tags: feed.tags,
        };
        match file.add(&new) {
            Ok(()) => added += 1,
            Err(Refusal::BadUrl(url)) => invalid.push(url),
            Err(other) => anyhow::bail!("{other}"),
        }
    }
    file.save()?;
    emit(&format!(
        "imported {added} feeds; {present} already subscribed; {} skipped as not http(s)\n",
        invalid.len()
    ))?;
    for url in invalid {
        emit(&format!("  skipped: {url}\n"))?;
    }
    Ok(Outcome::Done)
}

pub(super) fn export(config: &Config, output: Option<&Path>) -> anyhow::Result<Outcome> {
    let opml = subscriptions::export_opml(config);
    match output {
        Some(path) => crate::files::write_atomically(path, opml.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => emit(&opml)?,
    }
    Ok(Outcome::Done)
}

pub(super) fn remove(config: &Config, name: &str) -> anyhow::Result<Outcome> {
    let mut file = FeedsFile::open(&config.path)?;
    if !file.remove(name) {
        eprintln!("no feed named `{name}` in {}", config.path.display());
        return Ok(Outcome::NothingFound);
    }
    file.save()?;
    emit(&format!(
        "removed `{name}` (its stored entries stay in the database)\n"
    ))?;
    Ok(Outcome::Done)
}
