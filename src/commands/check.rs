//! `gleaner check`: validates the config and says what it holds.

use std::path::Path;

use super::{Outcome, emit};
use crate::config::Config;

pub(super) fn check(path: &Path) -> anyhow::Result<Outcome> {
    let config = Config::load(path)?;
    emit(&format!(
        "{}: ok ({} feeds, {} rules, database {})\n",
        path.display(),
        config.feeds.len(),
        config.rules.len(),
        config.settings.database.display()
    ))?;
    Ok(Outcome::Done)
}
