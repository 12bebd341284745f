//! The time: what "now" is for everything that decides weeks, schedules, backoff and
//! ages. Nothing else in gleaner reads the system clock.
//!
//! `GLEANER_NOW` (RFC 3339) makes the clock start at that instant and run on from
//! there, for tests: a test about weeks or schedules runs at Monday 00:30 or across a
//! DST change on any day, with timers and "overdue" still moving.

use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, Utc};

/// The environment variable that sets the clock's starting instant.
pub const NOW_ENV: &str = "GLEANER_NOW";

/// How far the clock is from the system's: zero unless `GLEANER_NOW` is set.
static OFFSET: OnceLock<TimeDelta> = OnceLock::new();

/// Reads `GLEANER_NOW`, if set; called once at start, before anything asks the time.
pub fn init() -> Result<(), String> {
    let offset = match std::env::var(NOW_ENV) {
        Ok(text) if !text.trim().is_empty() => {
            let start = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
                format!("{NOW_ENV}={text} is not an RFC 3339 time ({e}); unset it or write e.g. 2026-11-30T00:30:00Z")
            })?;
            start.with_timezone(&Utc) - Utc::now()
        }
        _ => TimeDelta::zero(),
    };
    let _ = OFFSET.set(offset);
    Ok(())
}

/// The current time.
pub fn now() -> DateTime<Utc> {
    Utc::now() + *OFFSET.get_or_init(TimeDelta::zero)
}
