//! The time: what "now" is for everything that decides weeks, schedules, backoff and
//! ages. Nothing else in gleaner reads the system clock.
//!
//! `GLEANER_NOW` (RFC 3339) makes the clock start at that instant and run on from
//! there, for tests: a test about weeks or schedules runs at Monday 00:30 or across a
//! DST change on any day, with timers and "overdue" still moving. `GLEANER_NOW_FILE`
//! names a file holding such an instant: whenever its content changes, the clock jumps
//! there and runs on, so a test moves a running daemon's clock (a poll going overdue)
//! instead of waiting for it.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, TimeDelta, Utc};

/// The environment variable that sets the clock's starting instant.
pub const NOW_ENV: &str = "GLEANER_NOW";

/// The environment variable naming a file whose instant the clock jumps to.
pub const NOW_FILE_ENV: &str = "GLEANER_NOW_FILE";

/// How far the clock is from the system's: zero unless `GLEANER_NOW` is set.
static OFFSET: OnceLock<TimeDelta> = OnceLock::new();

/// With `GLEANER_NOW_FILE`: the file, the instant last read from it and the offset
/// since then.
static NOW_FILE: OnceLock<(PathBuf, Mutex<(String, TimeDelta)>)> = OnceLock::new();

/// Reads `GLEANER_NOW` and `GLEANER_NOW_FILE`, if set; called once at start, before
/// anything asks the time.
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
    if let Some(path) = std::env::var_os(NOW_FILE_ENV).filter(|p| !p.is_empty()) {
        let _ = NOW_FILE.set((PathBuf::from(path), Mutex::new((String::new(), offset))));
    }
    Ok(())
}

/// The current time.
pub fn now() -> DateTime<Utc> {
    let real = Utc::now();
    match NOW_FILE.get() {
        Some((path, last)) => real + jump(path, last, real),
        None => real + *OFFSET.get_or_init(TimeDelta::zero),
    }
}

/// The offset from the system's clock: to the file's instant when it changed (an
/// unreadable file, or one being written, keeps the clock where it was).
fn jump(
    path: &std::path::Path,
    last: &Mutex<(String, TimeDelta)>,
    real: DateTime<Utc>,
) -> TimeDelta {
    let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
    if let Ok(text) = std::fs::read_to_string(path)
        && text.trim() != last.0
        && let Ok(at) = DateTime::parse_from_rfc3339(text.trim())
    {
        *last = (text.trim().to_owned(), at.with_timezone(&Utc) - real);
    }
    last.1
}
