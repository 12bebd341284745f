//! `gleaner rescore`: applies the config's rules to every stored entry now.

use std::path::Path;

use super::{Outcome, emit};
use crate::config::Config;

/// Rescores every stored entry and says how.
pub(super) fn rescore(config: &Config, db: &Path) -> anyhow::Result<Outcome> {
    let mut store = crate::app::open_for_writing(config, db)?;
    let done = crate::rank::rescore::rescore(&mut store, config)?;
    emit(&format!(
        "rescored {} entries by {}; {} scores changed\n",
        done.scanned,
        done.how(),
        done.changed
    ))?;
    Ok(Outcome::Done)
}
