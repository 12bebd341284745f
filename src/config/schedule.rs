//! Schedules: cron expressions exactly as the daemon runs them, and their next firing in
//! the configured zone.

use chrono::{DateTime, Offset, Timelike, Utc};

/// Parses a cron expression exactly as tokio-cron-scheduler will (seconds required,
/// day-of-month AND day-of-week), so `check` accepts only what the daemon can run.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
}

/// The next time `expr` fires after `after`, in zone `tz`, following the zone's rules
/// (daylight-saving changes included).
///
/// croner alone skips the repeated hour when clocks go back (a `*/30` schedule would
/// wait 90 minutes); so the next match is also sought at the UTC offset in force at
/// `after`, and taken when it is sooner and the zone's own wall clock at that instant
/// matches too. A fixed time of day (`0 30 1 * * *`) still fires once.
pub fn next_cron(expr: &str, tz: chrono_tz::Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = parse_cron(expr).ok()?;
    // Firings are whole seconds; croner would carry a fraction of `after` into them.
    let after = after.with_nanosecond(0)?;
    // Inside a repeated hour croner may answer an earlier pass of a wall time: then
    // it is asked again from an hour on.
    let in_zone = [0, 1, 2].into_iter().find_map(|hours| {
        let from = after + chrono::TimeDelta::hours(hours);
        cron.find_next_occurrence(&from.with_timezone(&tz), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| *t > after)
    });
    let offset = after.with_timezone(&tz).offset().fix();
    let at_offset = cron
        .find_next_occurrence(&after.with_timezone(&offset), false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| {
            *t > after
                && cron
                    .is_time_matching(&t.with_timezone(&tz))
                    .unwrap_or(false)
        });
    match (in_zone, at_offset) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Mondays 08:00 in New York are 12:00 UTC in summer time and 13:00 after the
    /// clocks go back (2026-11-01); a fixed offset would keep firing at 12:00.
    #[test]
    fn next_firings_follow_the_zone_across_a_dst_change() {
        let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let cases = [
            ("2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z"),
            ("2026-10-26T12:00:00Z", "2026-11-02T13:00:00Z"),
            ("2026-11-02T13:00:00Z", "2026-11-09T13:00:00Z"),
            ("2027-03-08T13:00:00Z", "2027-03-15T12:00:00Z"),
        ];
        for (after, next) in cases {
            assert_eq!(
                next_cron("0 0 8 * * Mon", ny, utc(after)),
                Some(utc(next)),
                "after {after}"
            );
        }
        // Every 30 minutes through the repeated hour of 2026-11-01 (01:00-02:00 twice).
        let mut at = utc("2026-11-01T04:50:00Z");
        let mut firings = Vec::new();
        for _ in 0..5 {
            at = next_cron("0 */30 * * * *", ny, at).unwrap();
            firings.push(at.format("%H:%M").to_string());
        }
        assert_eq!(firings, ["05:00", "05:30", "06:00", "06:30", "07:00"]);
        // A fixed time inside the repeated hour fires once that night.
        let daily = |after: &str| next_cron("0 30 1 * * *", ny, utc(after)).unwrap();
        assert_eq!(daily("2026-11-01T05:00:00Z"), utc("2026-11-01T05:30:00Z"));
        assert_eq!(daily("2026-11-01T05:30:00Z"), utc("2026-11-02T06:30:00Z"));
    }
}
