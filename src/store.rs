//! Store: SQLite, and the only module that speaks SQL.
//!
//! Tables:
//! - `feeds`: one row per configured feed name — the URL polled now (moved by permanent
//!   redirects), HTTP validators, last outcome, failure count and backoff.
//! - `posts`: one row per distinct post — its URL, plain-text title, author, dates,
//!   the instant that decides its week (`effective_at`) and that week (`week`, in the
//!   configured zone, see [`Store::use_zone`]), and its score with the parts (as
//!   compact lines, see `encode_parts`).
//!   `title_hash` and `story_of` tie copies of one story under other URLs to its first
//!   post, which keeps how many feeds carried the story (`sources`).
//! - `post_texts`: each post's plain-text summary and content (what scoring needs, so
//!   rules are re-applied by re-scoring, never by re-fetching), apart from `posts` so
//!   that new dates, URLs and scores rewrite a narrow row, not the text.
//! - `sightings`: which feed carried a post under which per-feed key. Two feeds
//!   carrying one link are one post with two sightings (`also_in`); a feed changing a
//!   post's GUID adds a sighting to the same post.
//! - `decisions`: the editor's decisions, as a log (undo marks one undone).
//! - `meta`: key/value (the fingerprint of the rules the stored scores came from, each
//!   of those rules' matcher, the zone the stored weeks are in).
//!
//! Dedupe, in order, for an entry of feed F: (1) F has a sighting with the entry's key →
//! that post; (2) some post has the entry's canonical URL → that post, add a sighting;
//! (3) a new post. A post carried by several feeds belongs to the one subscribed first
//! (lowest feed id, so the outcome does not depend on which fetch finished first); only
//! that feed's copy updates its text, the others are listed as `also_in`. A new post
//! whose title key matches a post of another feed dated within 14 days becomes a copy
//! of that post's story (see `link_story`); candidates are stories, never copies.
//!
//! The database runs in WAL mode with a busy timeout so the CLI reads while the daemon
//! writes. Each feed's batch is written in one savepoint: alone it is its own
//! transaction; inside a group (see `begin_group`) it is all-or-nothing within the
//! group's commit. Either way a crash never leaves half a batch.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};

use crate::normalize::Entry;
use crate::score::{Field, Reason, Score};
use crate::week;

/// Schema migrations, applied in order; `PRAGMA user_version` is how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: the pipeline.
    "CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        config_url TEXT NOT NULL,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_status TEXT,
        last_http_status INTEGER,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_attempt INTEGER,
        last_success INTEGER,
        next_poll INTEGER,
        first_success INTEGER
    );
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        url TEXT,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        content TEXT NOT NULL,
        author TEXT,
        published INTEGER,
        updated INTEGER,
        first_seen INTEGER NOT NULL,
        changed_at INTEGER,
        effective_at INTEGER NOT NULL,
        backfill INTEGER NOT NULL DEFAULT 0,
        content_hash TEXT NOT NULL,
        score REAL NOT NULL DEFAULT 0,
        reasons TEXT NOT NULL DEFAULT '[]'
    );
    CREATE UNIQUE INDEX posts_by_url ON posts(url) WHERE url IS NOT NULL;
    CREATE INDEX posts_by_week ON posts(effective_at, score);
    CREATE INDEX posts_by_feed ON posts(feed_id);
    CREATE TABLE sightings (
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        item_key TEXT NOT NULL,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        first_seen INTEGER NOT NULL,
        PRIMARY KEY (feed_id, item_key)
    ) WITHOUT ROWID;
    CREATE INDEX sightings_by_post ON sightings(post_id, feed_id);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
    // 2: remember where a permanent redirect moved a feed from, to say so.
    "ALTER TABLE feeds ADD COLUMN moved_from TEXT;
    ALTER TABLE feeds ADD COLUMN moved_at INTEGER;",
    // 3: no query reads posts by feed; the index only slowed every insert.
    "DROP INDEX IF EXISTS posts_by_feed;",
    // 4: the editor's review decisions, as a log: a post's state is its latest decision
    // not undone; undo marks that one undone, so the one before it applies again.
    "CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        state TEXT NOT NULL CHECK (state IN ('picked', 'rejected', 'deferred')),
        note TEXT,
        week TEXT NOT NULL,
        decided_at INTEGER NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX decisions_by_post ON decisions(post_id, undone);
    CREATE INDEX decisions_by_week ON decisions(week, state);",
    // 5: the same story under different URLs (syndicated to Medium, a press release
    // carried by several outlets): `title_hash` finds the copies, `story_of` points a
    // copy at the story's first post, which stands for the story everywhere.
    "ALTER TABLE posts ADD COLUMN title_hash INTEGER;
    ALTER TABLE posts ADD COLUMN story_of INTEGER REFERENCES posts(id);
    CREATE INDEX posts_by_title_hash ON posts(title_hash);
    CREATE INDEX posts_by_story ON posts(story_of);",
    // 6: the week a post belongs to (`IsoWeek::key` in the configured zone) and an
    // index in shortlist order, so a week's best are read without touching the rest of
    // the week (or of history). Weeks are computed in Rust: see `Store::use_zone`. The
    // queue's time ranges use `posts_by_time`; the old (effective_at, score) index only
    // made every re-score update two indexes. Posts get no partial indexes: the
    // filters they saved are cheap per row read (`posts_by_url` holds NULLs fine: a
    // unique index allows any number of them).
    // `sources`: how many feeds carried a story, kept on its first post, whose stored
    // score includes the `sources` part from then on (a rules fingerprint change
    // re-scores older files).
    "DROP INDEX posts_by_week;
    CREATE INDEX posts_by_time ON posts(effective_at);
    DROP INDEX posts_by_url;
    CREATE UNIQUE INDEX posts_by_url ON posts(url);
    ALTER TABLE posts ADD COLUMN week INTEGER;
    ALTER TABLE posts ADD COLUMN sources INTEGER NOT NULL DEFAULT 1;
    UPDATE posts SET sources = (
        SELECT count(DISTINCT s.feed_id) FROM sightings s
        WHERE s.post_id = posts.id OR s.post_id IN (SELECT c.id FROM posts c WHERE c.story_of = posts.id))
    WHERE story_of IS NULL AND (
        EXISTS (SELECT 1 FROM posts c WHERE c.story_of = posts.id)
        OR (SELECT count(*) FROM sightings s WHERE s.post_id = posts.id) > 1);
    CREATE INDEX posts_by_week_rank ON posts(week, score DESC, effective_at DESC, id);
    DELETE FROM meta WHERE key = 'week_zone';",
    // 7: a post's summary and content (nine tenths of its bytes) in a table of their
    // own, written only when the text itself changes, so the rows that new URLs and
    // re-scores rewrite are narrow. A cold poll of the bench farm stores 53 MB instead
    // of 63 (text packs better apart); a 10%-changed poll writes as much as before
    // (SQLite already rewrote only the changed pages of a same-size row).
    "CREATE TABLE post_texts (
        post_id INTEGER PRIMARY KEY REFERENCES posts(id),
        summary TEXT NOT NULL,
        content TEXT NOT NULL
    );
    INSERT INTO post_texts (post_id, summary, content) SELECT id, summary, content FROM posts;
    ALTER TABLE posts DROP COLUMN summary;
    ALTER TABLE posts DROP COLUMN content;",
    // 8: a score's parts stored in `encode_parts`'s form instead of JSON (the history
    // bench's rows: 580 bytes of an 800-byte row, now 230), as a rescore rewrites every
    // row whose score changed (sqlite3, 800,000 new scores in the 1,000,000-post bench
    // file: 14.6 s with the JSON, 5.8 s without). The conversion is Rust's, registered
    // for the migration as `gleaner_json_parts_to_encoded`.
    "UPDATE posts SET reasons = gleaner_json_parts_to_encoded(reasons);",
];

/// Meta key naming the zone the stored `week` column was computed in.
const WEEK_ZONE: &str = "week_zone";

/// The SQL function schema 8's migration converts stored parts with.
const PARTS_CONVERSION: &str = "gleaner_json_parts_to_encoded";

/// Schema version that introduced `title_hash`; older files get theirs computed.
const STORY_SCHEMA: i64 = 5;

/// How far apart two copies of one story may be dated.
const STORY_WINDOW_SECS: i64 = 14 * 24 * 3600;

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
    #[error("cannot create the database folder {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {}: committing a group of writes failed: {message}", path.display())]
    GroupCommit { path: PathBuf, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The feed's state that polling needs.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedState {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub consecutive_failures: u32,
    pub next_poll: Option<DateTime<Utc>>,
}

/// A feed's health, as `gleaner feeds` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedHealth {
    pub name: String,
    pub url: String,
    pub last_status: Option<String>,
    pub last_http_status: Option<u16>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub last_success: Option<DateTime<Utc>>,
    pub next_poll: Option<DateTime<Utc>>,
    pub entries: u64,
    /// The URL a permanent redirect moved the feed from, and when.
    pub moved_from: Option<String>,
    pub moved_at: Option<DateTime<Utc>>,
}

