//! Dates feed-rs cannot parse itself: no zone, odd layouts, RFC 2822 with extra words.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Lenient date parsing: RFC 3339 / ISO 8601 (with or without zone), RFC 2822 and its
/// common misspellings, and bare dates. A date without a zone is taken as UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() || t.len() > 100 {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(t) {
        return Some(dt.with_timezone(&Utc));
    }
    let cleaned = clean_rfc2822(t);
    if let Ok(dt) = DateTime::parse_from_rfc2822(&cleaned) {
        return Some(dt.with_timezone(&Utc));
    }
    const ZONED: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%a, %d %b %Y %H:%M %z",
        "%d %b %Y %H:%M:%S %z",
    ];
    for f in ZONED {
        if let Ok(dt) = DateTime::parse_from_str(t, f) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    const NAIVE: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%a, %d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M:%S",
    ];
    for f in NAIVE {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt.and_utc());
        }
    }
    for f in ["%Y-%m-%d", "%Y%m%d", "%d %b %Y", "%B %d, %Y", "%b %d, %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc());
        }
    }
    // A trailing zone name chrono does not know ("… 10:00:00 CEST"): read it as UTC
    // rather than losing the date.
    let (head, _) = t.rsplit_once(' ')?;
    if head.len() < t.len() && head.contains(':') {
        for f in ["%a, %d %b %Y %H:%M:%S", "%d %b %Y %H:%M:%S"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(head.trim(), f) {
                return Some(dt.and_utc());
            }
        }
    }
    None
}

/// Fixes common RFC 2822 deviations: full day/month names, missing seconds, `UTC`.
fn clean_rfc2822(t: &str) -> String {
    let mut s = t.replace(" UTC", " +0000").replace(" Z", " +0000");
    for (long, short) in [
        ("Monday", "Mon"),
        ("Tuesday", "Tue"),
        ("Wednesday", "Wed"),
        ("Thursday", "Thu"),
        ("Friday", "Fri"),
        ("Saturday", "Sat"),
        ("Sunday", "Sun"),
        ("January", "Jan"),
        ("February", "Feb"),
        ("March", "Mar"),
        ("April", "Apr"),
        ("June", "Jun"),
        ("July", "Jul"),
        ("August", "Aug"),
        ("September", "Sep"),
        ("Sept", "Sep"),
        ("October", "Oct"),
        ("November", "Nov"),
        ("December", "Dec"),
        ("Tues", "Tue"),
        ("Thur", "Thu"),
    ] {
        s = s.replace(long, short);
    }
    s
}
