//! What every entry point does first: open the database for a config, so that its
//! weeks are in the configured zone, its feeds are those of the config, and (for
//! anything that reads scores) its stored scores are those of the current rules.

use std::path::Path;

use crate::config::Config;
use crate::rank::rescore::rescore_if_stale;
use crate::store::{Store, StoreError};

/// Opens the store and fits it to the config (see [`apply_config`]).
pub fn open_store(config: &Config, db: &Path) -> Result<Store, StoreError> {
    let mut store = Store::open(db)?;
    apply_config(&mut store, config)?;
    Ok(store)
}

/// Opens the store to read it as it is, the config applied to nothing (a candidate
/// `--config` that `backtest` previews must not move the live database's feeds or
/// weeks); weeks stay in the zone the database was written in.
pub fn open_as_is(db: &Path) -> Result<Store, StoreError> {
    let mut store = Store::open(db)?;
    store.follow_zone()?;
    Ok(store)
}

/// What the store takes from the config: the zone its weeks are in, the points of the
/// `sources` part, and a row for every configured feed. (Stale scores are another
/// matter: [`open_scored`].)
pub fn apply_config(store: &mut Store, config: &Config) -> Result<(), StoreError> {
    store.use_zone(config.settings.timezone)?;
    store.use_source_points(config.settings.source_points);
    store.sync_feeds(
        config
            .feeds
            .iter()
            .map(|f| (f.name.as_str(), f.url.as_str())),
    )
}

/// [`open_store`] for a command that writes (a decision, a rescore, an archive, the
/// daemon at start): a damaged file is refused before anything is written into it
/// (SQLite would write into the pages it can still read, making it worse), whichever
/// pages the command itself would touch. Polls, and reading commands, meet the same
/// refusal when they reach a damaged page.
pub fn open_for_writing(config: &Config, db: &Path) -> Result<Store, StoreError> {
    let mut store = Store::open(db)?;
    store.check_intact()?;
    apply_config(&mut store, config)?;
    Ok(store)
}

/// [`open_store`], then rescored if the rules changed since the stored scores were
/// computed: what any command that shows scores opens.
pub fn open_scored(config: &Config, db: &Path) -> Result<Store, StoreError> {
    let mut store = open_store(config, db)?;
    rescore_if_stale(&mut store, config)?;
    Ok(store)
}

/// [`open_for_writing`], then rescored like [`open_scored`].
pub fn open_scored_for_writing(config: &Config, db: &Path) -> Result<Store, StoreError> {
    let mut store = open_for_writing(config, db)?;
    rescore_if_stale(&mut store, config)?;
    Ok(store)
}
