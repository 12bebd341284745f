//! Store: SQLite, and the only module that speaks SQL.
//!
//! Tables:
//! - `feeds`: one row per configured feed name — the URL polled now (moved by permanent
//!   redirects), HTTP validators, last outcome, failure count and backoff.
//! - `posts`: one row per distinct post — its URL, plain-text title, author, dates,
//!   the instant that decides its week (`effective_at`) and that week (`week`, in the
//!   configured zone, see [`Store::use_zone`]), and its score with the parts (as
//!   compact lines, see [`parts`]).
//!   `title_hash` and `story_of` tie copies of one story under other URLs to its first
//!   post, which keeps how many feeds carried the story (`sources`).
//! - `post_texts`: each post's plain-text summary and content (what scoring needs, so
//!   rules are re-applied by re-scoring, never by re-fetching), apart from `posts` so
//!   that new dates, URLs and scores rewrite a narrow row, not the text.
//! - `sightings`: which feed carried a post under which per-feed key. Two feeds
//!   carrying one link are one post with two sightings (`also_in`); a feed changing a
//!   post's GUID adds a sighting to the same post.
//! - `articles`: a post's article page, when one is wanted: pending, read (its text and
//!   what the page says of itself), failed (with its next try) or skipped, and why.
//! - `decisions`: the editor's decisions, as a log (undo marks one undone).
//! - `meta`: key/value (the fingerprint of the rules the stored scores came from, each
//!   of those rules' matcher, the zone the stored weeks are in).
//!
//! Dedupe, in order, for an entry of feed F: (1) F has a sighting with the entry's key →
//! that post; (2) some post has the entry's canonical URL → that post, add a sighting;
//! (3) a new post. A post carried by several feeds belongs to a blog before an
//! aggregator, then to the one subscribed first (lowest feed id, so the outcome does
//! not depend on which fetch finished first); only that feed's copy updates its text,
//! the others are listed as `also_in` (blogs) or `via` (aggregators). A new post
//! whose title key matches a post of another feed dated within 14 days becomes a copy
//! of that post's story (see `ingest`); candidates are stories, never copies.
//!
//! The database runs in WAL mode with a busy timeout so the CLI reads while the daemon
//! writes; the daemon's review page reads through a connection of its own
//! ([`Store::open_reader`]), so page loads never wait for a poll's writes. Each feed's
//! batch is written in one savepoint: alone it is its own
//! transaction; inside a group (see `wal`) it is all-or-nothing within the
//! group's commit. Either way a crash never leaves half a batch.
//!
//! # Files
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`Store`]: opening, connection settings, the zone and points it stores with, meta, errors |
//! | `migrations` | the schema's ordered migrations (`PRAGMA user_version`) and the conversions some need |
//! | `feeds` | the `feeds` table: configured feeds, fetch outcomes, backoff, health |
//! | `ingest` | storing a fetched feed's entries: dedupe, sightings, stories and their `sources` |
//! | `articles` | the `articles` table: the pages a poll reads, their outcomes, the posts' scores with them |
//! | `posts` | reading posts: a week's candidates, a week's queue, one post |
//! | `window` | a week's whole queue window, read light: what the review page counts and classifies |
//! | `decisions` | the `decisions` log: pick, reject, defer, undo, and what learning trains on |
//! | `archive` | a newsletter's past issues as archive picks, and the posts they passed over |
//! | `sources` | sites seen but not subscribed to: their posts, discovered feeds, dismissals |
//! | `bulk` | rewriting many scores at once (a rescore) |
//! | `wal` | group commits, background checkpoints and the page cache: speed, not meaning |
//! | [`parts`] | the compact text a score's parts are stored as |

mod archive;
mod articles;
mod bulk;
mod decisions;
mod feeds;
mod ingest;
mod migrations;
pub mod parts;
mod posts;
mod sources;
#[cfg(test)]
mod tests;
mod wal;
mod window;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

pub use archive::{ArchiveCounts, ArchivePick};
pub use articles::{ArticleOutcome, DueArticle, MAX_ARTICLE_ATTEMPTS, ReadArticle};
pub use bulk::{NewScore, RescoreRow, RescoreText};
pub use feeds::{FailureRecord, FeedState, FetchRecord};
pub use ingest::{IngestCounts, ScoredEntry};
pub use parts::{decode_parts, encode_parts};
pub use posts::QueueWindow;
pub use sources::{ForeignPost, SiteState};
pub use window::WindowPost;

