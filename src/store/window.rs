//! A week's whole queue window, read light: every undecided post the week's queue could
//! hold (its own, last week's late arrivals, deferrals carried over), whatever its
//! score, with only what ranking and counting need. The review page classifies these
//! (queued, held back by `max_per_feed`, below `min_score`: see
//! [`crate::review::overview`]) and reads in full only the posts it shows.

use rusqlite::named_params;

use super::{Result, Store, from_unix, sql_err};
use crate::week::IsoWeek;

/// One undecided post of a week's queue window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowPost {
    pub id: i64,
    pub feed: String,
    pub title: String,
    /// Its summary when asked for (the learned part reads it), else empty.
    pub summary: String,
    /// The stored score (rules, boost, sources).
    pub score: f64,
    pub effective_at: chrono::DateTime<chrono::Utc>,
    pub first_seen: chrono::DateTime<chrono::Utc>,
    pub carried_over: bool,
    pub late: bool,
}

impl Store {
    /// Every undecided post of `week`'s queue window (see [`Store::each_queued`], which
    /// reads the same three parts from a score up, lazily: the week's own, its late
    /// arrivals by `late_week`, the deferrals), in no particular order.
    /// Stories are read once (copies never), back catalogue never.
    pub fn window_posts(&self, week: IsoWeek, with_summary: bool) -> Result<Vec<WindowPost>> {
        let (_, end) = week.bounds(self.zone);
        let candidate = "p.backfill = 0 AND p.story_of IS NULL";
        let undecided =
            "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.post_id = p.id AND d.undone = 0)";
        let (summary, texts) = if with_summary {
            ("t.summary", "JOIN post_texts t ON t.post_id = p.id")
        } else {
            ("''", "")
        };
        let sql = format!(
            "SELECT p.id, f.name, p.title, {summary}, p.score, p.effective_at, p.first_seen, q.carried, q.late
             FROM (
               SELECT p.id AS id, 0 AS carried, 0 AS late FROM posts p
                WHERE p.week = :week AND {candidate} AND p.first_seen < :end AND {undecided}
               UNION ALL
               SELECT p.id, 0, 1 FROM posts p
                WHERE p.late_week = :week AND {candidate} AND {undecided}
               UNION ALL
               SELECT p.id, 1, 0 FROM decisions d CROSS JOIN posts p ON p.id = d.post_id
                WHERE d.undone = 0 AND d.state = 'deferred' AND d.week <= :label AND {candidate}
                  AND d.id = (SELECT max(id) FROM decisions WHERE post_id = d.post_id AND undone = 0)
             ) q CROSS JOIN posts p ON p.id = q.id JOIN feeds f ON f.id = p.feed_id {texts}"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                named_params! {
                    ":week": week.key(),
                    ":label": week.to_string(),
                    ":end": end.timestamp(),
                },
                |r| {
                    Ok(WindowPost {
                        id: r.get(0)?,
                        feed: r.get(1)?,
                        title: r.get(2)?,
                        summary: r.get(3)?,
                        score: r.get(4)?,
                        effective_at: from_unix(r.get(5)?).unwrap_or_default(),
                        first_seen: from_unix(r.get(6)?).unwrap_or_default(),
                        carried_over: r.get(7)?,
                        late: r.get(8)?,
                    })
                },
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sql_err(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{now, store_with_posts};
    use super::*;

    #[test]
    fn the_window_holds_every_undecided_post_and_a_reader_sees_it() {
        let (dir, mut s) = store_with_posts(3);
        s.decide(2, "picked", None, "2026-W48", now()).unwrap();
        let week = IsoWeek::containing(now(), chrono_tz::UTC);
        let mut ids: Vec<i64> = s
            .window_posts(week, false)
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        ids.sort();
        assert_eq!(ids, [1, 3]);

        // A reader of the same file reads the same, and cannot write.
        let mut reader = Store::open_reader(s.path()).unwrap();
        assert_eq!(reader.window_posts(week, true).unwrap().len(), 2);
        assert!(reader.decide(1, "picked", None, "2026-W48", now()).is_err());
        drop(dir);
    }

    #[test]
    fn a_reader_refuses_a_database_not_migrated_by_its_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert!(matches!(
            Store::open_reader(&path),
            Err(crate::store::StoreError::NotMigrated { .. })
        ));
    }
}
