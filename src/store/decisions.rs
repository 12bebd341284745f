//! The `decisions` table: the editor's decisions as a log. A post's state is its latest
//! decision not undone; undo marks that one undone, so the one before it applies again.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::posts::{POST_SELECT, post_from_row_at};
use super::{Result, Store, from_unix, sql_err};
use crate::model::{Decision, StoredPost};

impl Store {
    /// Records a decision on a post.
    pub fn decide(
        &mut self,
        post_id: i64,
        state: &str,
        note: Option<&str>,
        week: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO decisions (post_id, state, note, week, decided_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![post_id, state, note, week, now.timestamp()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Undoes a post's current decision; returns the state that was undone.
    pub fn undo(&mut self, post_id: i64) -> Result<Option<String>> {
        self.conn
            .query_row(
                "UPDATE decisions SET undone = 1
                 WHERE id = (SELECT max(id) FROM decisions WHERE post_id = ?1 AND undone = 0)
                 RETURNING state",
                [post_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn decision(&self, post_id: i64) -> Result<Option<Decision>> {
        self.conn
            .query_row(
                "SELECT state, note, week, decided_at FROM decisions
                 WHERE post_id = ?1 AND undone = 0 ORDER BY id DESC LIMIT 1",
                [post_id],
                |r| {
                    Ok(Decision {
                        state: r.get(0)?,
                        note: r.get(1)?,
                        week: r.get(2)?,
                        decided_at: from_unix(r.get(3)?).unwrap_or_default(),
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The posts picked in a week's queue, in the order they were picked, with notes.
    pub fn picked(&self, week: &str) -> Result<Vec<(StoredPost, Decision)>> {
        self.decided_where(
            "cur.state = 'picked' AND cur.week = ?1 AND cur.origin = 'editor'",
            week,
            "",
            "cur.decided_at, cur.id",
        )
    }

    /// Every decision made in a week's queue (deferrals are recorded under `next_week`),
    /// latest first.
    pub fn decided(&self, week: &str, next_week: &str) -> Result<Vec<(StoredPost, Decision)>> {
        self.decided_where(
            "cur.origin = 'editor' AND ((cur.state IN ('picked', 'rejected') AND cur.week = ?1) OR (cur.state = 'deferred' AND cur.week = ?2))",
            week,
            next_week,
            "cur.decided_at DESC, cur.id DESC",
        )
    }

    /// Every post whose current decision is picked or rejected, in the order decided.
    pub fn decided_all(&self) -> Result<Vec<(StoredPost, Decision)>> {
        self.decided_where(
            "cur.state IN ('picked', 'rejected') AND ?1 = ?1",
            "",
            "",
            "cur.decided_at, cur.id",
        )
    }

    /// What the learned score part trains on: feed, title, summary and whether it was
    /// picked, for every post currently picked or rejected (of a newsletter's archive,
    /// the blurb it was linked with stands for its summary; see also
    /// [`Store::archive_passed_over`]).
    pub fn training_examples(&self) -> Result<Vec<crate::model::Example>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.name, p.title,
                        CASE WHEN cur.origin = 'archive' THEN coalesce(cur.note, t.summary) ELSE t.summary END,
                        cur.state = 'picked'
                 FROM decisions cur JOIN posts p ON p.id = cur.post_id JOIN feeds f ON f.id = p.feed_id
                   JOIN post_texts t ON t.post_id = p.id
                 WHERE cur.undone = 0 AND cur.state IN ('picked', 'rejected')
                   AND cur.id = (SELECT max(id) FROM decisions WHERE post_id = cur.post_id AND undone = 0)
                 ORDER BY cur.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(crate::model::Example {
                    feed: r.get(0)?,
                    title: r.get(1)?,
                    summary: r.get(2)?,
                    picked: r.get(3)?,
                })
            })
            .map_err(|e| sql_err(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sql_err(&self.path, e))
    }

    fn decided_where(
        &self,
        filter: &str,
        week: &str,
        other_week: &str,
        order: &str,
    ) -> Result<Vec<(StoredPost, Decision)>> {
        let sql = format!(
            "{POST_SELECT}
             JOIN decisions cur ON cur.post_id = p.id AND cur.undone = 0
                  AND cur.id = (SELECT max(id) FROM decisions WHERE post_id = p.id AND undone = 0)
             WHERE ({filter}) AND ?2 = ?2 -- binds ?2 even when the filter does not use it
             ORDER BY {order}"
        );
        let sql = sql.replacen(
            "SELECT p.id,",
            "SELECT cur.state, cur.note, cur.week, cur.decided_at, p.id,",
            1,
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([week, other_week], |r| {
                let decision = Decision {
                    state: r.get(0)?,
                    note: r.get(1)?,
                    week: r.get(2)?,
                    decided_at: from_unix(r.get(3)?).unwrap_or_default(),
                };
                Ok((post_from_row_at(r, 4)?, decision))
            })
            .map_err(|e| sql_err(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sql_err(&self.path, e))
    }
}
