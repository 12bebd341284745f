//! The `decisions` table: the editor's decisions as a log. A post's state is its latest
//! decision not undone; undo marks that one undone, so the one before it applies again.
//! A decision's note (a pick's blurb, a rejection's reason) can be edited in place; the
//! decisions one action made together share a `batch` and are undone together; a
//! pick's `position` orders the draft once the editor moved it.

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

    /// Records the same decision on several posts at once (each with the week it is
    /// recorded under), in one transaction, as one batch; returns the batch.
    pub fn decide_batch(
        &mut self,
        posts: &[(i64, String)],
        state: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
        let batch: i64 = tx
            .query_row(
                "SELECT coalesce(max(batch), 0) + 1 FROM decisions",
                [],
                |r| r.get(0),
            )
            .map_err(|e| sql_err(&path, e))?;
        for (post_id, week) in posts {
            tx.execute(
                "INSERT INTO decisions (post_id, state, note, week, decided_at, batch)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![post_id, state, note, week, now.timestamp(), batch],
            )
            .map_err(|e| sql_err(&path, e))?;
        }
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(batch)
    }

    /// Undoes every decision of a batch that is still its post's current one; returns
    /// how many were undone.
    pub fn undo_batch(&mut self, batch: i64) -> Result<usize> {
        self.conn
            .execute(
                "UPDATE decisions SET undone = 1
                 WHERE batch = ?1 AND undone = 0
                   AND id = (SELECT max(id) FROM decisions d WHERE d.post_id = decisions.post_id AND d.undone = 0)",
                [batch],
            )
            .map_err(|e| self.err(e))
    }

    /// Replaces the note of a post's current decision (`None` clears it); returns that
    /// decision's state, or `None` when the post has no decision.
    pub fn set_note(&mut self, post_id: i64, note: Option<&str>) -> Result<Option<String>> {
        self.conn
            .query_row(
                "UPDATE decisions SET note = ?2
                 WHERE id = (SELECT max(id) FROM decisions WHERE post_id = ?1 AND undone = 0)
                 RETURNING state",
                params![post_id, note],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The note of the post's latest pick or deferral, undone ones included: what a
    /// new pick or deferral without a note of its own keeps, so that picking again,
    /// or after an undo, never wipes a blurb (a rejection's note is a reason, not a
    /// blurb, and is not carried).
    pub fn carried_note(&self, post_id: i64) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT note FROM decisions WHERE post_id = ?1 AND state IN ('picked', 'deferred')
                 ORDER BY id DESC LIMIT 1",
                [post_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.err(e))
    }

    /// Puts a week's picks in the draft in this order (posts not picked in that week
    /// are ignored; picks not listed come after, in the order picked).
    pub fn set_draft_order(&mut self, week: &str, post_ids: &[i64]) -> Result<()> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
        tx.execute(
            "UPDATE decisions SET position = NULL WHERE week = ?1 AND state = 'picked' AND undone = 0",
            [week],
        )
        .map_err(|e| sql_err(&path, e))?;
        for (position, post_id) in post_ids.iter().enumerate() {
            tx.execute(
                "UPDATE decisions SET position = ?3
                 WHERE id = (SELECT max(id) FROM decisions WHERE post_id = ?1 AND undone = 0)
                   AND state = 'picked' AND week = ?2",
                params![post_id, week, position as i64],
            )
            .map_err(|e| sql_err(&path, e))?;
        }
        tx.commit().map_err(|e| sql_err(&path, e))
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
                "SELECT state, note, week, decided_at, batch FROM decisions
                 WHERE post_id = ?1 AND undone = 0 ORDER BY id DESC LIMIT 1",
                [post_id],
                |r| {
                    Ok(Decision {
                        state: r.get(0)?,
                        note: r.get(1)?,
                        week: r.get(2)?,
                        decided_at: from_unix(r.get(3)?).unwrap_or_default(),
                        batch: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The posts picked in a week's queue, in the draft's order (see
    /// [`Store::set_draft_order`]; else the order they were picked), with notes.
    pub fn picked(&self, week: &str) -> Result<Vec<(StoredPost, Decision)>> {
        self.decided_where(
            "cur.state = 'picked' AND cur.week = ?1 AND cur.origin = 'editor'",
            week,
            "",
            "cur.position IS NULL, cur.position, cur.decided_at, cur.id",
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
            "SELECT cur.state, cur.note, cur.week, cur.decided_at, cur.batch, p.id,",
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
                    batch: r.get(4)?,
                };
                Ok((post_from_row_at(r, 5)?, decision))
            })
            .map_err(|e| sql_err(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sql_err(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{now, store_with_posts};
    use super::*;

    fn state_and_note(s: &Store, id: i64) -> Option<(String, Option<String>)> {
        s.decision(id).unwrap().map(|d| (d.state, d.note))
    }

    #[test]
    fn a_batch_is_undone_at_once_but_not_over_later_decisions() {
        let (_dir, mut s) = store_with_posts(4);
        let posts: Vec<(i64, String)> = (1..=3).map(|id| (id, "2026-W48".to_owned())).collect();
        let batch = s
            .decide_batch(&posts, "rejected", Some("all vendor"), now())
            .unwrap();
        assert_eq!(s.decision(2).unwrap().unwrap().batch, Some(batch));
        // Post 3 is decided again after the batch: the batch's undo leaves it alone.
        s.decide(3, "picked", Some("worth it"), "2026-W48", now())
            .unwrap();
        assert_eq!(s.undo_batch(batch).unwrap(), 2);
        assert_eq!(state_and_note(&s, 1), None);
        assert_eq!(state_and_note(&s, 2), None);
        assert_eq!(
            state_and_note(&s, 3),
            Some(("picked".into(), Some("worth it".into())))
        );
        assert_eq!(s.undo_batch(batch).unwrap(), 0, "nothing left to undo");
    }

    #[test]
    fn notes_are_edited_in_place_and_carried_to_the_next_pick() {
        let (_dir, mut s) = store_with_posts(2);
        assert_eq!(s.set_note(1, Some("x")).unwrap(), None, "no decision yet");
        s.decide(1, "picked", Some("First blurb."), "2026-W48", now())
            .unwrap();
        assert_eq!(
            s.set_note(1, Some("Better blurb.")).unwrap().as_deref(),
            Some("picked")
        );
        assert_eq!(s.carried_note(1).unwrap().as_deref(), Some("Better blurb."));
        // Undone, the pick's blurb is still what a new pick keeps.
        s.undo(1).unwrap();
        assert_eq!(s.carried_note(1).unwrap().as_deref(), Some("Better blurb."));
        // A rejection's note is a reason, not a blurb.
        s.decide(2, "rejected", Some("vendor pitch"), "2026-W48", now())
            .unwrap();
        assert_eq!(s.carried_note(2).unwrap(), None);
        // Cleared, nothing is carried.
        s.decide(1, "picked", Some("Again."), "2026-W48", now())
            .unwrap();
        s.set_note(1, None).unwrap();
        assert_eq!(s.carried_note(1).unwrap(), None);
    }

    #[test]
    fn the_draft_order_is_the_editors_then_the_order_picked() {
        let (_dir, mut s) = store_with_posts(4);
        for id in 1..=3 {
            s.decide(id, "picked", None, "2026-W48", now()).unwrap();
        }
        let order = |s: &Store| -> Vec<i64> {
            s.picked("2026-W48")
                .unwrap()
                .into_iter()
                .map(|(p, _)| p.id)
                .collect()
        };
        assert_eq!(order(&s), [1, 2, 3]);
        s.set_draft_order("2026-W48", &[3, 1, 2]).unwrap();
        assert_eq!(order(&s), [3, 1, 2]);
        // A later pick comes after the arranged ones.
        s.decide(4, "picked", None, "2026-W48", now()).unwrap();
        assert_eq!(order(&s), [3, 1, 2, 4]);
    }
}
