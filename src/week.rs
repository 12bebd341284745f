//! Weeks: ISO weeks (`2026-W48`) in the configured time zone, and which week an entry
//! belongs to. Pure.
//!
//! An entry belongs to the week of its published date. When that date is missing, in
//! the future (beyond a little clock skew), or implausibly old, it belongs to the week it
//! was first seen instead: feeds lie about dates far more often than they lie about
//! being new.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Earliest published date taken at face value (before blogs existed).
const PLAUSIBLE_SINCE: i64 = 788_918_400; // 1995-01-01T00:00:00Z
/// Clock skew tolerated for dates slightly in the future.
const FUTURE_SKEW_SECS: i64 = 36 * 3600;

/// An ISO 8601 week: year and week number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    pub year: i32,
    pub week: u32,
}

impl IsoWeek {
    /// The week holding `at`, seen in zone `tz`.
    pub fn containing(at: DateTime<Utc>, tz: Tz) -> IsoWeek {
        let w = at.with_timezone(&tz).iso_week();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    /// Monday of this week.
    fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("IsoWeek is only built from valid weeks")
    }

    /// The week as one sortable integer, `YYYYWW` (2026-W48 → 202648), as the store
    /// keeps it beside each post.
    pub fn key(self) -> i64 {
        i64::from(self.year) * 100 + i64::from(self.week)
    }

    /// The week of a [`IsoWeek::key`]; `None` for a number that is no valid week.
    pub fn from_key(key: i64) -> Option<IsoWeek> {
        let (year, week) = (
            i32::try_from(key / 100).ok()?,
            u32::try_from(key % 100).ok()?,
        );
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
        Some(IsoWeek { year, week })
    }

    /// `[start, end)` of this week in zone `tz`, as UTC instants.
    pub fn bounds(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            local_midnight(self.monday(), tz),
            local_midnight(self.next().monday(), tz),
        )
    }

    /// The week after (itself at the end of time: weeks are only built for years up to
    /// [`MAX_YEAR`], far from chrono's last date).
    pub fn next(self) -> IsoWeek {
        let Some(d) = self.monday().checked_add_days(chrono::Days::new(7)) else {
            return self;
        };
        let w = d.iso_week();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    pub fn previous(self) -> IsoWeek {
        let Some(d) = self.monday().checked_sub_days(chrono::Days::new(7)) else {
            return self;
        };
        let w = d.iso_week();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }
}

/// The first instant of `date` in `tz` (a DST gap at midnight moves it forward).
fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..4 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(30);
    }
    tz.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .with_timezone(&Utc)
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// The years a week may be named in.
pub const MIN_YEAR: i32 = 1970;
pub const MAX_YEAR: i32 = 9999;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("bad week `{0}`: use this, last, or an ISO week like 2026-W48 (years 1970 to 9999)")]
pub struct BadWeek(pub String);

impl FromStr for IsoWeek {
    type Err = BadWeek;

    fn from_str(s: &str) -> Result<IsoWeek, BadWeek> {
        let bad = || BadWeek(s.to_owned());
        let (year, week) = s.trim().split_once(['-', 'W', 'w']).ok_or_else(bad)?;
        let week = week.trim_start_matches(['W', 'w']);
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(bad());
        }
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(IsoWeek { year, week })
    }
}

/// A week as the user names it on the command line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeekSpec {
    This,
    Last,
    Exact(IsoWeek),
}

impl WeekSpec {
    pub fn resolve(self, now: DateTime<Utc>, tz: Tz) -> IsoWeek {
        let this = IsoWeek::containing(now, tz);
        match self {
            WeekSpec::This => this,
            WeekSpec::Last => this.previous(),
            WeekSpec::Exact(w) => w,
        }
    }
}

impl FromStr for WeekSpec {
    type Err = BadWeek;

    fn from_str(s: &str) -> Result<WeekSpec, BadWeek> {
        match s.trim().to_ascii_lowercase().as_str() {
            "this" | "" => Ok(WeekSpec::This),
            "last" => Ok(WeekSpec::Last),
            _ => s.parse().map(WeekSpec::Exact),
        }
    }
}

/// The instant that decides an entry's week: its published date when plausible, else
/// when gleaner first saw it.
pub fn effective_time(
    published: Option<DateTime<Utc>>,
    first_seen: DateTime<Utc>,
) -> DateTime<Utc> {
    match published {
        Some(p) if is_plausible(p, first_seen) => p,
        _ => first_seen,
    }
}

/// The queue a post first seen after its own week ended belongs to: the week it was
/// first seen (the editor could not have seen it in its own), so no post is lost. A
/// feed's first poll brings its back catalogue, which is not late: those posts stay in
/// their own weeks.
pub fn late_week(
    effective: DateTime<Utc>,
    first_seen: DateTime<Utc>,
    first_poll: bool,
    tz: Tz,
) -> Option<IsoWeek> {
    let (own, seen) = (
        IsoWeek::containing(effective, tz),
        IsoWeek::containing(first_seen, tz),
    );
    (!first_poll && seen > own).then_some(seen)
}