/// What happened to a fetched feed's entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCounts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl std::ops::AddAssign for IngestCounts {
    fn add_assign(&mut self, o: IngestCounts) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// A successful fetch's metadata to record.
#[derive(Debug, Clone, Default)]
pub struct FetchRecord {
    pub http_status: u16,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Set when a permanent redirect moved the feed.
    pub moved_to: Option<String>,
    /// Earliest next poll (Retry-After/Cache-Control floor), if any.
    pub next_poll: Option<DateTime<Utc>>,
}

/// A failed fetch to record.
#[derive(Debug, Clone)]
pub struct FailureRecord {
    pub http_status: Option<u16>,
    pub message: String,
    /// 410 Gone.
    pub gone: bool,
    pub next_poll: DateTime<Utc>,
}

/// A stored post with what outputs need.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPost {
    pub id: i64,
    pub feed: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: String,
    pub content: String,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    pub effective_at: DateTime<Utc>,
    pub score: Score,
    /// Other feeds that carried the same post, or a copy of it under another URL.
    pub also_in: Vec<String>,
    /// The URLs of copies of the story under other URLs (see `normalize::title_key`).
    pub copies: Vec<String>,
}

impl StoredPost {
    /// How many feeds carried the story: its own and every other.
    pub fn sources(&self) -> usize {
        1 + self.also_in.len()
    }
}

/// The editor's current decision on a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// `picked`, `rejected` or `deferred`.
    pub state: String,
    pub note: Option<String>,
    /// The queue week it was decided in; for `deferred`, the week it moves to.
    pub week: String,
    pub decided_at: DateTime<Utc>,
}

/// A post in a review queue, with how it got there.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedPost {
    pub post: StoredPost,
    /// Deferred from an earlier week's queue.
    pub carried_over: bool,
    /// Published the week before, but first seen this week.
    pub late: bool,
}

/// What a week's queue is drawn from: the week (in the zone of [`Store::use_zone`])
/// and the lowest stored score a candidate may have.
#[derive(Debug, Clone, Copy)]
pub struct QueueWindow {
    pub week: week::IsoWeek,
    pub min_score: f64,
}

/// A post's feed and stored score, and the text a rescore matches again, for
/// re-scoring.
pub struct RescoreRow {
    pub id: i64,
    pub feed: String,
    /// The fields read ([`RescoreText`]); the others are empty.
    pub entry: Entry,
    /// Feeds that carried the story (for the `sources` part).
    pub sources: usize,
    /// The stored total and parts (see [`encode_parts`]), to write only what changed.
    pub stored: (f64, String),
}

/// Which of a post's fields a rescore reads: only those the rules it matches again
/// look at (see [`crate::score::Scorer::for_rescore`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RescoreText {
    /// None: every stored match is re-weighed.
    Nothing,
    /// URL, title and author, kept with the post.
    Headline,
    /// Summary and content too, kept in a table of their own.
    Everything,
}

impl RescoreText {
    /// What must be read for rules that look at `fields`.
    pub fn for_fields(fields: impl IntoIterator<Item = Field>) -> RescoreText {
        fields
            .into_iter()
            .map(|field| match field {
                Field::Title | Field::Url | Field::Author => RescoreText::Headline,
                Field::Summary | Field::Content => RescoreText::Everything,
            })
            .max()
            .unwrap_or(RescoreText::Nothing)
    }
}

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
    /// The page cache outside bulk updates, in KiB (see [`page_cache_kib`]).
    page_cache_kib: u64,
}

/// SQLite's page cache for a database of `database_bytes`: a 16th of it, between
/// SQLite's default (2,000 KiB) and 32 MiB. Four of the posts' indexes take entries in
/// random order (url, title key, time, week rank); once they outgrew the default cache,
/// new posts read their pages back from the kernel and spilled dirty ones early. A
/// cold poll of 10,000 farm feeds (a 490 MB file) made 1.02 million `pread`s and 1.77
/// million `pwrite`s with the default, 0.39 and 1.34 million with this (`perf stat`),
/// and took 14.1–14.4 s against 12.2–13.0 s (alternating runs). A 1,000-feed poll's
/// database (48 MB) gets 2.9 MiB, 0.8 MiB more peak memory.
fn page_cache_kib(database_bytes: u64) -> u64 {
    (database_bytes / 16 / 1024).clamp(SQLITE_DEFAULT_CACHE_KIB, 32 * 1024)
}

/// SQLite's own page cache size (`PRAGMA cache_size = -2000`).
const SQLITE_DEFAULT_CACHE_KIB: u64 = 2_000;

/// Rows a bulk update (a rescore) writes per transaction. Re-weighing 1,000,000 posts
/// took 25 s committing every 5,000 rows, with a checkpoint each time the WAL reached
/// its cap (strace: about 4 GB of WAL frames for a 440 MB table, 148 fsyncs); 10 s in
/// 100,000-row transactions with automatic checkpoints off (each commit is now
/// checkpointed by a [`Checkpointer`] instead). A transaction holds the
/// write lock about a second; the next begins only after the next batch is read, so
/// a polling daemon's writes get in between.
const BULK_ROWS_PER_COMMIT: usize = 100_000;

/// A bulk update's progress (see [`Store::begin_bulk_update`]).
#[derive(Debug, Clone, Copy)]
struct BulkUpdate {
    /// Rows written since the last commit.
    uncommitted: usize,
    rank_index_dropped: bool,
}

/// Checkpoints commits as they come, on a connection and thread of its own, so the
/// copying and the fsyncs overlap the writer's work instead of stopping it: a rescore
/// matching 1,000,000 posts again took 13.8 s with one checkpoint at its end and
/// 12.1 s with this (`gleaner rescore` on the history bench's database); a cold poll
/// of the farm 1.40 s with the checkpoints SQLite runs on the committing thread when
/// the WAL reaches its cap, 1.16 s with this, and a poll where 10% of the feeds
/// changed 0.34 s and 0.28 s. A passive checkpoint takes no lock a writer needs and
/// copies only committed pages.
struct Checkpointer {
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
const ROWS_PER_CHECKPOINT: u64 = 1_000;

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
    fn stop(self) {
        drop(self.commits);
        if self.thread.join().is_err() {
            tracing::warn!("the checkpoint thread panicked");
        }
    }
}

