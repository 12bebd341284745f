//! Bulk updates: a rescore reads every post in id order, with only the fields its rules
//! need, and rewrites the scores that changed in large transactions, the shortlist's
//! index dropped and built again when most rows change.

use rusqlite::{OptionalExtension, params};

use super::wal::WAL_AUTOCHECKPOINT_PAGES;
use super::{Result, Store, sql_err};
use crate::model::Entry;
use crate::score::Field;

/// A post's feed and stored score, and the text a rescore matches again, for
/// re-scoring.
pub struct RescoreRow {
    pub id: i64,
    pub feed: String,
    /// The fields read ([`RescoreText`]); the others are empty.
    pub entry: Entry,
    /// Feeds that carried the story (for the `sources` part).
    pub sources: usize,
    /// The stored total and parts (see [`super::encode_parts`]), to write only what changed.
    pub stored: (f64, String),
}

/// A post's new score, with the stored one it replaces: written only if the post still
/// has that one (a poll in another process may have rewritten the post between the
/// rescore's read and its write; its score, from the new text, stands).
#[derive(Debug, Clone, PartialEq)]
pub struct NewScore {
    pub id: i64,
    pub total: f64,
    /// Encoded parts (see [`super::encode_parts`]).
    pub reasons: String,
    /// The stored total and parts it was computed over ([`RescoreRow::stored`]).
    pub replaces: (f64, String),
}

/// Which of a post's fields a rescore reads: only those the rules it matches again
/// look at (see [`crate::score::Scorer::for_rescore`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RescoreText {
    /// None: every stored match is re-weighed.
    Nothing,
    /// URL, title and author, kept with the post.
    Headline,
    /// Summary, content and the article's text too, kept in tables of their own.
    Everything,
}

impl RescoreText {
    /// What must be read for rules that look at `fields`.
    pub fn for_fields(fields: impl IntoIterator<Item = Field>) -> RescoreText {
        fields
            .into_iter()
            .map(|field| match field {
                Field::Title | Field::Url | Field::Author => RescoreText::Headline,
                Field::Summary | Field::Content | Field::Article => RescoreText::Everything,
            })
            .max()
            .unwrap_or(RescoreText::Nothing)
    }
}

/// Rows a bulk update (a rescore) writes per transaction. Re-weighing 1,000,000 posts
/// took 25 s committing every 5,000 rows, with a checkpoint each time the WAL reached
/// its cap (strace: about 4 GB of WAL frames for a 440 MB table, 148 fsyncs); 10 s in
/// 100,000-row transactions with automatic checkpoints off (each commit is now
/// checkpointed by a checkpointer instead). A transaction holds the
/// write lock about a second; the next begins only after the next batch is read, so
/// a polling daemon's writes get in between.
pub(super) const BULK_ROWS_PER_COMMIT: usize = 100_000;

/// A bulk update's progress (see [`Store::begin_bulk_update`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct BulkUpdate {
    /// Rows written since the last commit.
    uncommitted: usize,
    rank_index_dropped: bool,
}

/// The shortlist's index, as schema 6 created it: a week's posts in shortlist order.
const RANK_INDEX: &str = "CREATE INDEX IF NOT EXISTS posts_by_week_rank
    ON posts(week, score DESC, effective_at DESC, id)";

