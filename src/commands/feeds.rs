//! `gleaner feeds`: every feed's health, problems first.

use std::path::Path;

use super::{Outcome, emit};
use crate::cli::TableFormat;
use crate::clock;
use crate::config::{Config, next_cron};
use crate::render::json_csv::feeds_json;
use crate::render::tables::{FeedView, feeds_table};

pub(super) fn feeds(config: &Config, db: &Path, format: TableFormat) -> anyhow::Result<Outcome> {
    let store = crate::app::open_store(config, db)?;
    let names: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
    let next_scheduled = next_cron(
        &config.settings.poll_schedule,
        config.settings.timezone,
        clock::now(),
    );
    let mut views: Vec<FeedView> = store
        .feed_health(&names)?
        .into_iter()
        .map(|h| {
            let org = config.feed(&h.name).and_then(|f| f.org.clone());
            FeedView::new(h, org, next_scheduled)
        })
        .collect();
    // Problems first: gone, then failing, then the rest in config order.
    views.sort_by_key(|v| match v.status.as_str() {
        "gone" => 0,
        "error" => 1,
        _ => 2,
    });
    emit(&match format {
        TableFormat::Table => feeds_table(&views, config.settings.timezone),
        TableFormat::Json => feeds_json(&views),
    })?;
    if views.is_empty() {
        eprintln!("no feed is configured: add one with `gleaner add URL`");
        return Ok(Outcome::NothingFound);
    }
    Ok(Outcome::Done)
}
