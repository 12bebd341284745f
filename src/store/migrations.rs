//! The schema: migrations applied in order under `PRAGMA user_version`, each in its own
//! transaction, and the conversions some of them need from Rust (registered as SQL
//! functions while they run). A database from a newer gleaner is refused untouched.

use rusqlite::functions::FunctionFlags;
use rusqlite::params;

use super::ingest::link_story;
use super::parts::encode_parts;
use super::{Result, Store, StoreError, sql_err};
use crate::score::Reason;

/// Schema migrations, applied in order; `PRAGMA user_version` is how many have run.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // 9: what reading a feed's last document took beyond the plain parse (recovered
    // malformations, entries cut), shown beside its status.
    "ALTER TABLE feeds ADD COLUMN note TEXT;",
    // 10: the queue a post first seen after its own week ended belongs to (see
    // `week::late_week`), kept for the few posts that have one and indexed in rank
    // order for them alone. Computed in Rust for older files (`LATE_SCHEMA`).
    "ALTER TABLE posts ADD COLUMN late_week INTEGER;
    CREATE INDEX posts_by_late_week ON posts(late_week, score DESC, effective_at DESC, id)
        WHERE late_week IS NOT NULL;",
    // 11: where a decision came from: the editor (the queue, the CLI) or a newsletter's
    // archive (`gleaner archive`: what a past issue linked, which the learned part
    // trains on and no queue or draft shows).
    "ALTER TABLE decisions ADD COLUMN origin TEXT NOT NULL DEFAULT 'editor';
    CREATE INDEX decisions_by_origin ON decisions(origin, week) WHERE origin != 'editor';",
    // 12: sites gleaner saw but the editor does not subscribe to (`gleaner sources`):
    // the feed found for each (cached: discovery fetches pages), and the ones the
    // editor dismissed for good.
    "CREATE TABLE sources (
        site TEXT PRIMARY KEY,
        feed_url TEXT,
        checked_at INTEGER,
        dismissed INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;",
    // 13: reach. `feeds.aggregator` names the aggregator a feed's last document came
    // from (NULL for a blog): its entries are other sites' articles, and it never owns
    // a post a blog carries. `posts.org` is the org an aggregator's item names (the
    // article's host, a self post's community); `sightings.discussion` the threads
    // (U+001F between them) where that feed discussed the post. `articles`: the
    // article page of a post, when one is wanted: `pending` until fetched, then
    // `read` (with its text, at most 64 KiB, and what the page says of itself),
    // `failed` (retried with backoff until `attempts` reaches the limit) or `skipped`;
    // a read one whose post's text changed is marked `reason = 'stale'` until scored
    // again. The index holds only the rows a poll looks for.
    "ALTER TABLE feeds ADD COLUMN aggregator TEXT;
    ALTER TABLE posts ADD COLUMN org TEXT;
    ALTER TABLE sightings ADD COLUMN discussion TEXT;
    CREATE TABLE articles (
        post_id INTEGER PRIMARY KEY REFERENCES posts(id),
        url TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'read', 'failed', 'skipped')),
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try INTEGER,
        fetched_at INTEGER,
        words INTEGER,
        author TEXT,
        site_name TEXT,
        published INTEGER,
        text TEXT
    );
    CREATE INDEX articles_due ON articles(status)
        WHERE status IN ('pending', 'failed') OR reason = 'stale';",
    // 14: the review desk. `batch` ties together the decisions one action made ("reject
    // the rest of this feed's posts"), so one undo takes them all back; `position` is a
    // pick's place in the draft once the editor reordered it (NULL: in the order picked).
    "ALTER TABLE decisions ADD COLUMN batch INTEGER;
    ALTER TABLE decisions ADD COLUMN position INTEGER;",
];

/// The SQL function schema 8's migration converts stored parts with.
const PARTS_CONVERSION: &str = "gleaner_json_parts_to_encoded";

/// Schema version that introduced `late_week`; older files get theirs computed when
/// the store knows its zone (see [`Store::open`]).
pub(super) const LATE_SCHEMA: i64 = 10;

/// Schema version that introduced `title_hash`; older files get theirs computed.
const STORY_SCHEMA: i64 = 5;