pub use crate::model::{Decision, FeedHealth, QueuedPost, StoredPost};
use crate::week;
use bulk::BULK_ROWS_PER_COMMIT;
use bulk::BulkUpdate;
use ingest::week_key;
use wal::{Checkpointer, ROWS_PER_CHECKPOINT, SQLITE_DEFAULT_CACHE_KIB, WAL_AUTOCHECKPOINT_PAGES};

/// Meta key naming the zone the stored `week` column was computed in.
const WEEK_ZONE: &str = "week_zone";

/// Each message names its `cause` where it reads best ("`…: <cause>; what to do`"), so
/// the cause is not also the error's `source`: `gleaner: {err:#}` would say it twice.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{} is not a SQLite database; refusing to touch it (move it away or pass --db PATH)", .0.display())]
    NotADatabase(PathBuf),
    #[error(
        "database {} has schema version {found}, newer than this gleaner understands ({known}); upgrade gleaner or pass --db PATH",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "database {} cannot be upgraded from schema {from} to {to} ({cause}); the upgrade was undone and the file left as it was: remove what the error names, restore a backup, or pass --db PATH",
        path.display()
    )]
    Migration {
        path: PathBuf,
        from: i64,
        to: i64,
        cause: rusqlite::Error,
    },
    #[error(
        "database {} has schema version {found}, not {known}: a reader opens only a database its writer has migrated",
        path.display()
    )]
    NotMigrated {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot create {}: {cause}", path.display())]
    CreateDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("database {}: {cause}; it cannot be written: check the disk's free space and the file's permissions", path.display())]
    Unwritable {
        path: PathBuf,
        cause: rusqlite::Error,
    },
    #[error("database {} is damaged ({cause}); gleaner will not read or write it: restore a backup, or recover what it holds with `sqlite3 {} .recover`", path.display(), path.display())]
    Damaged {
        path: PathBuf,
        cause: rusqlite::Error,
    },
    #[error("database {}: {cause}", path.display())]
    Sqlite {
        path: PathBuf,
        cause: rusqlite::Error,
    },
    #[error("database {}: committing a group of writes failed: {message}", path.display())]
    GroupCommit { path: PathBuf, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Runs `f` on the shared store ([`lock_shared`]) on a blocking thread, so the
/// daemon's async threads never wait on SQLite.
pub async fn off_async<T: Send + 'static>(
    store: &std::sync::Arc<std::sync::Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> T + Send + 'static,
) -> std::result::Result<T, tokio::task::JoinError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&mut lock_shared(&store))).await
}

