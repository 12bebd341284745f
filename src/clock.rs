//! The time: what "now" is for everything that decides weeks, schedules, backoff and
//! ages.

use chrono::{DateTime, Utc};

/// The current time.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}