impl Store {
    /// Builds the shortlist's index if it is missing: a bulk update drops it while it
    /// runs (see [`Store::begin_bulk_update`]) and may have been interrupted. Looked up
    /// first, so that opening a database takes no write lock.
    pub(super) fn ensure_rank_index(&self) -> Result<()> {
        let present = self
            .conn
            .query_row(
                "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = 'posts_by_week_rank'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .is_some();
        if present {
            return Ok(());
        }
        self.conn.execute_batch(RANK_INDEX).map_err(|e| self.err(e))
    }

    /// Every post's feed and stored score, in id order, `batch` at a time, with the
    /// fields `text` says, for re-scoring.
    pub fn posts_for_rescore(
        &self,
        after_id: i64,
        batch: usize,
        text: RescoreText,
    ) -> Result<Vec<RescoreRow>> {
        let sql = match text {
            RescoreText::Nothing => {
                "SELECT p.id, f.name, p.sources, p.score, p.reasons
                 FROM posts p JOIN feeds f ON f.id = p.feed_id
                 WHERE p.id > ?1 ORDER BY p.id LIMIT ?2"
            }
            RescoreText::Headline => {
                "SELECT p.id, f.name, p.sources, p.score, p.reasons, p.url, p.title, p.author
                 FROM posts p JOIN feeds f ON f.id = p.feed_id
                 WHERE p.id > ?1 ORDER BY p.id LIMIT ?2"
            }
            RescoreText::Everything => {
                "SELECT p.id, f.name, p.sources, p.score, p.reasons, p.url, p.title, p.author,
                        t.summary, t.content, a.text
                 FROM posts p JOIN feeds f ON f.id = p.feed_id JOIN post_texts t ON t.post_id = p.id
                     LEFT JOIN articles a ON a.post_id = p.id AND a.status = 'read'
                 WHERE p.id > ?1 ORDER BY p.id LIMIT ?2"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![after_id, batch as i64], |r| {
                let mut entry = Entry::default();
                if text >= RescoreText::Headline {
                    entry.url = r.get(5)?;
                    entry.title = r.get(6)?;
                    entry.author = r.get(7)?;
                }
                if text == RescoreText::Everything {
                    entry.summary = r.get(8)?;
                    entry.content = r.get(9)?;
                    entry.article = r.get::<_, Option<String>>(10)?.unwrap_or_default();
                }
                Ok(RescoreRow {
                    id: r.get(0)?,
                    feed: r.get(1)?,
                    entry,
                    sources: r.get::<_, i64>(2)?.max(1) as usize,
                    stored: (r.get(3)?, r.get(4)?),
                })
            })
            .map_err(|e| sql_err(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sql_err(&self.path, e))
    }

    /// Replaces scores within a bulk update ([`Store::begin_bulk_update`]), computed
    /// from `out_of` rows; returns how many it wrote: a score whose post no longer has
    /// the score it [`replaces`](NewScore::replaces) is left alone. Callers pass only
    /// the scores that changed (see [`RescoreRow::stored`]).
    pub fn update_scores(&mut self, scores: &[NewScore], out_of: usize) -> Result<usize> {
        let Some(mut bulk) = self.bulk else {
            panic!("update_scores outside a bulk update");
        };
        if scores.is_empty() {
            return Ok(0);
        }
        if self.conn.is_autocommit() {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| self.err(e))?;
        }
        // Per changed row, keeping the index up to date costs ~3 µs; building it anew
        // ~1.2 µs per post. Once two rows in five change, building it is cheaper.
        if !bulk.rank_index_dropped && scores.len() * 5 >= out_of * 2 {
            self.conn
                .execute_batch("DROP INDEX IF EXISTS posts_by_week_rank")
                .map_err(|e| self.err(e))?;
            bulk.rank_index_dropped = true;
        }
        let mut written = 0;
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "UPDATE posts SET score = ?2, reasons = ?3
                     WHERE id = ?1 AND score = ?4 AND reasons = ?5",
                )
                .map_err(|e| sql_err(&self.path, e))?;
            for s in scores {
                let (was_total, was_reasons) = &s.replaces;
                written += stmt
                    .execute(params![s.id, s.total, s.reasons, was_total, was_reasons])
                    .map_err(|e| sql_err(&self.path, e))?;
            }
        }
        bulk.uncommitted += scores.len();
        if bulk.uncommitted >= self.bulk_rows_per_commit {
            // The next transaction begins with the next write, after the caller has
            // read its next batch: another writer waiting for the lock can take it.
            self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))?;
            bulk.uncommitted = 0;
            self.ask_for_checkpoint();
        }
        self.bulk = Some(bulk);
        Ok(written)
    }

    /// Makes bulk updates commit every `rows` rows, so tests see what happens
    /// between commits without writing 100,000 rows.
    #[cfg(test)]
    pub fn commit_bulk_updates_every(&mut self, rows: usize) {
        self.bulk_rows_per_commit = rows;
    }

    /// Starts rewriting many rows ([`Store::update_scores`]) in transactions of
    /// `BULK_ROWS_PER_COMMIT` rows, with
    /// - a page cache that holds what a batch touches (64 MiB; the default 2 MiB
    ///   spilled dirty pages to the WAL mid-batch and re-read them);
    /// - no automatic checkpoint (at the WAL's cap, every commit of a large rescore
    ///   would copy its pages to the database file again): a checkpointer folds
    ///   each commit into the database file on its own connection and thread, while
    ///   this one goes on (the pages it copies are those of one commit, which the next
    ///   ones, further along the table, rarely touch);
    /// - once a batch changes two rows in five, the shortlist's index dropped, and
    ///   built again at the end: re-weighing 1,000,000 posts took 9.4–9.9 s updating
    ///   the index row by row, 7.1 s without it plus 1.2 s to build it. Lists read
    ///   meanwhile are right, only slower; an interrupted update leaves the index to
    ///   [`Store::open`] to build.
    pub fn begin_bulk_update(&mut self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0;")
            .map_err(|e| self.err(e))?;
        self.begin_background_checkpoints();
        self.bulk = Some(BulkUpdate {
            uncommitted: 0,
            rank_index_dropped: false,
        });
        Ok(())
    }

    /// Ends a bulk update: commits what it wrote since its last commit (or, when
    /// `keep` is false, after an error, rolls that back), builds the shortlist's index
    /// again, gives back the connection's settings and folds the update into the
    /// database file.
    pub fn end_bulk_update(&mut self, keep: bool) -> Result<()> {
        self.bulk = None;
        let open = !self.conn.is_autocommit();
        let ended = match (open, keep) {
            (false, _) => Ok(()),
            (true, true) => self.conn.execute_batch("COMMIT"),
            (true, false) => self.conn.execute_batch("ROLLBACK"),
        }
        .and_then(|_| self.conn.execute_batch(RANK_INDEX))
        .map_err(|e| self.err(e));
        self.conn
            .execute_batch(&format!(
                "PRAGMA cache_size = -{}; PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};",
                self.page_cache_kib
            ))
            .map_err(|e| self.err(e))?;
        ended?;
        self.end_background_checkpoints()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use rusqlite::Connection;

    use super::super::tests::*;
    use super::*;

    /// Post `id`'s score as `total`, replacing the one it has now.
    pub(in crate::store) fn rescored(s: &Store, id: i64, total: f64) -> NewScore {
        let replaces = s
            .conn
            .query_row(
                "SELECT score, reasons FROM posts WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        NewScore {
            id,
            total,
            reasons: String::new(),
            replaces,
        }
    }

    /// A score computed before a poll rewrote its post is not written over the poll's.
    #[test]
    fn a_score_is_written_only_over_the_one_it_was_computed_from() {
        let (dir, mut s) = store_with_posts(2);
        let (fresh, stale) = (rescored(&s, 1, 9.0), rescored(&s, 2, 9.0));
        // Another process's poll rewrites post 2 between the read and the write.
        Connection::open(dir.path().join("sub/g.db"))
            .unwrap()
            .execute_batch("UPDATE posts SET score = 7, reasons = 'poll' WHERE id = 2")
            .unwrap();
        s.begin_bulk_update().unwrap();
        assert_eq!(s.update_scores(&[fresh, stale], 2).unwrap(), 1);
        s.end_bulk_update(true).unwrap();
        assert_eq!(scores_in(&dir.path().join("sub/g.db")), [9.0, 7.0]);
    }

    /// A bulk update commits as it goes, lets other writers in between, loses only
    /// what it wrote since its last commit on an error, and the shortlist's index is
    /// there again however it ended.
    #[test]
    fn a_bulk_update_commits_every_so_many_rows_and_rolls_back_the_rest() {
        let (dir, mut s) = store_with_posts(5);
        s.bulk_rows_per_commit = 2;
        let scores_seen_elsewhere = || scores_in(&dir.path().join("sub/g.db"));
        s.begin_bulk_update().unwrap();
        let new = |s: &Store, ids: &[i64]| -> Vec<NewScore> {
            ids.iter().map(|&id| rescored(s, id, 9.0)).collect()
        };
        s.update_scores(&new(&s, &[1]), 1).unwrap();
        assert_eq!(scores_seen_elsewhere(), [5.0; 5], "nothing committed yet");
        s.update_scores(&new(&s, &[2, 3]), 2).unwrap();
        assert_eq!(scores_seen_elsewhere(), [9.0, 9.0, 9.0, 5.0, 5.0]);
        // Between its transactions another writer gets the lock at once.
        Connection::open(dir.path().join("sub/g.db"))
            .unwrap()
            .execute_batch("BEGIN IMMEDIATE; UPDATE posts SET score = 7 WHERE id = 5; COMMIT;")
            .unwrap();
        s.update_scores(&new(&s, &[4]), 1).unwrap();
        s.end_bulk_update(false).unwrap();
        assert_eq!(scores_seen_elsewhere(), [9.0, 9.0, 9.0, 5.0, 7.0]);

        assert!(has_rank_index(&s), "built again after a rollback");

        s.begin_bulk_update().unwrap();
        s.update_scores(&new(&s, &[5]), 1).unwrap();
        s.end_bulk_update(true).unwrap();
        assert_eq!(scores_seen_elsewhere(), [9.0, 9.0, 9.0, 5.0, 9.0]);
        assert!(has_rank_index(&s));

        // Few changed rows keep the index up to date rather than build it again.
        s.begin_bulk_update().unwrap();
        s.update_scores(&new(&s, &[1]), 10).unwrap();
        assert!(has_rank_index(&s));
        s.end_bulk_update(true).unwrap();

        // Interrupted after a commit (the process killed): the next open builds it.
        s.begin_bulk_update().unwrap();
        s.update_scores(&new(&s, &[1, 2]), 2).unwrap();
        assert!(!has_rank_index(&s));
        drop(s);
        assert!(has_rank_index(
            &Store::open(&dir.path().join("sub/g.db")).unwrap()
        ));
    }

    /// Each commit of a bulk update reaches the database file while the update goes
    /// on, not only at its end: the file alone (without its WAL) has the committed
    /// scores once the checkpointer has caught up.
    #[test]
    fn a_bulk_update_folds_its_commits_into_the_database_file_as_it_goes() {
        let (dir, mut s) = store_with_posts(5);
        s.checkpoint().unwrap();
        s.bulk_rows_per_commit = 2;
        s.rows_per_checkpoint = 1;
        s.begin_bulk_update().unwrap();
        let rows: Vec<NewScore> = (1..=3).map(|id| rescored(&s, id, 9.0)).collect();
        s.update_scores(&rows, 3).unwrap();
        s.update_scores(&[rescored(&s, 4, 9.0)], 1).unwrap();
        // Waits for the checkpoints asked for so far; the update is still open.
        s.checkpointer
            .take()
            .expect("started with the update")
            .stop();
        assert_eq!(scores_in_file_alone(dir.path()), [9.0, 9.0, 9.0, 5.0, 5.0]);
        s.end_bulk_update(true).unwrap();
        assert_eq!(scores_in_file_alone(dir.path()), [9.0, 9.0, 9.0, 9.0, 5.0]);
    }
}
