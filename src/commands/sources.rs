//! `gleaner sources`: sites to subscribe to, with their feeds found on the way; and
//! `gleaner sources dismiss SITE`.

use std::path::Path;

use anyhow::Context;
use futures_util::StreamExt;

use super::{Outcome, emit};
use crate::cli::{SourcesAction, TableFormat};
use crate::config::Config;
use crate::subscriptions::sources::{Source, set_feed, site_of, suggest};
use crate::subscriptions::{Asker, discover};

/// How long a site's discovered feed (or its lack of one) is trusted.
const REDISCOVER_AFTER_DAYS: i64 = 30;

pub(super) fn sources(
    config: &Config,
    db: &Path,
    action: Option<SourcesAction>,
    limit: usize,
    format: TableFormat,
) -> anyhow::Result<Outcome> {
    let store = crate::app::open_for_writing(config, db)?;
    if let Some(SourcesAction::Dismiss { site }) = action {
        let site = site_of(&site)
            .or_else(|| site_of(&format!("https://{site}")))
            .with_context(|| {
                format!("`{site}` is not a site; write it as `gleaner sources` shows it")
            })?;
        store.dismiss_site(&site)?;
        emit(&format!(
            "dismissed {site}: it will not be suggested again\n"
        ))?;
        return Ok(Outcome::Done);
    }
    let mut ranked = suggest(&store, config, limit)?;
    let mut states = store.site_states()?;
    discover_feeds(config, &store, &ranked, &mut states)?;
    // What discovery found; the ranking does not depend on it.
    for source in &mut ranked {
        set_feed(source, states.get(&source.site));
    }
    match format {
        TableFormat::Json => emit(&(serde_json::to_string_pretty(&ranked)? + "\n"))?,
        TableFormat::Table => emit(&table(&ranked))?,
    }
    if ranked.is_empty() {
        eprintln!(
            "no site to suggest yet: sites come from what aggregators link, your picks and `gleaner archive`"
        );
        return Ok(Outcome::NothingFound);
    }
    Ok(Outcome::Done)
}

/// Finds the feed of each listed site not checked lately, as `gleaner add` would (but
/// never on a private address unless `allow_private_articles`: the links came from
/// strangers), and caches what it found, or that the site answered with no feed. A
/// site that could not be reached is asked again next time.
fn discover_feeds(
    config: &Config,
    store: &crate::store::Store,
    ranked: &[Source],
    states: &mut std::collections::HashMap<String, crate::store::SiteState>,
) -> anyhow::Result<()> {
    let now = crate::clock::now();
    let stale = |site: &str| {
        states
            .get(site)
            .and_then(|s| s.checked_at)
            .is_none_or(|at| now - at > chrono::TimeDelta::days(REDISCOVER_AFTER_DAYS))
    };
    let due: Vec<(String, String)> = ranked
        .iter()
        .filter(|s| stale(&s.site))
        .map(|s| (s.site.clone(), s.home.clone()))
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    let fetcher = crate::ingest::fetch::Fetcher::new(&config.settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Several sites at once, as a poll fetches feeds (the fetcher keeps the per-host
    // limit): a sequential look at each of many sites took minutes.
    // What each site answered: its feed, or none; nothing for a site that could not be
    // reached (it is asked again next time).
    let answers: Vec<Option<(String, Option<String>)>> = runtime.block_on(
        futures_util::stream::iter(due)
            .map(|(site, home)| {
                let fetcher = &fetcher;
                async move {
                    match discover(fetcher, &home, Asker::Stranger).await {
                        Ok(found) => Some((site, Some(found.url))),
                        Err(no_feed) if no_feed.unreachable => None,
                        Err(_) => Some((site, None)),
                    }
                }
            })
            .buffer_unordered(config.settings.concurrency.max(1))
            .collect(),
    );
    for (site, found) in answers.into_iter().flatten() {
        store.set_site_feed(&site, found.as_deref(), now)?;
        let state = states.entry(site).or_default();
        state.feed_url = found;
        state.checked_at = Some(now);
    }
    Ok(())
}

fn table(sources: &[Source]) -> String {
    let mut out = String::new();
    for s in sources {
        let clean = |t: &str| t.chars().filter(|c| !c.is_control()).collect::<String>();
        out.push_str(&format!(
            "{}  picked {} · linked {} · candidates {} · via {}\n    {}\n",
            clean(&s.site),
            s.picked,
            s.linked,
            s.candidates,
            clean(&s.seen_via.join(", ")),
            s.subscribe.as_deref().map_or_else(
                || format!("no feed found at {}: `gleaner add PAGE --page` watches a page that lists its articles", clean(&s.home)),
                clean
            ),
        ));
    }
    out
}