/// Meta keys of the work an upgrade leaves to Rust after its SQL: written in the same
/// transaction as the migration step that needs it, removed in the same transaction as
/// the work, so a crash between the two leaves the work owed, not forgotten.
pub(super) const OWES_STORIES: &str = "owes:stories";
pub(super) const OWES_WEEKS: &str = "owes:weeks";

impl Store {
    /// The file's schema version; a file from a newer gleaner is refused (before
    /// anything writes to it: even switching it to WAL would).
    pub(super) fn schema_version(&self) -> Result<i64> {
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
        Ok(found)
    }

    /// Applies the migrations this file lacks, then the work they leave to Rust (see
    /// [`OWES_STORIES`]); returns the version it had.
    pub(super) fn migrate(&mut self) -> Result<i64> {
        let found = self.migrate_schema()?;
        if self.meta(OWES_STORIES)?.is_some() {
            self.backfill_stories()?;
        }
        Ok(found)
    }

    /// The SQL of the migrations this file lacks; returns the version it had.
    fn migrate_schema(&mut self) -> Result<i64> {
        let found = self.schema_version()?;
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
        Ok(found)
    }

    fn apply_migrations(&mut self, found: i64) -> Result<()> {
        self.apply_migrations_to(found, MIGRATIONS.len() as i64)
    }

