//! Write-ahead-log machinery, for speed alone: group commits (many feeds' savepoints in
//! one transaction), a checkpointer thread that folds commits into the database file
//! while writing goes on, and a page cache sized to the database.

use std::path::Path;

use rusqlite::Connection;

use super::{Result, Store};

/// The WAL size (in pages) at which SQLite checkpoints on its own (see `configure`).
pub(super) const WAL_AUTOCHECKPOINT_PAGES: u32 = 16384;

/// SQLite's page cache for a database of `database_bytes`: a 16th of it, between
/// SQLite's default (2,000 KiB) and 32 MiB. Four of the posts' indexes take entries in
/// random order (url, title key, time, week rank); once they outgrew the default cache,
/// new posts read their pages back from the kernel and spilled dirty ones early. A
/// cold poll of 10,000 farm feeds (a 490 MB file) made 1.02 million `pread`s and 1.77
/// million `pwrite`s with the default, 0.39 and 1.34 million with this (`perf stat`),
/// and took 14.1–14.4 s against 12.2–13.0 s (alternating runs). A 1,000-feed poll's
/// database (48 MB) gets 2.9 MiB, 0.8 MiB more peak memory.
pub(super) fn page_cache_kib(database_bytes: u64) -> u64 {
    (database_bytes / 16 / 1024).clamp(SQLITE_DEFAULT_CACHE_KIB, 32 * 1024)
}

/// SQLite's own page cache size (`PRAGMA cache_size = -2000`).
pub(super) const SQLITE_DEFAULT_CACHE_KIB: u64 = 2_000;

/// Checkpoints commits as they come, on a connection and thread of its own, so the
/// copying and the fsyncs overlap the writer's work instead of stopping it: a rescore
/// matching 1,000,000 posts again took 13.8 s with one checkpoint at its end and
/// 12.1 s with this (`gleaner rescore` on the history bench's database); a cold poll
/// of the farm 1.40 s with the checkpoints SQLite runs on the committing thread when
/// the WAL reaches its cap, 1.16 s with this, and a poll where 10% of the feeds
/// changed 0.34 s and 0.28 s. A passive checkpoint takes no lock a writer needs and
/// copies only committed pages.
pub(super) struct Checkpointer {
    commits: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
    /// The connection's count of changed rows when a checkpoint was last asked for.
    asked_at: u64,
    rows_per_checkpoint: u64,
}

/// Rows changed between two checkpoints a [`Checkpointer`] is asked for: a cold
/// poll's ~140 group commits (~7 feeds each) make some 40 checkpoints (strace: 86
/// fsyncs, two per checkpoint), a poll where every feed answers 304 one per 1,000
/// feeds; a checkpoint after every commit took a poll of 10,000 feeds that all
/// answered 304 from 0.55 s to 0.71 s (each one fsyncs the WAL and the database file).
pub(super) const ROWS_PER_CHECKPOINT: u64 = 1_000;

const NO_CHECKPOINTER: &str =
    "cannot checkpoint in the background; checkpoints wait for the writes";

impl Checkpointer {
    /// Starts the thread, or says why it cannot (then checkpoints wait for the
    /// writes, as SQLite does by itself).
    fn start(path: &Path, changed: u64, rows_per_checkpoint: u64) -> Option<Checkpointer> {
        let conn = Connection::open(path)
            .inspect_err(|e| tracing::warn!(db = %path.display(), error = %e, "{NO_CHECKPOINTER}"))
            .ok()?;
        let (commits, committed) = std::sync::mpsc::channel::<()>();
        let path = path.to_owned();
        let work = move || {
            while committed.recv().is_ok() {
                // Commits that came meanwhile are folded in by this one checkpoint.
                while committed.try_recv().is_ok() {}
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(db = %path.display(), error = %e, "checkpoint failed");
                }
            }
        };
        let thread = std::thread::Builder::new()
            .name("gleaner-checkpoint".into())
            .spawn(work)
            .inspect_err(|e| tracing::warn!(error = %e, "{NO_CHECKPOINTER}"))
            .ok()?;
        Some(Checkpointer {
            commits,
            thread,
            asked_at: changed,
            rows_per_checkpoint,
        })
    }

    /// Asks for a checkpoint of what was committed so far, once the connection has
    /// changed `rows_per_checkpoint` rows since the last ask (`changed`: its count).
    fn committed(&mut self, changed: u64) {
        if changed.saturating_sub(self.asked_at) < self.rows_per_checkpoint {
            return;
        }
        self.asked_at = changed;
        // The thread only ends when told to (or by a panic, which `stop` reports).
        let _ = self.commits.send(());
    }

    /// Waits for the checkpoint under way, if any, and ends the thread.
    pub(super) fn stop(self) {
        drop(self.commits);
        if self.thread.join().is_err() {
            tracing::warn!("the checkpoint thread panicked");
        }
    }
}

