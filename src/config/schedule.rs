//! Schedules: cron expressions exactly as the daemon runs them, and their next firing in
//! the configured zone.

use chrono::{DateTime, Utc};

/// Parses a cron expression exactly as tokio-cron-scheduler will (seconds required,
/// day-of-month AND day-of-week), so `check` accepts only what the daemon can run.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
}

/// The next time `expr` fires after `after`, in zone `tz`.
pub fn next_cron(expr: &str, tz: chrono_tz::Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = parse_cron(expr).ok()?;
    cron.find_next_occurrence(&after.with_timezone(&tz), false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