    /// The migrations from version `found` up to version `to`.
    fn apply_migrations_to(&mut self, found: i64, to: i64) -> Result<()> {
        let steps = MIGRATIONS.iter().take(to as usize);
        for (i, sql) in steps.enumerate().skip(found as usize) {
            let version = i as i64 + 1;
            let path = self.path.clone();
            let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
            // An existing file reaching these versions owes their Rust-side work.
            let owed = [(STORY_SCHEMA, OWES_STORIES), (LATE_SCHEMA, OWES_WEEKS)]
                .into_iter()
                .filter(|&(at, _)| found > 0 && version == at)
                .map(|(_, key)| key);
            tx.execute_batch(sql)
                .and_then(|_| {
                    owed.into_iter()
                        .try_for_each(|key| super::put_meta(&tx, key, "1"))
                })
                .and_then(|_| tx.pragma_update(None, "user_version", version))
                .and_then(|_| tx.commit())
                .map_err(|e| match sql_err(&path, e) {
                    // A full disk or a damaged file says so; anything else is this step.
                    StoreError::Sqlite { path, cause } => StoreError::Migration {
                        path,
                        from: version - 1,
                        to: version,
                        cause,
                    },
                    other => other,
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
            let key = crate::model::story::title_hash(&title);
            tx.execute(
                "UPDATE posts SET title_hash = ?2 WHERE id = ?1",
                params![id, key],
            )
            .and_then(|_| {
                // Files before schema 5 knew no aggregators.
                let precedence = crate::model::story::Precedence {
                    feed: feed_id,
                    ..Default::default()
                };
                link_story(&tx, id, precedence, key, effective_at)
            })
            .map_err(|e| sql_err(&path, e))?;
        }
        // Schema 6 counted each story's feeds before these stories existed; the
        // re-score that every file from before schema 6 gets (its rules fingerprint
        // lacks `source_points`) adds the `sources` part from these counts.
        tx.execute(
            "UPDATE posts SET sources = (
                 SELECT count(DISTINCT s.feed_id) FROM sightings s
                 WHERE s.post_id = posts.id
                    OR s.post_id IN (SELECT c.id FROM posts c WHERE c.story_of = posts.id))
             WHERE id IN (SELECT story_of FROM posts WHERE story_of IS NOT NULL)",
            [],
        )
        .and_then(|_| tx.execute("DELETE FROM meta WHERE key = ?1", [OWES_STORIES]))
        .map_err(|e| sql_err(&path, e))?;
        tx.commit().map_err(|e| sql_err(&path, e))
    }
}

/// Schema 8's conversion of a stored JSON list of parts to [`encode_parts`]'s form
/// (unreadable JSON, which reads as no parts, becomes no parts).
fn json_parts_to_encoded(json: &str) -> String {
    encode_parts(&serde_json::from_str::<Vec<Reason>>(json).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::super::tests::*;
    use super::*;

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

    /// A schema 4 file (before stories) holding a post and its copy in another feed.
    fn schema_4_file_with_a_copy() -> (tempfile::TempDir, std::path::PathBuf) {
        file_at_schema(
            4,
            "INSERT INTO feeds (name, config_url, url) VALUES ('a', 'u', 'u'), ('b', 'v', 'v');
             INSERT INTO posts (feed_id, url, title, summary, content, first_seen, effective_at, content_hash)
             VALUES (1, 'https://a/1', 'Our big outage, explained', '', '', 0, 1000, 'x'),
                    (2, 'https://b/1', 'Our Big Outage — Explained', '', '', 0, 2000, 'y');
             INSERT INTO sightings (feed_id, item_key, post_id, first_seen)
             VALUES (1, 'a1', 1, 0), (2, 'b1', 2, 0);",
        )
    }

    fn story_of(store: &Store, id: i64) -> Option<i64> {
        store
            .conn
            .query_row("SELECT story_of FROM posts WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap()
    }

    #[test]
    fn a_schema_4_file_gets_its_stories_linked() {
        let (_dir, path) = schema_4_file_with_a_copy();
        let store = Store::open(&path).unwrap();
        let story_of = story_of(&store, 2);
        assert_eq!(story_of, Some(1));
        let sources: i64 = store
            .conn
            .query_row("SELECT sources FROM posts WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sources, 2, "the story's head counts both feeds");
    }

    /// The migrations commit, then the process dies before their Rust-side work: the
    /// next open still does it.
    #[test]
    fn an_upgrade_cut_short_after_its_sql_finishes_its_work_at_the_next_open() {
        let (_dir, path) = schema_4_file_with_a_copy();
        {
            let conn = Connection::open(&path).unwrap();
            let mut cut_short = Store::on(conn, &path).unwrap();
            cut_short.migrate_schema().unwrap();
            assert!(cut_short.meta(OWES_STORIES).unwrap().is_some());
            assert!(cut_short.meta(OWES_WEEKS).unwrap().is_some());
        }
        let store = Store::open(&path).unwrap();
        let story_of = story_of(&store, 2);
        assert_eq!(story_of, Some(1), "the stories were linked after all");
        let week: Option<i64> = store
            .conn
            .query_row("SELECT week FROM posts WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert!(week.is_some(), "the weeks were computed after all");
        assert_eq!(store.meta(OWES_STORIES).unwrap(), None);
        assert_eq!(store.meta(OWES_WEEKS).unwrap(), None);

        // A file that knew its zone already, cut short on its way past schema 10: its
        // late arrivals are still found.
        let day = 86_400;
        let (_dir, path) = file_at_schema(7, "");
        {
            let conn = Connection::open(&path).unwrap();
            let mut store = Store::on(conn, &path).unwrap();
            store
                .conn
                .create_scalar_function(PARTS_CONVERSION, 1, FunctionFlags::SQLITE_UTF8, |ctx| {
                    Ok(json_parts_to_encoded(&ctx.get::<String>(0)?))
                })
                .unwrap();
            store.apply_migrations_to(7, 9).unwrap();
        }
        Connection::open(&path)
            .unwrap()
            .execute_batch(&format!(
                "INSERT INTO feeds (name, config_url, url, first_success) VALUES ('a', 'u', 'u', 0);
                 INSERT INTO posts (feed_id, url, title, first_seen, effective_at, content_hash)
                 VALUES (1, 'https://a/late', 'Found a month late', {}, {}, 'x');
                 INSERT INTO post_texts (post_id, summary, content) VALUES (1, '', '');
                 INSERT INTO meta (key, value) VALUES ('week_zone', 'UTC');",
                40 * day,
                10 * day
            ))
            .unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            Store::on(conn, &path).unwrap().migrate_schema().unwrap();
        }
        let store = Store::open(&path).unwrap();
        let late_week: Option<i64> = store
            .conn
            .query_row("SELECT late_week FROM posts", [], |r| r.get(0))
            .unwrap();
        assert!(late_week.is_some(), "the late arrival was found after all");
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
}