impl Store {
    /// Starts a transaction that groups the writes that follow (each in its own
    /// savepoint) into one commit; see [`crate::ingest::pipeline`]'s writer.
    pub fn begin_group(&mut self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))
    }

    /// Commits the group. A failed `COMMIT` (a full disk) can leave the transaction
    /// open, holding the write lock, and every later write would then run inside it
    /// and be lost with it: whatever is still open is rolled back, and the error
    /// returned. Resizing the page cache after a commit is not the commit: its failure
    /// is only logged.
    pub fn commit_group(&mut self) -> Result<()> {
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            self.roll_back_if_open();
            return Err(self.err(e));
        }
        self.ask_for_checkpoint();
        if let Err(e) = self.fit_page_cache() {
            tracing::warn!(db = %self.path.display(), error = %e, "cannot resize the page cache");
        }
        Ok(())
    }

    /// Rolls back the transaction the connection is in, if any.
    pub(super) fn roll_back_if_open(&mut self) {
        if !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(db = %self.path.display(), error = %e, "cannot roll back");
        }
    }

    /// Sizes the page cache for the database as it is now ([`page_cache_kib`]), once
    /// that is over a quarter above or a fifth below the size set (so a growing file
    /// is not re-sized at every commit).
    pub(super) fn fit_page_cache(&mut self) -> rusqlite::Result<()> {
        let bytes: i64 = self.conn.query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| r.get(0),
        )?;
        let fit = page_cache_kib(bytes.max(0) as u64);
        if fit * 4 > self.page_cache_kib * 5 || fit * 5 < self.page_cache_kib * 4 {
            self.page_cache_kib = fit;
            if self.bulk.is_none() {
                self.conn
                    .execute_batch(&format!("PRAGMA cache_size = -{fit}"))?;
            }
        }
        Ok(())
    }

    /// From now on (a poll, a bulk update), commits are folded into the database file
    /// as they come (every `ROWS_PER_CHECKPOINT` changed rows) by a `Checkpointer`,
    /// unless one runs already, so the committing thread rarely has anything left to
    /// copy when the WAL reaches its cap.
    pub fn begin_background_checkpoints(&mut self) {
        if self.checkpointer.is_none() {
            let changed = self.conn.total_changes();
            self.checkpointer = Checkpointer::start(&self.path, changed, self.rows_per_checkpoint);
        }
    }

    /// Waits for the background checkpoint under way, if any, and folds in what is
    /// left.
    pub fn end_background_checkpoints(&mut self) -> Result<()> {
        if let Some(checkpointer) = self.checkpointer.take() {
            checkpointer.stop();
        }
        self.checkpoint()
    }

    /// Tells the [`Checkpointer`], if one runs, what this connection has changed.
    pub(super) fn ask_for_checkpoint(&mut self) {
        let changed = self.conn.total_changes();
        if let Some(checkpointer) = &mut self.checkpointer {
            checkpointer.committed(changed);
        }
    }

    /// Copies the write-ahead log into the database file (without waiting for readers).
    pub fn checkpoint(&mut self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::*;

    /// The page cache follows the database's size: set when a group commits and when
    /// a file is opened, given back after a bulk update's larger one.
    #[test]
    fn the_page_cache_grows_with_the_database() {
        let (dir, mut s) = store();
        let cache_kib = |s: &Store| -> i64 {
            -s.conn
                .query_row("PRAGMA cache_size", [], |r| r.get::<_, i64>(0))
                .unwrap()
        };
        assert_eq!(cache_kib(&s), 2_000, "SQLite's default for a small file");
        // 48 MB of ballast: a 16th of it is 2,930 KiB.
        s.begin_group().unwrap();
        s.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('ballast', CAST(zeroblob(48000000) AS TEXT))",
                [],
            )
            .unwrap();
        s.commit_group().unwrap();
        let fitted = cache_kib(&s);
        assert!((2_900..3_000).contains(&fitted), "{fitted} KiB");
        s.begin_bulk_update().unwrap();
        assert_eq!(cache_kib(&s), 65_536);
        s.end_bulk_update(true).unwrap();
        assert_eq!(cache_kib(&s), fitted);
        drop(s);
        let reopened = Store::open(&dir.path().join("sub/g.db")).unwrap();
        assert_eq!(cache_kib(&reopened), fitted);
        assert_eq!(page_cache_kib(10 << 30), 32 * 1024, "capped");
    }

    /// A poll's group commits reach the database file as they come, once enough rows
    /// changed since the last checkpoint.
    #[test]
    fn background_checkpoints_fold_group_commits_into_the_database_file() {
        let (dir, mut s) = store_with_posts(3);
        s.checkpoint().unwrap();
        s.rows_per_checkpoint = 2;
        s.begin_background_checkpoints();
        let set_score = |s: &mut Store, id: i64| {
            s.begin_group().unwrap();
            s.conn
                .execute("UPDATE posts SET score = 9 WHERE id = ?1", [id])
                .unwrap();
            s.commit_group().unwrap();
        };
        set_score(&mut s, 1);
        // Waiting for the checkpoints asked for so far: none, after one row.
        s.checkpointer.take().expect("started").stop();
        assert_eq!(scores_in_file_alone(dir.path()), [5.0; 3]);
        s.begin_background_checkpoints();
        set_score(&mut s, 2);
        set_score(&mut s, 3);
        s.checkpointer.take().expect("started").stop();
        assert_eq!(scores_in_file_alone(dir.path()), [9.0; 3]);
        s.end_background_checkpoints().unwrap();
    }

    /// A `COMMIT` that fails (here a deferred foreign key, as a full disk would) leaves
    /// no transaction open behind it: the next group begins.
    #[test]
    fn a_failed_group_commit_is_rolled_back() {
        let (_d, mut s) = store();
        s.begin_group().unwrap();
        s.conn
            .execute_batch(
                "PRAGMA defer_foreign_keys = ON;
                 INSERT INTO sightings (feed_id, item_key, post_id, first_seen) VALUES (1, 'k', 999, 0);",
            )
            .unwrap();
        assert!(s.commit_group().is_err());
        assert!(s.conn.is_autocommit(), "the failed group was rolled back");
        s.begin_group().unwrap();
        s.commit_group().unwrap();
        let count: i64 = s
            .conn
            .query_row("SELECT count(*) FROM sightings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 0);
    }
}