/// Locks the shared store; a poisoned lock is taken over once what the panicking
/// thread left half-done is undone (see [`Store::recover_after_panic`]).
pub fn lock_shared(store: &std::sync::Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|poisoned| {
        let mut guard = poisoned.into_inner();
        guard.recover_after_panic();
        store.clear_poison();
        guard
    })
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The zone stored weeks are computed in (see [`Store::use_zone`]).
    zone: chrono_tz::Tz,
    /// Points per extra source (`[settings] source_points`), for the `sources` part the
    /// store adds when a story gains a feed.
    source_points: f64,
    /// The bulk update under way, if any.
    bulk: Option<BulkUpdate>,
    /// During a poll or a bulk update, what folds commits into the database file.
    checkpointer: Option<Checkpointer>,
    /// [`ROWS_PER_CHECKPOINT`], except in tests.
    rows_per_checkpoint: u64,
    /// [`BULK_ROWS_PER_COMMIT`], except in tests.
    bulk_rows_per_commit: usize,
    /// The page cache outside bulk updates, in KiB (see [`wal::page_cache_kib`]).
    page_cache_kib: u64,
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// A store on `conn`, the database at `path`, waiting up to 10 s for a lock.
    fn on(conn: Connection, path: &Path) -> Result<Store> {
        let store = Store {
            conn,
            path: path.to_path_buf(),
            zone: chrono_tz::UTC,
            source_points: 0.0,
            bulk: None,
            checkpointer: None,
            rows_per_checkpoint: ROWS_PER_CHECKPOINT,
            bulk_rows_per_commit: BULK_ROWS_PER_COMMIT,
            page_cache_kib: SQLITE_DEFAULT_CACHE_KIB,
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| store.err(e))?;
        Ok(store)
    }

    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        refuse_foreign_file(path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_private_dir(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                cause: source,
            })?;
        }
        // Created here, readable by its owner alone, so that SQLite gives its WAL and
        // shared-memory files the same mode (it copies the database's).
        crate::files::create_private_file(path).map_err(|source| StoreError::CreateDir {
            path: path.to_path_buf(),
            cause: source,
        })?;
        let conn = Connection::open(path).map_err(|e| sql_err(path, e))?;
        let mut store = Store::on(conn, path)?;
        store.schema_version()?;
        store.configure().map_err(|e| store.err(e))?;
        store.fit_page_cache().map_err(|e| store.err(e))?;
        store.migrate()?;
        store.ensure_rank_index()?;
        let owes_weeks = store.meta(migrations::OWES_WEEKS)?.is_some();
        match store.meta(WEEK_ZONE)?.and_then(|z| z.parse().ok()) {
            Some(zone) if !owes_weeks => store.zone = zone,
            Some(zone) => store.recompute_weeks(zone)?,
            None => store.recompute_weeks(chrono_tz::UTC)?,
        }
        Ok(store)
    }

    /// Opens a read-only connection to a database that [`Store::open`] has already
    /// created and migrated (the daemon's, for its review page): it shares no lock
    /// with the writer's connection, and in WAL mode it reads while polls write.
    /// Every write through it fails. Its weeks' zone is the stored one, read again by
    /// [`Store::follow_zone`].
    pub fn open_reader(path: &Path) -> Result<Store> {
        refuse_foreign_file(path)?;
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| sql_err(path, e))?;
        let mut store = Store::on(conn, path)?;
        store.conn.set_prepared_statement_cache_capacity(64);
        let (found, known) = (store.schema_version()?, migrations::MIGRATIONS.len() as i64);
        if found != known {
            return Err(StoreError::NotMigrated {
                path: path.to_path_buf(),
                found,
                known,
            });
        }
        store.follow_zone()?;
        Ok(store)
    }

    /// Takes the zone the stored weeks are in from the database (a reader's zone follows
    /// the writer's, which changes when the configured zone does).
    pub fn follow_zone(&mut self) -> Result<()> {
        if let Some(zone) = self.meta(WEEK_ZONE)?.and_then(|z| z.parse().ok()) {
            self.zone = zone;
        }
        Ok(())
    }

    /// A number that changes whenever another connection commits to the database
    /// (SQLite's `data_version`): a reader's cue that what it read may have changed.
    pub fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Sets the points per extra feed of the `sources` part added from now on (stored
    /// scores change with it through a rescore: it is part of the rules fingerprint).
    pub fn use_source_points(&mut self, points: f64) {
        self.source_points = points;
    }

    /// Makes stored weeks (and the weeks of posts stored from now on) those of `zone`,
    /// recomputing every post's week when the zone changed: ISO weeks start at local
    /// midnight, so the zone decides which week a Sunday-night post is in.
    pub fn use_zone(&mut self, zone: chrono_tz::Tz) -> Result<()> {
        if zone == self.zone {
            return Ok(());
        }
        self.recompute_weeks(zone)
    }

    /// Computes every post's week and late week (see [`week::late_week`]) in `zone`. A
    /// post counts as brought by its feed's first poll when it was first seen no later
    /// than the feed's first success.
    fn recompute_weeks(&mut self, zone: chrono_tz::Tz) -> Result<()> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
        {
            let mut read = tx
                .prepare(
                    "SELECT p.id, p.effective_at, p.first_seen,
                            p.first_seen <= coalesce(f.first_success, p.first_seen)
                     FROM posts p JOIN feeds f ON f.id = p.feed_id",
                )
                .map_err(|e| sql_err(&path, e))?;
            let mut write = tx
                .prepare(
                    "UPDATE posts SET week = ?2, late_week = ?3
                     WHERE id = ?1 AND (week IS NOT ?2 OR late_week IS NOT ?3)",
                )
                .map_err(|e| sql_err(&path, e))?;
            let mut rows = read.query([]).map_err(|e| sql_err(&path, e))?;
            while let Some(row) = rows.next().map_err(|e| sql_err(&path, e))? {
                let (id, at, seen, first_poll): (i64, i64, i64, bool) = (
                    row.get(0).map_err(|e| sql_err(&path, e))?,
                    row.get(1).map_err(|e| sql_err(&path, e))?,
                    row.get(2).map_err(|e| sql_err(&path, e))?,
                    row.get(3).map_err(|e| sql_err(&path, e))?,
                );
                let (at, seen) = (
                    from_unix(at).unwrap_or_default(),
                    from_unix(seen).unwrap_or_default(),
                );
                let late = week::late_week(at, seen, first_poll, zone).map(week::IsoWeek::key);
                write
                    .execute(params![id, week_key(at, zone), late])
                    .map_err(|e| sql_err(&path, e))?;
            }
        }
        put_meta(&tx, WEEK_ZONE, zone.name())
            .and_then(|_| tx.execute("DELETE FROM meta WHERE key = ?1", [migrations::OWES_WEEKS]))
            .map_err(|e| sql_err(&path, e))?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        self.zone = zone;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        sql_err(&self.path, source)
    }

    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(Duration::from_secs(10))?;
        // Storing a feed's entries uses more than rusqlite's default 16 statements;
        // with fewer cached, each batch parsed and planned some of them again.
        self.conn.set_prepared_statement_cache_capacity(64);
        // journal_mode answers with a row, so it is read rather than executed.
        let _: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        // A checkpoint every 1,000 pages (the default) rewrote the same index pages
        // over and over during a poll (10% of a cold poll's time); polls checkpoint
        // once at their end instead, and this bound only caps the WAL (~64 MiB).
        self.conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
             PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
        ))
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        put_meta(&self.conn, key, value).map_err(|e| self.err(e))
    }

    /// The meta value under `key`, stored first as `value` when there is none yet (a
    /// value made once and kept, such as the review page's secret).
    pub fn meta_or_insert(&self, key: &str, value: &str) -> Result<String> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
                params![key, value],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.meta(key)?.unwrap_or_else(|| value.to_owned()))
    }

    /// Undoes what a panic interrupted on this connection: a group's or a bulk
    /// update's open transaction is rolled back (what they committed stays), and a
    /// bulk update's settings and the shortlist's index are put back. Both begin with
    /// a plain `BEGIN`, which no destructor ends.
    pub fn recover_after_panic(&mut self) {
        let undone = if self.bulk.is_some() {
            self.end_bulk_update(false)
        } else if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK").map_err(|e| self.err(e))
        } else {
            Ok(())
        };
        if let Err(e) = undone {
            tracing::warn!(error = %e, "could not undo the writes a panic interrupted");
        }
    }

    /// Refuses a damaged file: SQLite's `quick_check` reads every page once (about
    /// 15 ms for a 15 MB database whose pages are cached).
    pub fn check_intact(&self) -> Result<()> {
        let verdict: String = self
            .conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if verdict == "ok" {
            return Ok(());
        }
        Err(StoreError::Damaged {
            path: self.path.clone(),
            cause: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(verdict),
            ),
        })
    }

    /// Whether the database answers: reads its schema, touching no table rows (the
    /// health check's probe, cheap at any size).
    pub fn ping(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA schema_version", [], |_| Ok(()))
            .map_err(|e| self.err(e))
    }

    pub fn post_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM posts", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }
}

/// A file that exists, is not empty and is not SQLite is someone else's: never open it
/// (SQLite would happily turn a zero-length file into a database, but nothing else).
fn refuse_foreign_file(path: &Path) -> Result<()> {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let mut head = [0u8; 16];
    let n = file.read(&mut head).unwrap_or(0);
    if n == 0 || (n == 16 && &head == SQLITE_MAGIC) {
        Ok(())
    } else {
        Err(StoreError::NotADatabase(path.to_path_buf()))
    }
}

fn put_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .map(drop)
}

/// `execute` through the statement cache: for statements run once per feed or entry.
fn execute_cached(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// What an SQLite error means for the editor: a file that is not a database, a disk
/// that refuses writes, a damaged file, or anything else.
fn sql_err(path: &Path, source: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    let path = path.to_path_buf();
    let code = match &source {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    };
    match code {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase(path),
        Some(ErrorCode::DiskFull | ErrorCode::ReadOnly | ErrorCode::SystemIoFailure) => {
            StoreError::Unwritable {
                path,
                cause: source,
            }
        }
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Damaged {
            path,
            cause: source,
        },
        _ => StoreError::Sqlite {
            path,
            cause: source,
        },
    }
}

pub fn from_unix(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}