/// Whether a published date can be believed, given when the entry was first seen.
pub fn is_plausible(published: DateTime<Utc>, first_seen: DateTime<Utc>) -> bool {
    let t = published.timestamp();
    t >= PLAUSIBLE_SINCE && t <= first_seen.timestamp() + FUTURE_SKEW_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weeks_parse_and_print() {
        assert_eq!(
            "2026-W48".parse::<IsoWeek>().unwrap(),
            IsoWeek {
                year: 2026,
                week: 48
            }
        );
        assert_eq!(
            "2026W05".parse::<IsoWeek>().unwrap().to_string(),
            "2026-W05"
        );
        assert!("2026-W54".parse::<IsoWeek>().is_err());
        assert!("next".parse::<WeekSpec>().is_err());
        assert_eq!("LAST".parse::<WeekSpec>().unwrap(), WeekSpec::Last);
        // Years chrono cannot step past (`?week=262143-W01` once panicked) are refused.
        for bad in ["262143-W01", "10000-W01", "1969-W52", "-5-W01"] {
            assert!(bad.parse::<IsoWeek>().is_err(), "{bad}");
        }
        let last: IsoWeek = "9999-W52".parse().unwrap();
        assert_eq!(last.next().to_string(), "10000-W01");
        assert_eq!(IsoWeek::from_key(last.key()), Some(last));
        assert_eq!(IsoWeek::from_key(202654), None);
    }

    /// A post first seen after its week ended is late, in the week it was first seen,
    /// however long after; never on its feed's first poll.
    #[test]
    fn posts_first_seen_after_their_week_are_late() {
        let tz = chrono_tz::UTC;
        let seen = utc("2026-11-30T00:30:00Z"); // Monday of 2026-W49
        let cases = [
            ("2026-11-29T23:30:00Z", false, Some("2026-W49")),
            ("2026-11-12T12:00:00Z", false, Some("2026-W49")),
            ("2026-11-30T00:10:00Z", false, None),
            ("2026-11-12T12:00:00Z", true, None),
        ];
        for (published, first_poll, late) in cases {
            let got = late_week(utc(published), seen, first_poll, tz).map(|w| w.to_string());
            assert_eq!(got.as_deref(), late, "{published} first poll {first_poll}");
        }
    }

    #[test]
    fn sunday_night_and_monday_morning_in_a_zone_are_different_weeks() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // Sunday 2026-11-22 23:59 in New York is Monday 04:59 UTC.
        let sunday = utc("2026-11-23T04:59:00Z");
        let monday = utc("2026-11-23T05:00:00Z");
        assert_eq!(IsoWeek::containing(sunday, tz).to_string(), "2026-W47");
        assert_eq!(IsoWeek::containing(monday, tz).to_string(), "2026-W48");
        assert_eq!(
            IsoWeek::containing(sunday, chrono_tz::UTC).to_string(),
            "2026-W48"
        );
        let (start, end) = IsoWeek {
            year: 2026,
            week: 48,
        }
        .bounds(tz);
        assert_eq!(start, monday);
        assert_eq!(end, utc("2026-11-30T05:00:00Z"));
    }

    #[test]
    fn year_boundaries_and_dst() {
        let w = IsoWeek {
            year: 2026,
            week: 53,
        };
        assert_eq!(w.next().to_string(), "2027-W01");
        assert_eq!(
            IsoWeek {
                year: 2027,
                week: 1
            }
            .previous(),
            w
        );
        // The week of the March 2026 DST change in Berlin is 167 hours long.
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let (s, e) = IsoWeek {
            year: 2026,
            week: 13,
        }
        .bounds(tz);
        assert_eq!((e - s).num_hours(), 167);
    }

    #[test]
    fn implausible_dates_fall_back_to_first_seen() {
        let seen = utc("2026-11-23T12:00:00Z");
        let cases = [
            (Some("2026-11-20T00:00:00Z"), "2026-11-20T00:00:00Z"),
            (Some("2026-11-24T12:00:00Z"), "2026-11-24T12:00:00Z"), // within skew
            (Some("2027-01-01T00:00:00Z"), "2026-11-23T12:00:00Z"), // future
            (Some("1970-01-01T00:00:00Z"), "2026-11-23T12:00:00Z"), // epoch
            (None, "2026-11-23T12:00:00Z"),
        ];
        for (published, want) in cases {
            assert_eq!(
                effective_time(published.map(utc), seen),
                utc(want),
                "{published:?}"
            );
        }
    }
}