/// The shortlist's index, as schema 6 created it: a week's posts in shortlist order.
const RANK_INDEX: &str = "CREATE INDEX IF NOT EXISTS posts_by_week_rank
    ON posts(week, score DESC, effective_at DESC, id)";

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The WAL size (in pages) at which SQLite checkpoints on its own (see `configure`).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 16384;

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        refuse_foreign_file(path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
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
        store.configure().map_err(|e| store.err(e))?;
        store.fit_page_cache().map_err(|e| store.err(e))?;
        store.migrate()?;
        store.ensure_rank_index()?;
        match store.meta(WEEK_ZONE)?.and_then(|z| z.parse().ok()) {
            Some(zone) => store.zone = zone,
            None => store.recompute_weeks(chrono_tz::UTC)?,
        }
        Ok(store)
    }

    /// Builds the shortlist's index if it is missing: a bulk update drops it while it
    /// runs (see [`Store::begin_bulk_update`]) and may have been interrupted. Looked up
    /// first, so that opening a database takes no write lock.
    fn ensure_rank_index(&self) -> Result<()> {
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

    fn recompute_weeks(&mut self, zone: chrono_tz::Tz) -> Result<()> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
        {
            let mut read = tx
                .prepare("SELECT id, effective_at FROM posts")
                .map_err(|e| sql_err(&path, e))?;
            let mut write = tx
                .prepare("UPDATE posts SET week = ?2 WHERE id = ?1 AND week IS NOT ?2")
                .map_err(|e| sql_err(&path, e))?;
            let mut rows = read.query([]).map_err(|e| sql_err(&path, e))?;
            while let Some(row) = rows.next().map_err(|e| sql_err(&path, e))? {
                let (id, at): (i64, i64) = (
                    row.get(0).map_err(|e| sql_err(&path, e))?,
                    row.get(1).map_err(|e| sql_err(&path, e))?,
                );
                let week = week_key(from_unix(at).unwrap_or_default(), zone);
                write
                    .execute(params![id, week])
                    .map_err(|e| sql_err(&path, e))?;
            }
        }
        put_meta(&tx, WEEK_ZONE, zone.name()).map_err(|e| sql_err(&path, e))?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        self.zone = zone;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        if let rusqlite::Error::SqliteFailure(f, _) = &source
            && f.code == rusqlite::ErrorCode::NotADatabase
        {
            return StoreError::NotADatabase(self.path.clone());
        }
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
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

    fn migrate(&mut self) -> Result<()> {
        let known = MIGRATIONS.len() as i64;
        let found: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if found > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found,
                known,
            });
        }
        self.conn
            .create_scalar_function(
                PARTS_CONVERSION,
                1,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                |ctx| Ok(json_parts_to_encoded(&ctx.get::<String>(0)?)),
            )
            .map_err(|e| self.err(e))?;
        let applied = self.apply_migrations(found);
        self.conn
            .remove_function(PARTS_CONVERSION, 1)
            .map_err(|e| self.err(e))?;
        applied?;
        if found > 0 && found < STORY_SCHEMA {
            self.backfill_stories()?;
        }
        Ok(())
    }

    fn apply_migrations(&mut self, found: i64) -> Result<()> {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = i as i64 + 1;
            let path = self.path.clone();
            let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
            tx.execute_batch(sql)
                .and_then(|_| tx.pragma_update(None, "user_version", version))
                .and_then(|_| tx.commit())
                .map_err(|source| StoreError::Sqlite {
                    path: self.path.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Computes the title keys of posts stored before schema 5 and links their copies,
    /// oldest first, as ingesting them would have.
    fn backfill_stories(&mut self) -> Result<()> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
        let rows: Vec<(i64, i64, String, i64)> = tx
            .prepare("SELECT id, feed_id, title, effective_at FROM posts ORDER BY id")
            .and_then(|mut stmt| {
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect()
            })
            .map_err(|e| sql_err(&path, e))?;
        for (id, feed_id, title, effective_at) in rows {
            let key = crate::normalize::title_hash(&title);
            tx.execute(
                "UPDATE posts SET title_hash = ?2 WHERE id = ?1",
                params![id, key],
            )
            .and_then(|_| link_story(&tx, id, feed_id, key, effective_at))
            .map_err(|e| sql_err(&path, e))?;
        }
        tx.commit().map_err(|e| sql_err(&path, e))
    }

    /// Makes sure every configured feed has a row; a feed whose configured URL changed
    /// starts over from the new URL (validators and backoff cleared).
    pub fn sync_feeds<'a>(
        &mut self,
        feeds: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<()> {
        let path = self.path.clone();
        // Read first: most calls change nothing, and a reader (`gleaner shortlist`) should
        // not queue for the write lock behind a polling daemon for nothing.
        let known: std::collections::HashMap<String, String> = {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT name, config_url FROM feeds")
                .map_err(|e| sql_err(&path, e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| sql_err(&path, e))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| sql_err(&path, e))?
        };
        let changed: Vec<(&str, &str)> = feeds
            .into_iter()
            .filter(|(name, url)| known.get(*name).is_none_or(|known_url| known_url != url))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let tx = self.conn.savepoint().map_err(|e| sql_err(&path, e))?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO feeds (name, config_url, url) VALUES (?1, ?2, ?2)
                     ON CONFLICT(name) DO UPDATE SET
                        config_url = excluded.config_url, url = excluded.url,
                        etag = NULL, last_modified = NULL, next_poll = NULL,
                        consecutive_failures = 0, moved_from = NULL, moved_at = NULL
                     WHERE feeds.config_url != excluded.config_url",
                )
                .map_err(|e| sql_err(&path, e))?;
            for (name, url) in changed {
                upsert
                    .execute(params![name, url])
                    .map_err(|e| sql_err(&path, e))?;
            }
        }
        tx.commit().map_err(|e| sql_err(&path, e))
    }

    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>> {
        Ok(self.query_feed_states("WHERE name = ?1", [name])?.pop())
    }

    /// Every feed's state, by name: what a poll reads once before it starts.
    pub fn feed_states(&self) -> Result<std::collections::HashMap<String, FeedState>> {
        let states = self.query_feed_states("", [])?;
        Ok(states.into_iter().map(|s| (s.name.clone(), s)).collect())
    }

    fn query_feed_states(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<FeedState>> {
        let sql = format!(
            "SELECT id, name, url, etag, last_modified, consecutive_failures, next_poll
             FROM feeds {filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params, |r| {
                Ok(FeedState {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    url: r.get(2)?,
                    etag: r.get(3)?,
                    last_modified: r.get(4)?,
                    consecutive_failures: r.get(5)?,
                    next_poll: r.get::<_, Option<i64>>(6)?.and_then(from_unix),
                })
            })
            .map_err(|e| sql_err(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sql_err(&self.path, e))
    }

    /// Stores a fetched feed's entries (each with its score) and the fetch outcome, in
    /// one savepoint: all or nothing, alone or inside a group (see `begin_group`).
    pub fn record_fetched(
        &mut self,
        feed_id: i64,
        fetch: &FetchRecord,
        entries: &[ScoredEntry],
        now: DateTime<Utc>,
    ) -> Result<IngestCounts> {
        let path = self.path.clone();
        let tx = self.conn.savepoint().map_err(|e| sql_err(&path, e))?;
        let first_success: bool = tx
            .prepare_cached("SELECT first_success IS NULL FROM feeds WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([feed_id], |r| r.get(0)))
            .map_err(|e| sql_err(&path, e))?;
        let batch = Batch {
            now,
            first_success,
            zone: self.zone,
            source_points: self.source_points,
        };
        let mut counts = IngestCounts::default();
        for scored in entries {
            let outcome =
                upsert_entry(&tx, feed_id, scored, &batch).map_err(|e| sql_err(&path, e))?;
            match outcome {
                Upsert::New => counts.new += 1,
                Upsert::Updated => counts.updated += 1,
                Upsert::Unchanged => counts.unchanged += 1,
            }
        }
        if let Some(url) = &fetch.moved_to {
            record_move(&tx, feed_id, url, now).map_err(|e| sql_err(&path, e))?;
        }
        execute_cached(
            &tx,
            "UPDATE feeds SET
                etag = ?2, last_modified = ?3,
                last_status = 'ok', last_http_status = ?4, last_error = NULL,
                consecutive_failures = 0, last_attempt = ?5, last_success = ?5,
                first_success = COALESCE(first_success, ?5), next_poll = ?6
             WHERE id = ?1",
            params![
                feed_id,
                fetch.etag,
                fetch.last_modified,
                fetch.http_status,
                now.timestamp(),
                fetch.next_poll.map(|t| t.timestamp()),
            ],
        )
        .map_err(|e| sql_err(&path, e))?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(counts)
    }

    /// Records a 304: nothing changed, the feed is healthy.
    pub fn record_not_modified(
        &mut self,
        feed_id: i64,
        moved_to: Option<&str>,
        next_poll: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let path = self.path.clone();
        let tx = self.conn.savepoint().map_err(|e| sql_err(&path, e))?;
        if let Some(url) = moved_to {
            record_move(&tx, feed_id, url, now).map_err(|e| sql_err(&path, e))?;
        }
        execute_cached(
            &tx,
            "UPDATE feeds SET last_status = 'not_modified',
                last_http_status = 304, last_error = NULL, consecutive_failures = 0,
                last_attempt = ?2, last_success = ?2, next_poll = ?3
             WHERE id = ?1",
            params![feed_id, now.timestamp(), next_poll.map(|t| t.timestamp())],
        )
        .map_err(|e| sql_err(&path, e))?;
        tx.commit().map_err(|e| sql_err(&path, e))
    }

    /// Records a failed fetch; returns the new consecutive-failure count.
    pub fn record_failure(
        &mut self,
        feed_id: i64,
        failure: &FailureRecord,
        now: DateTime<Utc>,
    ) -> Result<u32> {
        self.conn
            .query_row(
                "UPDATE feeds SET last_status = ?2, last_http_status = ?3, last_error = ?4,
                    consecutive_failures = consecutive_failures + 1,
                    last_attempt = ?5, next_poll = ?6
                 WHERE id = ?1 RETURNING consecutive_failures",
                params![
                    feed_id,
                    if failure.gone { "gone" } else { "error" },
                    failure.http_status,
                    failure.message,
                    now.timestamp(),
                    failure.next_poll.timestamp(),
                ],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Health of the named feeds, in the given order (unknown names are skipped).
    pub fn feed_health(&self, names: &[&str]) -> Result<Vec<FeedHealth>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, url, last_status, last_http_status, last_error, consecutive_failures,
                        last_success, next_poll,
                        (SELECT count(DISTINCT post_id) FROM sightings s WHERE s.feed_id = feeds.id),
                        moved_from, moved_at
                 FROM feeds WHERE name = ?1",
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for name in names {
            let row = stmt
                .query_row([name], |r| {
                    Ok(FeedHealth {
                        name: r.get(0)?,
                        url: r.get(1)?,
                        last_status: r.get(2)?,
                        last_http_status: r.get(3)?,
                        last_error: r.get(4)?,
                        consecutive_failures: r.get(5)?,
                        last_success: r.get::<_, Option<i64>>(6)?.and_then(from_unix),
                        next_poll: r.get::<_, Option<i64>>(7)?.and_then(from_unix),
                        entries: r.get::<_, i64>(8)? as u64,
                        moved_from: r.get(9)?,
                        moved_at: r.get::<_, Option<i64>>(10)?.and_then(from_unix),
                    })
                })
                .optional()
                .map_err(|e| sql_err(&self.path, e))?;
            out.extend(row);
        }
        Ok(out)
    }

    /// Visits the week's candidates best first: posts of ISO week `week` (in the zone
    /// of [`Store::use_zone`]) scoring at least `min_score`, one post per story (copies
    /// under other URLs are listed in the first post's `also_in`). Back-catalogue posts
    /// without a date (first seen on their feed's first poll) are never candidates. The
    /// visitor returns `Break` when it has seen enough: rows come lazily, in the order
    /// of the `posts_by_week_rank` index, so that is all that is read.
    pub fn each_candidate(
        &self,
        week: week::IsoWeek,
        min_score: f64,
        mut visit: impl FnMut(StoredPost) -> ControlFlow<()>,
    ) -> Result<()> {
        let sql = format!(
            "{POST_SELECT} WHERE p.week = ?1 AND p.score >= ?2
               AND p.backfill = 0 AND p.story_of IS NULL
             ORDER BY p.score DESC, p.effective_at DESC, p.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![week.key(), min_score])
            .map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| sql_err(&self.path, e))? {
            let post = post_from_row(row).map_err(|e| sql_err(&self.path, e))?;
            if visit(post).is_break() {
                break;
            }
        }
        Ok(())
    }

    pub fn post(&self, id: i64) -> Result<Option<StoredPost>> {
        self.conn
            .prepare_cached(&post_by_id_sql())
            .and_then(|mut stmt| stmt.query_row([id], post_from_row).optional())
            .map_err(|e| self.err(e))
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
                        t.summary, t.content
                 FROM posts p JOIN feeds f ON f.id = p.feed_id JOIN post_texts t ON t.post_id = p.id
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
    /// from `out_of` rows; returns how many it wrote. Callers pass only the scores that
    /// changed (see [`RescoreRow::stored`]).
    pub fn update_scores(&mut self, scores: &[(i64, f64, String)], out_of: usize) -> Result<usize> {
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
        {
            let mut stmt = self
                .conn
                .prepare_cached("UPDATE posts SET score = ?2, reasons = ?3 WHERE id = ?1")
                .map_err(|e| sql_err(&self.path, e))?;
            for (id, total, reasons) in scores {
                stmt.execute(params![id, total, reasons])
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
        Ok(scores.len())
    }

    /// Makes bulk updates commit every `rows` rows, so tests see what happens
    /// between commits without writing 100,000 rows.
    #[cfg(test)]
    pub fn commit_bulk_updates_every(&mut self, rows: usize) {
        self.bulk_rows_per_commit = rows;
    }

    /// Starts rewriting many rows ([`Store::update_scores`]) in transactions of
    /// [`BULK_ROWS_PER_COMMIT`] rows, with
    /// - a page cache that holds what a batch touches (64 MiB; the default 2 MiB
    ///   spilled dirty pages to the WAL mid-batch and re-read them);
    /// - no automatic checkpoint (at the WAL's cap, every commit of a large rescore
    ///   would copy its pages to the database file again): a [`Checkpointer`] folds
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

    /// A week's review queue, best first: the week's undecided candidates seen in time,
    /// last week's posts first seen this week (late arrivals, which reach this queue
    /// and no other), and posts deferred to this week or earlier and still undecided.
    /// Posts are visited lazily, like [`Store::each_candidate`]: the three parts are
    /// merged in rank order, the first two straight from the `posts_by_week_rank`
    /// index, the deferred ones (few) from the decisions; each post's row is read only
    /// when visited. Before, every post of both weeks was read and sorted, and the
    /// planner walked all posts for it: `gleaner queue` took 0.9 s on the history
    /// bench's 1,000,000 posts; now 0.02 s.
    pub fn each_queued(
        &self,
        w: QueueWindow,
        mut visit: impl FnMut(QueuedPost) -> ControlFlow<()>,
    ) -> Result<()> {
        let (start, end) = w.week.bounds(self.zone);
        let candidate = "p.score >= :min_score AND p.backfill = 0 AND p.story_of IS NULL";
        let undecided =
            "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.post_id = p.id AND d.undone = 0)";
        // `CROSS JOIN` keeps the deferrals first: by posts, SQLite would scan them all.
        let sql = format!(
            "SELECT p.score AS score, p.effective_at AS at, p.id AS id, 0, 0 FROM posts p
              WHERE p.week = :week AND {candidate} AND p.first_seen < :end AND {undecided}
             UNION ALL
             SELECT p.score, p.effective_at, p.id, 0, 1 FROM posts p
              WHERE p.week = :previous AND {candidate}
                AND p.first_seen >= :start AND p.first_seen < :end AND {undecided}
             UNION ALL
             SELECT p.score, p.effective_at, p.id, 1, 0 FROM decisions d CROSS JOIN posts p ON p.id = d.post_id
              WHERE d.undone = 0 AND d.state = 'deferred' AND d.week <= :label AND {candidate}
                AND d.id = (SELECT max(id) FROM decisions WHERE post_id = d.post_id AND undone = 0)
             ORDER BY score DESC, at DESC, id"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(rusqlite::named_params! {
                ":week": w.week.key(),
                ":previous": w.week.previous().key(),
                ":label": w.week.to_string(),
                ":start": start.timestamp(),
                ":end": end.timestamp(),
                ":min_score": w.min_score,
            })
            .map_err(|e| self.err(e))?;
        // A queued post's id, and whether it was carried over or came late.
        let queued = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(i64, bool, bool)> {
            Ok((r.get(2)?, r.get(3)?, r.get(4)?))
        };
        while let Some(r) = rows.next().map_err(|e| sql_err(&self.path, e))? {
            let (id, carried_over, late) = queued(r).map_err(|e| sql_err(&self.path, e))?;
            // Gone only if deleted meanwhile, which nothing does during a read.
            let Some(post) = self.post(id)? else { continue };
            if visit(QueuedPost {
                post,
                carried_over,
                late,
            })
            .is_break()
            {
                break;
            }
        }
        Ok(())
    }

    /// The posts picked in a week's queue, in the order they were picked, with notes.
    pub fn picked(&self, week: &str) -> Result<Vec<(StoredPost, Decision)>> {
        self.decided_where(
            "cur.state = 'picked' AND cur.week = ?1",
            week,
            "",
            "cur.decided_at, cur.id",
        )
    }

    /// Every decision made in a week's queue (deferrals are recorded under `next_week`),
    /// latest first.
    pub fn decided(&self, week: &str, next_week: &str) -> Result<Vec<(StoredPost, Decision)>> {
        self.decided_where(
            "(cur.state IN ('picked', 'rejected') AND cur.week = ?1) OR (cur.state = 'deferred' AND cur.week = ?2)",
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
    /// picked, for every post currently picked or rejected.
    pub fn training_examples(&self) -> Result<Vec<crate::learn::Example>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.name, p.title, t.summary, cur.state = 'picked'
                 FROM decisions cur JOIN posts p ON p.id = cur.post_id JOIN feeds f ON f.id = p.feed_id
                   JOIN post_texts t ON t.post_id = p.id
                 WHERE cur.undone = 0 AND cur.state IN ('picked', 'rejected')
                   AND cur.id = (SELECT max(id) FROM decisions WHERE post_id = cur.post_id AND undone = 0)
                 ORDER BY cur.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(crate::learn::Example {
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

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        put_meta(&self.conn, key, value).map_err(|e| self.err(e))
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

    /// Starts a transaction that groups the writes that follow (each in its own
    /// savepoint) into one commit; see [`crate::pipeline`]'s writer.
    pub fn begin_group(&mut self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))
    }

    pub fn commit_group(&mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))?;
        self.ask_for_checkpoint();
        self.fit_page_cache().map_err(|e| self.err(e))
    }

    /// Sizes the page cache for the database as it is now ([`page_cache_kib`]), once
    /// that is over a quarter above or a fifth below the size set (so a growing file
    /// is not re-sized at every commit).
    fn fit_page_cache(&mut self) -> rusqlite::Result<()> {
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
    /// as they come (every [`ROWS_PER_CHECKPOINT`] changed rows) by a [`Checkpointer`],
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
    fn ask_for_checkpoint(&mut self) {
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

    /// Whether the database answers: reads its schema, touching no table rows (the
    /// health check's probe, cheap at any size).
    pub fn ping(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA schema_version", [], |_| Ok(()))
            .map_err(|e| self.err(e))
    }

    /// Feeds whose last attempt failed (gone included).
    pub fn failing_feed_count(&self) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM feeds WHERE last_status IN ('error', 'gone')",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
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

const POST_SELECT: &str = "SELECT p.id, f.name, p.url, p.title, t.summary, t.content, p.author,
        p.published, p.first_seen, p.effective_at, p.score, p.reasons,
        (SELECT group_concat(name, char(31)) FROM (
            SELECT DISTINCT f2.name AS name FROM sightings s JOIN feeds f2 ON f2.id = s.feed_id
            WHERE (s.post_id = p.id OR s.post_id IN (SELECT id FROM posts c WHERE c.story_of = p.id))
              AND s.feed_id != p.feed_id ORDER BY f2.name)),
        (SELECT group_concat(c.url, char(31)) FROM posts c
            WHERE c.story_of = p.id AND c.url IS NOT NULL)
    FROM posts p JOIN feeds f ON f.id = p.feed_id JOIN post_texts t ON t.post_id = p.id";

/// [`POST_SELECT`] of one post, by id.
///
/// `+?1`, not `?1`: for `p.id = ?1` and the joins' `t.post_id = p.id`, SQLite (3.54)
/// notes that a new value of ?1 might change the plan (were it 0 or 1), so clearing
/// the bindings, as rusqlite's statement cache does on every return, expires the
/// statement: each read prepared it again, 100 µs a read instead of 18. The unary
/// plus hides the value from that heuristic; the plan is the same (rowid lookups).
fn post_by_id_sql() -> String {
    format!("{POST_SELECT} WHERE p.id = +?1")
}

fn post_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPost> {
    post_from_row_at(r, 0)
}

/// A [`POST_SELECT`] row whose post columns start at column `at`.
fn post_from_row_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredPost> {
    let reasons: String = r.get(at + 11)?;
    let also_in: Option<String> = r.get(at + 12)?;
    let copies: Option<String> = r.get(at + 13)?;
    let split = |s: Option<String>| -> Vec<String> {
        s.map(|s| s.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default()
    };
    Ok(StoredPost {
        id: r.get(at)?,
        feed: r.get(at + 1)?,
        url: r.get(at + 2)?,
        title: r.get(at + 3)?,
        summary: r.get(at + 4)?,
        content: r.get(at + 5)?,
        author: r.get(at + 6)?,
        published: r.get::<_, Option<i64>>(at + 7)?.and_then(from_unix),
        first_seen: from_unix(r.get(at + 8)?).unwrap_or_default(),
        effective_at: from_unix(r.get(at + 9)?).unwrap_or_default(),
        score: Score {
            total: r.get(at + 10)?,
            reasons: decode_parts(&reasons),
        },
        also_in: split(also_in),
        copies: split(copies),
    })
}

/// An entry to store, with its score and the hashes it is filed under. Made where the
/// entry was scored, on every core: the store thread is the one part of a poll that
/// runs alone, and hashing each entry's text there took 6% of its time (perf, a
/// cold poll of the bench farm).
///
/// Its fields are private: the hashes are those of this entry for as long as it lives.
#[derive(Debug, Clone)]
pub struct ScoredEntry {
    entry: Entry,
    score: Score,
    /// [`Entry::content_hash`].
    content_hash: String,
    /// [`Entry::title_hash`].
    title_hash: Option<i64>,
}

impl ScoredEntry {
    pub fn new(entry: Entry, score: Score) -> ScoredEntry {
        ScoredEntry {
            content_hash: entry.content_hash(),
            title_hash: entry.title_hash(),
            entry,
            score,
        }
    }

    pub fn into_entry(self) -> Entry {
        self.entry
    }
}

impl From<(Entry, Score)> for ScoredEntry {
    fn from((entry, score): (Entry, Score)) -> ScoredEntry {
        ScoredEntry::new(entry, score)
    }
}

enum Upsert {
    New,
    Updated,
    Unchanged,
}

/// What every entry of one fetched feed is stored with.
struct Batch {
    now: DateTime<Utc>,
    /// The feed's first successful fetch: undated entries are back catalogue.
    first_success: bool,
    zone: chrono_tz::Tz,
    source_points: f64,
}

fn upsert_entry(
    tx: &Connection,
    feed_id: i64,
    scored: &ScoredEntry,
    batch: &Batch,
) -> rusqlite::Result<Upsert> {
    let (entry, score) = (&scored.entry, &scored.score);
    let (now, source_points) = (batch.now, batch.source_points);
    let seen: Option<i64> = tx
        .prepare_cached("SELECT post_id FROM sightings WHERE feed_id = ?1 AND item_key = ?2")?
        .query_row(params![feed_id, entry.item_key], |r| r.get(0))
        .optional()?;
    let post_id = match seen {
        Some(id) => Some(id),
        None => match &entry.url {
            Some(url) => tx
                .prepare_cached("SELECT id FROM posts WHERE url = ?1")?
                .query_row([url], |r| r.get::<_, i64>(0))
                .optional()?,
            None => None,
        },
    };
    let Some(post_id) = post_id else {
        let post_id = insert_post(tx, feed_id, scored, batch)?;
        add_sighting(tx, feed_id, &entry.item_key, post_id, now)?;
        let effective = week::effective_time(entry.published, now).timestamp();
        if let Some(head) = link_story(tx, post_id, feed_id, scored.title_hash, effective)? {
            refresh_sources(tx, head, source_points)?;
        }
        return Ok(Upsert::New);
    };
    if seen.is_none() {
        add_sighting(tx, feed_id, &entry.item_key, post_id, now)?;
        let head: i64 = tx
            .prepare_cached("SELECT coalesce(story_of, id) FROM posts WHERE id = ?1")?
            .query_row([post_id], |r| r.get(0))?;
        refresh_sources(tx, head, source_points)?;
    }
    let (primary_feed, old_hash, first_seen, sources): (i64, String, i64, i64) = tx
        .prepare_cached(
            "SELECT feed_id, content_hash, first_seen, sources FROM posts WHERE id = ?1",
        )?
        .query_row([post_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    // The feed subscribed first owns a post carried by several, whatever order their
    // fetches finish in; only the owner's copy updates the text.
    if feed_id > primary_feed {
        return Ok(Upsert::Unchanged);
    }
    if feed_id < primary_feed {
        tx.prepare_cached("UPDATE posts SET feed_id = ?2 WHERE id = ?1")?
            .execute(params![post_id, feed_id])?;
    }
    let hash = &scored.content_hash;
    if old_hash == *hash {
        return Ok(Upsert::Unchanged);
    }
    let first_seen = from_unix(first_seen).unwrap_or(now);
    let effective = week::effective_time(entry.published, first_seen);
    let score = score.clone().with_sources(sources as usize, source_points);
    // The URL is only moved when no other post already owns the new one.
    tx.prepare_cached(
        "UPDATE posts SET
            url = CASE WHEN ?2 IS NULL OR EXISTS (SELECT 1 FROM posts o WHERE o.url = ?2 AND o.id != ?1)
                  THEN url ELSE ?2 END,
            title = ?3, author = ?4, published = ?5, updated = ?6,
            changed_at = ?7, effective_at = ?8, content_hash = ?9, score = ?10, reasons = ?11,
            week = ?12
         WHERE id = ?1",
    )?
    .execute(params![
        post_id,
        entry.url,
        entry.title,
        entry.author,
        entry.published.map(|t| t.timestamp()),
        entry.updated.map(|t| t.timestamp()),
        now.timestamp(),
        effective.timestamp(),
        hash,
        score.total,
        encode_parts(&score.reasons),
        week_key(effective, batch.zone),
    ])?;
    // A new URL, title or author leaves the text as it was: then it is read, not
    // rewritten.
    tx.prepare_cached(
        "UPDATE post_texts SET summary = ?2, content = ?3
         WHERE post_id = ?1 AND (summary != ?2 OR content != ?3)",
    )?
    .execute(params![post_id, entry.summary, entry.content])?;
    Ok(Upsert::Updated)
}

fn insert_post(
    tx: &Connection,
    feed_id: i64,
    scored: &ScoredEntry,
    batch: &Batch,
) -> rusqlite::Result<i64> {
    let (entry, score, now) = (&scored.entry, &scored.score, batch.now);
    let dated = entry.published.is_some_and(|p| week::is_plausible(p, now));
    let effective = week::effective_time(entry.published, now);
    tx.prepare_cached(
        "INSERT INTO posts (feed_id, url, title, author, published, updated,
            first_seen, effective_at, backfill, content_hash, score, reasons, week, title_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        feed_id,
        entry.url,
        entry.title,
        entry.author,
        entry.published.map(|t| t.timestamp()),
        entry.updated.map(|t| t.timestamp()),
        now.timestamp(),
        effective.timestamp(),
        // An undated entry on a feed's first poll is back catalogue of unknown age.
        batch.first_success && !dated,
        scored.content_hash,
        score.total,
        encode_parts(&score.reasons),
        week_key(effective, batch.zone),
        scored.title_hash,
    ])?;
    let post_id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO post_texts (post_id, summary, content) VALUES (?1, ?2, ?3)")?
        .execute(params![post_id, entry.summary, entry.content])?;
    Ok(post_id)
}

/// Makes a new post part of the story of an earlier post from another feed with the
/// same title key, dated within [`STORY_WINDOW_SECS`]. The story's first post stands
/// for it, except that a copy from a feed subscribed earlier (the company blog listed
/// above the aggregator) takes its place while nobody has decided on the story yet:
/// which feed stands for a story must not depend on which fetch finished first.
fn link_story(
    tx: &Connection,
    post_id: i64,
    feed_id: i64,
    title_hash: Option<i64>,
    effective_at: i64,
) -> rusqlite::Result<Option<i64>> {
    let Some(key) = title_hash else {
        return Ok(None);
    };
    // A plain equality lookup, filtered here. With a range on the dates, or with
    // `ORDER BY id LIMIT`, SQLite re-prepared the statement on every execution (perf:
    // sqlite3Reprepare, 10% of a cold poll; storing a post took 3x as long). Titles
    // shared by many posts are rare; the first 16 are plenty to look at.
    let mut earlier = tx.prepare_cached(
        "SELECT id, coalesce(story_of, id), feed_id, effective_at FROM posts
         WHERE title_hash = ?1",
    )?;
    let mut rows = earlier.query([key])?;
    let mut head = None;
    // In index order: by id within one hash.
    for _ in 0..16 {
        let Some(r) = rows.next()? else { break };
        let (id, story, other_feed, at): (i64, i64, i64, i64) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        if id < post_id && other_feed != feed_id && (at - effective_at).abs() <= STORY_WINDOW_SECS {
            head = Some(story);
            break;
        }
    }
    let Some(head) = head else {
        return Ok(None);
    };
    let (head_feed, decided): (i64, bool) = tx
        .prepare_cached(
            "SELECT feed_id, EXISTS (SELECT 1 FROM decisions WHERE post_id = ?1) FROM posts WHERE id = ?1",
        )?
        .query_row([head], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if feed_id < head_feed && !decided {
        tx.prepare_cached("UPDATE posts SET story_of = ?2 WHERE id = ?1 OR story_of = ?1")?
            .execute(params![head, post_id])?;
        return Ok(Some(post_id));
    }
    tx.prepare_cached("UPDATE posts SET story_of = ?2 WHERE id = ?1")?
        .execute(params![post_id, head])?;
    Ok(Some(head))
}

/// Recounts the feeds that carried the story led by `head` and, when the count
/// changed, stores it with the `sources` part of the head's score.
fn refresh_sources(tx: &Connection, head: i64, points: f64) -> rusqlite::Result<()> {
    let (count, stored, reasons, total): (i64, i64, String, f64) = tx
        .prepare_cached(
            "SELECT (SELECT count(DISTINCT s.feed_id) FROM sightings s
                     WHERE s.post_id = p.id OR s.post_id IN (SELECT c.id FROM posts c WHERE c.story_of = p.id)),
                    p.sources, p.reasons, p.score
             FROM posts p WHERE p.id = ?1",
        )?
        .query_row([head], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    if count == stored {
        return Ok(());
    }
    let score = Score {
        total,
        reasons: decode_parts(&reasons),
    }
    .with_sources(count.max(1) as usize, points);
    tx.prepare_cached("UPDATE posts SET sources = ?2, score = ?3, reasons = ?4 WHERE id = ?1")?
        .execute(params![
            head,
            count,
            score.total,
            encode_parts(&score.reasons)
        ])
        .map(drop)
}

fn add_sighting(
    tx: &Connection,
    feed_id: i64,
    key: &str,
    post_id: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO sightings (feed_id, item_key, post_id, first_seen) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![feed_id, key, post_id, now.timestamp()])
    .map(drop)
}

/// Points the feed at `url`, remembering where it was and when it moved.
fn record_move(
    tx: &Connection,
    feed_id: i64,
    url: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE feeds SET moved_from = url, moved_at = ?3, url = ?2 WHERE id = ?1 AND url != ?2",
        params![feed_id, url, now.timestamp()],
    )
    .map(drop)
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

fn week_key(at: DateTime<Utc>, zone: chrono_tz::Tz) -> i64 {
    week::IsoWeek::containing(at, zone).key()
}

/// A score's parts as stored in `posts.reasons` (schema 8): one line per rule, its
/// name then each part's `points field`, tab-separated; consecutive parts of one rule
/// (the same rule in title and summary) share its line:
///
/// ```text
/// incident\t7.5 title\t2.5 summary
/// boost\t1 feed
/// ```
///
/// Under half of JSON's size (a rescore rewrites every row whose score changed, so the
/// row's width is its cost). `\`, tab and newline in names are escaped; points are
/// written in the shortest form that reads back exactly.
pub fn encode_parts(parts: &[Reason]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(parts.len() * 24);
    let mut line_of: Option<&str> = None;
    for part in parts {
        if line_of == Some(part.rule.as_str()) {
            out.push('\t');
        } else {
            if line_of.is_some() {
                out.push('\n');
            }
            escape_part_text(&mut out, &part.rule);
            out.push('\t');
            line_of = Some(&part.rule);
        }
        write!(out, "{} ", part.points).expect("writing to a String cannot fail");
        escape_part_text(&mut out, &part.field);
    }
    out
}

/// The parts [`encode_parts`] wrote; a malformed line or part is skipped.
pub fn decode_parts(stored: &str) -> Vec<Reason> {
    let mut parts = Vec::new();
    for line in stored.split('\n') {
        let Some((rule, cells)) = line.split_once('\t') else {
            continue;
        };
        let rule = unescape_part_text(rule);
        for cell in cells.split('\t') {
            let Some((points, field)) = cell.split_once(' ') else {
                continue;
            };
            let Ok(points) = points.parse::<f64>() else {
                continue;
            };
            parts.push(Reason {
                rule: rule.clone(),
                field: unescape_part_text(field),
                points,
            });
        }
    }
    parts
}

fn escape_part_text(out: &mut String, text: &str) {
    if !text.contains(['\\', '\t', '\n']) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn unescape_part_text(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Schema 8's conversion of a stored JSON list of parts to [`encode_parts`]'s form
/// (unreadable JSON, which reads as no parts, becomes no parts).
fn json_parts_to_encoded(json: &str) -> String {
    encode_parts(&serde_json::from_str::<Vec<Reason>>(json).unwrap_or_default())
}

fn sql_err(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

pub fn from_unix(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, url: Option<&str>, title: &str) -> Entry {
        Entry {
            item_key: key.into(),
            url: url.map(str::to_owned),
            title: title.into(),
            published: Some(now() - chrono::Duration::hours(1)),
            ..Entry::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("sub/g.db")).unwrap();
        s.sync_feeds([
            ("a", "https://a.example/feed"),
            ("b", "https://b.example/feed"),
        ])
        .unwrap();
        (dir, s)
    }

    /// The candidates of the week of `now()` (in UTC, the store's default zone).
    fn candidates(s: &Store) -> Vec<StoredPost> {
        let mut out = Vec::new();
        s.each_candidate(week::IsoWeek::containing(now(), chrono_tz::UTC), 0.0, |p| {
            out.push(p);
            ControlFlow::Continue(())
        })
        .unwrap();
        out
    }

    /// A store whose feed `a` carried `n` posts scored 5, ids 1 to `n`.
    fn store_with_posts(n: usize) -> (tempfile::TempDir, Store) {
        let (dir, mut s) = store();
        let entries = (0..n)
            .map(|i| entry(&format!("k{i}"), Some(&format!("https://x/{i}")), "t"))
            .collect();
        ingest(&mut s, "a", entries);
        (dir, s)
    }

    fn ingest(s: &mut Store, feed: &str, entries: Vec<Entry>) -> IngestCounts {
        let id = s.feed_state(feed).unwrap().unwrap().id;
        let scored: Vec<_> = entries
            .into_iter()
            .map(|e| {
                let score = Score {
                    total: 5.0,
                    reasons: vec![],
                };
                ScoredEntry::new(e, score)
            })
            .collect();
        s.record_fetched(id, &FetchRecord::default(), &scored, now())
            .unwrap()
    }

    #[test]
    fn dedupe_by_key_then_url_and_updates_only_from_the_primary_feed() {
        let (_d, mut s) = store();
        let c = ingest(
            &mut s,
            "a",
            vec![entry("g:1", Some("https://x.example/p"), "Post")],
        );
        assert_eq!((c.new, c.updated, c.unchanged), (1, 0, 0));
        // Same again: unchanged. Changed title: updated.
        assert_eq!(
            ingest(
                &mut s,
                "a",
                vec![entry("g:1", Some("https://x.example/p"), "Post")]
            )
            .unchanged,
            1
        );
        assert_eq!(
            ingest(
                &mut s,
                "a",
                vec![entry("g:1", Some("https://x.example/p"), "Post v2")]
            )
            .updated,
            1
        );
        // A new GUID for the same link is the same post.
        assert_eq!(
            ingest(
                &mut s,
                "a",
                vec![entry("g:2", Some("https://x.example/p"), "Post v2")]
            )
            .unchanged,
            1
        );
        // Another feed carrying it: one post, seen in both.
        assert_eq!(
            ingest(
                &mut s,
                "b",
                vec![entry(
                    "u:https://x.example/p",
                    Some("https://x.example/p"),
                    "Copy"
                )]
            )
            .unchanged,
            1
        );
        assert_eq!(s.post_count().unwrap(), 1);
        let posts = candidates(&s);
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].title, "Post v2");
        assert_eq!(posts[0].feed, "a");
        assert_eq!(posts[0].also_in, vec!["b".to_owned()]);
    }

    #[test]
    fn undated_back_catalogue_is_not_a_candidate() {
        let (_d, mut s) = store();
        let mut old = entry("g:old", Some("https://x.example/old"), "Old");
        old.published = None;
        ingest(&mut s, "a", vec![old]);
        let mut new = entry("g:new", Some("https://x.example/new"), "New");
        new.published = None;
        ingest(&mut s, "a", vec![new]);
        let titles: Vec<String> = candidates(&s).into_iter().map(|p| p.title).collect();
        assert_eq!(titles, ["New"]);
    }

    #[test]
    fn foreign_and_newer_files_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.db");
        std::fs::write(&text, "my precious notes, not a database").unwrap();
        assert!(matches!(
            Store::open(&text),
            Err(StoreError::NotADatabase(_))
        ));
        assert_eq!(
            std::fs::read_to_string(&text).unwrap(),
            "my precious notes, not a database"
        );

        let newer = dir.path().join("newer.db");
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = Store::open(&newer).err().unwrap();
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[test]
    fn an_older_schema_is_migrated_keeping_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute("INSERT INTO feeds (name, config_url, url) VALUES ('a', 'https://a.example/f', 'https://a.example/f')", [])
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let health = store.feed_health(&["a"]).unwrap();
        assert_eq!(health[0].url, "https://a.example/f");
        assert_eq!(health[0].moved_from, None);
    }

    #[test]
    fn copies_of_a_story_are_one_candidate_led_by_the_feed_subscribed_first() {
        let (_d, mut s) = store();
        let title = "How we rebuilt our outage runbooks";
        // The aggregator's copy (feed b) is fetched first, the company blog's second.
        ingest(
            &mut s,
            "b",
            vec![entry("g:1", Some("https://b.example/1"), title)],
        );
        ingest(
            &mut s,
            "a",
            vec![entry(
                "g:2",
                Some("https://a.example/2"),
                &title.to_uppercase(),
            )],
        );
        let found = candidates(&s);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].url.as_deref(), Some("https://a.example/2"));
        assert_eq!(found[0].also_in, ["b"]);
        assert_eq!(found[0].copies, ["https://b.example/1"]);
        assert_eq!(found[0].sources(), 2);

        // Once the editor decided on a story, a new copy never takes its place.
        let title = "Retries considered harmful at scale";
        ingest(
            &mut s,
            "b",
            vec![entry("g:3", Some("https://b.example/3"), title)],
        );
        let decided = candidates(&s)
            .into_iter()
            .find(|p| p.title == title)
            .unwrap();
        s.decide(decided.id, "rejected", None, "2026-W48", now())
            .unwrap();
        ingest(
            &mut s,
            "a",
            vec![entry("g:4", Some("https://a.example/4"), title)],
        );
        let led: Vec<_> = candidates(&s)
            .into_iter()
            .filter(|p| p.title == title)
            .collect();
        assert_eq!(led.len(), 1);
        assert_eq!(led[0].id, decided.id);
        // Short titles are not enough to call two posts one story.
        ingest(
            &mut s,
            "a",
            vec![entry("g:5", Some("https://a.example/5"), "Weekly update")],
        );
        ingest(
            &mut s,
            "b",
            vec![entry("g:6", Some("https://b.example/6"), "Weekly update")],
        );
        assert_eq!(
            candidates(&s)
                .iter()
                .filter(|p| p.title == "Weekly update")
                .count(),
            2
        );
    }

    #[test]
    fn reading_posts_by_id_reuses_the_prepared_statement() {
        let (_d, s) = store_with_posts(3);
        for id in [1, 2, 3, 1] {
            assert!(s.post(id).unwrap().is_some());
        }
        let stmt = s.conn.prepare_cached(&post_by_id_sql()).unwrap();
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[test]
    fn a_weeks_queue_merges_its_own_late_and_deferred_posts_in_rank_order() {
        let (_d, mut s) = store();
        let at = |days: i64, title: &str, points: f64| {
            let mut e = entry(title, Some(&format!("https://a.example/{title}")), title);
            e.published = Some(now() - chrono::Duration::days(days) - chrono::Duration::hours(1));
            let score = Score {
                total: points,
                reasons: vec![],
            };
            ScoredEntry::new(e, score)
        };
        // `now()` is Monday of 2026-W48: 0 days back is this week, 3 last week (first
        // seen now, so late), 10 the week before (only in the queue once deferred).
        let posts = vec![
            at(0, "this week", 5.0),
            at(3, "late", 3.0),
            at(10, "deferred", 4.0),
            at(0, "low", 2.0),
            at(0, "picked", 6.0),
            at(10, "too old", 7.0),
            at(0, "below the floor", 0.5),
        ];
        let feed = s.feed_state("a").unwrap().unwrap().id;
        s.record_fetched(feed, &FetchRecord::default(), &posts, now())
            .unwrap();
        let id = |title: &str| -> i64 {
            s.conn
                .query_row("SELECT id FROM posts WHERE title = ?1", [title], |r| {
                    r.get(0)
                })
                .unwrap()
        };
        let (deferred, picked) = (id("deferred"), id("picked"));
        s.decide(deferred, "deferred", None, "2026-W48", now())
            .unwrap();
        s.decide(picked, "picked", None, "2026-W48", now()).unwrap();

        let mut queue = Vec::new();
        let window = QueueWindow {
            week: week::IsoWeek::containing(now(), chrono_tz::UTC),
            min_score: 1.0,
        };
        s.each_queued(window, |q| {
            queue.push((q.post.title, q.carried_over, q.late));
            ControlFlow::Continue(())
        })
        .unwrap();
        let expected = [
            ("this week", false, false),
            ("deferred", true, false),
            ("late", false, true),
            ("low", false, false),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|&(t, carried, late)| (t.to_owned(), carried, late))
            .collect();
        assert_eq!(queue, expected);

        // Visited lazily: the visitor's Break ends the reading.
        let mut seen = 0;
        s.each_queued(window, |_| {
            seen += 1;
            ControlFlow::Break(())
        })
        .unwrap();
        assert_eq!(seen, 1);
    }

    #[test]
    fn weeks_follow_the_configured_zone_even_when_it_changes() {
        let (_d, mut s) = store();
        // Monday 02:00 UTC is still Sunday evening in New York.
        let mut e = entry("g:1", Some("https://a.example/1"), "Late Sunday post");
        e.published = Some(now() - chrono::Duration::hours(10));
        ingest(&mut s, "a", vec![e]);
        let monday_week = week::IsoWeek::containing(now(), chrono_tz::UTC);
        let titles = |s: &Store, w: week::IsoWeek| {
            let mut out = Vec::new();
            s.each_candidate(w, 0.0, |p| {
                out.push(p.title);
                ControlFlow::Continue(())
            })
            .unwrap();
            out
        };
        assert_eq!(titles(&s, monday_week), ["Late Sunday post"]);
        s.use_zone(chrono_tz::America::New_York).unwrap();
        assert!(titles(&s, monday_week).is_empty());
        assert_eq!(titles(&s, monday_week.previous()), ["Late Sunday post"]);
        // The zone is remembered with the weeks computed in it.
        let path = s.path().to_path_buf();
        drop(s);
        let reopened = Store::open(&path).unwrap();
        assert_eq!(
            titles(&reopened, monday_week.previous()),
            ["Late Sunday post"]
        );
    }

    /// A database file as gleaner left it at schema `version`, with `rows` inserted.
    fn file_at_schema(version: usize, rows: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("v{version}.db"));
        let conn = Connection::open(&path).unwrap();
        for m in &MIGRATIONS[..version] {
            conn.execute_batch(m).unwrap();
        }
        conn.pragma_update(None, "user_version", version as i64)
            .unwrap();
        conn.execute_batch(rows).unwrap();
        (dir, path)
    }

    #[test]
    fn a_schema_4_file_gets_its_stories_linked() {
        let (_dir, path) = file_at_schema(
            4,
            "INSERT INTO feeds (name, config_url, url) VALUES ('a', 'u', 'u'), ('b', 'v', 'v');
             INSERT INTO posts (feed_id, url, title, summary, content, first_seen, effective_at, content_hash)
             VALUES (1, 'https://a/1', 'Our big outage, explained', '', '', 0, 1000, 'x'),
                    (2, 'https://b/1', 'Our Big Outage — Explained', '', '', 0, 2000, 'y');",
        );
        let store = Store::open(&path).unwrap();
        let story_of: Option<i64> = store
            .conn
            .query_row("SELECT story_of FROM posts WHERE id = 2", [], |r| r.get(0))
            .unwrap();
        assert_eq!(story_of, Some(1));
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
        let new = |ids: &[i64]| -> Vec<(i64, f64, String)> {
            ids.iter().map(|&id| (id, 9.0, String::new())).collect()
        };
        s.update_scores(&new(&[1]), 1).unwrap();
        assert_eq!(scores_seen_elsewhere(), [5.0; 5], "nothing committed yet");
        s.update_scores(&new(&[2, 3]), 2).unwrap();
        assert_eq!(scores_seen_elsewhere(), [9.0, 9.0, 9.0, 5.0, 5.0]);
        // Between its transactions another writer gets the lock at once.
        Connection::open(dir.path().join("sub/g.db"))
            .unwrap()
            .execute_batch("BEGIN IMMEDIATE; UPDATE posts SET score = 7 WHERE id = 5; COMMIT;")
            .unwrap();
        s.update_scores(&new(&[4]), 1).unwrap();
        s.end_bulk_update(false).unwrap();
        assert_eq!(scores_seen_elsewhere(), [9.0, 9.0, 9.0, 5.0, 7.0]);

        assert!(has_rank_index(&s), "built again after a rollback");

        s.begin_bulk_update().unwrap();
        s.update_scores(&new(&[5]), 1).unwrap();
        s.end_bulk_update(true).unwrap();
        assert_eq!(scores_seen_elsewhere(), [9.0, 9.0, 9.0, 5.0, 9.0]);
        assert!(has_rank_index(&s));

        // Few changed rows keep the index up to date rather than build it again.
        s.begin_bulk_update().unwrap();
        s.update_scores(&new(&[1]), 10).unwrap();
        assert!(has_rank_index(&s));
        s.end_bulk_update(true).unwrap();

        // Interrupted after a commit (the process killed): the next open builds it.
        s.begin_bulk_update().unwrap();
        s.update_scores(&new(&[1, 2]), 2).unwrap();
        assert!(!has_rank_index(&s));
        drop(s);
        assert!(has_rank_index(
            &Store::open(&dir.path().join("sub/g.db")).unwrap()
        ));
    }

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

    /// The posts' scores as the database file alone has them, without its WAL: what
    /// checkpoints have folded in.
    fn scores_in_file_alone(dir: &Path) -> Vec<f64> {
        let copy = dir.join("copy.db");
        std::fs::copy(dir.join("sub/g.db"), &copy).unwrap();
        let scores = scores_in(&copy);
        std::fs::remove_file(&copy).unwrap();
        scores
    }

    /// The posts' scores, in id order, as a connection of its own reads them.
    fn scores_in(db: &Path) -> Vec<f64> {
        let conn = Connection::open(db).unwrap();
        let mut stmt = conn.prepare("SELECT score FROM posts ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
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
        let rows: Vec<(i64, f64, String)> = (1..=3).map(|id| (id, 9.0, String::new())).collect();
        s.update_scores(&rows, 3).unwrap();
        s.update_scores(&[(4, 9.0, String::new())], 1).unwrap();
        // Waits for the checkpoints asked for so far; the update is still open.
        s.checkpointer
            .take()
            .expect("started with the update")
            .stop();
        assert_eq!(scores_in_file_alone(dir.path()), [9.0, 9.0, 9.0, 5.0, 5.0]);
        s.end_bulk_update(true).unwrap();
        assert_eq!(scores_in_file_alone(dir.path()), [9.0, 9.0, 9.0, 9.0, 5.0]);
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

    /// A thread that panicked mid-rescore holding the shared store: the next user
    /// finds no open transaction, the rows as they were, the index, and no poison.
    #[test]
    fn a_lock_taken_over_after_a_panic_finds_nothing_half_done() {
        let (_dir, s) = store_with_posts(3);
        let shared = std::sync::Arc::new(std::sync::Mutex::new(s));
        let holder = shared.clone();
        let panicked = std::thread::spawn(move || {
            let mut s = holder.lock().unwrap();
            s.begin_bulk_update().unwrap();
            s.update_scores(&[(1, 9.0, String::new())], 1).unwrap();
            panic!("a scoring thread failed");
        })
        .join();
        assert!(panicked.is_err() && shared.is_poisoned());

        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (in_transaction, indexed, score) = runtime
            .block_on(off_async(&shared, |s| {
                (
                    !s.conn.is_autocommit(),
                    has_rank_index(s),
                    s.post(1).unwrap().unwrap().score.total,
                )
            }))
            .unwrap();
        assert_eq!((in_transaction, indexed, score), (false, true, 5.0));
        assert!(!shared.is_poisoned());
    }

    fn has_rank_index(s: &Store) -> bool {
        s.conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'posts_by_week_rank'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 1
    }

    #[test]
    fn stored_parts_read_back_as_written_whatever_their_names() {
        let part = |rule: &str, field: &str, points| Reason {
            rule: rule.into(),
            field: field.into(),
            points,
        };
        let parts = vec![
            part("incident", "title", 7.5),
            part("incident", "summary", 2.5),
            part("tab\tnewline\n back\\t slash\\", "content", -0.75),
            part("", "url", 0.0),
            part("é 漢 ", "author", 1e-7),
            part("incident", "content", 1.0 / 3.0),
            part("boost", "feed", 1.0),
            part("sources", "3 feeds", 2.0),
        ];
        let stored = encode_parts(&parts);
        assert_eq!(decode_parts(&stored), parts);
        assert_eq!(decode_parts(&encode_parts(&[])), vec![]);
        assert!(stored.len() * 2 < serde_json::to_string(&parts).unwrap().len());
        // Damage costs only the damaged parts.
        assert_eq!(
            decode_parts("incident\tx title\t2 summary\tnospace\nno tab"),
            vec![part("incident", "summary", 2.0)]
        );
    }

    #[test]
    fn a_schema_7_file_gets_its_json_parts_stored_compactly() {
        let (_dir, path) = file_at_schema(
            7,
            r#"INSERT INTO feeds (name, config_url, url) VALUES ('a', 'u', 'u');
             INSERT INTO posts (feed_id, url, title, first_seen, effective_at, content_hash, score, reasons)
             VALUES (1, 'https://a/1', 'Our outage', 0, 1000, 'x', 8.5,
                     '[{"rule":"outage","field":"title","points":6.0},{"rule":"boost","field":"feed","points":2.5}]'),
                    (1, 'https://a/2', 'Launch', 0, 1000, 'y', 0, 'not json');
             INSERT INTO post_texts (post_id, summary, content) VALUES (1, '', ''), (2, '', '');"#,
        );
        let store = Store::open(&path).unwrap();
        let post = store.post(1).unwrap().unwrap();
        assert_eq!(
            post.score.summary_line(),
            "outage (title) +6.00, boost (feed) +2.50"
        );
        assert_eq!(store.post(2).unwrap().unwrap().score.reasons, vec![]);
        let raw: Vec<String> = store
            .conn
            .prepare("SELECT reasons FROM posts ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(raw, ["outage\t6 title\nboost\t2.5 feed", ""]);
    }

    #[test]
    fn a_schema_6_file_keeps_its_text_in_post_texts() {
        let (_dir, path) = file_at_schema(
            6,
            "INSERT INTO feeds (name, config_url, url) VALUES ('a', 'u', 'u');
             INSERT INTO posts (feed_id, url, title, summary, content, first_seen, effective_at, content_hash)
             VALUES (1, 'https://a/1', 'Our outage', 'The summary', 'The whole story', 0, 1000, 'x');",
        );
        let store = Store::open(&path).unwrap();
        let post = store.post(1).unwrap().unwrap();
        assert_eq!(
            (
                post.title.as_str(),
                post.summary.as_str(),
                post.content.as_str()
            ),
            ("Our outage", "The summary", "The whole story")
        );
    }

    #[test]
    fn an_update_rewrites_the_text_only_when_the_text_changed() {
        let (_d, mut s) = store();
        let mut e = entry("k", Some("https://a.example/1"), "Our outage");
        e.summary = "What happened".into();
        ingest(&mut s, "a", vec![e.clone()]);
        let texts_version = |s: &Store| -> (String, String) {
            s.conn
                .query_row("SELECT summary, content FROM post_texts", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap()
        };
        // A new URL: the post is updated, its text row stays as it was.
        e.url = Some("https://a.example/one".into());
        let changes_before = s.conn.total_changes();
        assert_eq!(ingest(&mut s, "a", vec![e.clone()]).updated, 1);
        // One row changed by the UPDATE of posts (and one by the feed's own row).
        assert_eq!(s.conn.total_changes() - changes_before, 2);
        assert_eq!(
            texts_version(&s),
            ("What happened".to_owned(), String::new())
        );
        // New text: both are rewritten.
        e.content = "And what we changed".into();
        assert_eq!(ingest(&mut s, "a", vec![e]).updated, 1);
        assert_eq!(
            texts_version(&s),
            ("What happened".to_owned(), "And what we changed".to_owned())
        );
        assert_eq!(s.post(1).unwrap().unwrap().content, "And what we changed");
    }

    #[test]
    fn a_configured_url_change_resets_the_feed_state() {
        let (_d, mut s) = store();
        let id = s.feed_state("a").unwrap().unwrap().id;
        let fetch = FetchRecord {
            etag: Some("\"v1\"".into()),
            ..FetchRecord::default()
        };
        s.record_fetched(id, &fetch, &[], now()).unwrap();
        assert_eq!(
            s.feed_state("a").unwrap().unwrap().etag.as_deref(),
            Some("\"v1\"")
        );
        s.sync_feeds([("a", "https://a.example/feed")]).unwrap();
        assert_eq!(
            s.feed_state("a").unwrap().unwrap().etag.as_deref(),
            Some("\"v1\"")
        );
        s.sync_feeds([("a", "https://a.example/new-feed")]).unwrap();
        let state = s.feed_state("a").unwrap().unwrap();
        assert_eq!(
            (state.url.as_str(), state.etag),
            ("https://a.example/new-feed", None)
        );
    }
}
