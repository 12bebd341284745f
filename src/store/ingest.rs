//! Storing a fetched feed's entries: dedupe, sightings, stories and their sources.
//!
//! Dedupe, in order, for an entry of feed F: (1) F has a sighting with the entry's key →
//! that post; (2) some post has the entry's canonical URL → that post, add a sighting;
//! (3) a new post. A post carried by several feeds belongs to a blog before an
//! aggregator (and to either before a post made for a newsletter archive's link), then
//! to the feed subscribed first (lowest id: [`story::Precedence`], so
//! the outcome does not depend on which fetch finished first); only the owner's copy
//! updates its text, the others are listed as `also_in` (blogs) or `via`
//! (aggregators). A new post whose title key matches a post of another feed dated
//! within 14 days becomes a copy of that post's story (the rules are
//! [`crate::model::story`]'s; see [`link_story`]); candidates are stories, never copies.
//!
//! An entry whose article page should be read gets a `pending` row in `articles` the
//! first time its feed carries it (see [`super::articles`]); an aggregator's sighting
//! keeps the discussion threads.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::feeds::{FetchRecord, record_move};
use super::parts::{decode_parts, encode_parts};
use super::{Result, Store, execute_cached, from_unix, sql_err};
use crate::model::story::Precedence;
use crate::model::{ARCHIVE_FEED, Entry, Reach, story};
use crate::score::Score;
use crate::week;

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
    reach: Reach,
}

impl ScoredEntry {
    pub fn new(entry: Entry, score: Score) -> ScoredEntry {
        ScoredEntry {
            content_hash: entry.content_hash(),
            title_hash: entry.title_hash(),
            entry,
            score,
            reach: Reach::default(),
        }
    }

    /// The entry with what it is beyond its text: discussion, org, the page to read.
    pub fn with_reach(mut self, reach: Reach) -> ScoredEntry {
        self.reach = reach;
        self
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

impl Store {
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
        // First: whether this feed is an aggregator decides who owns its posts.
        execute_cached(
            &tx,
            "UPDATE feeds SET aggregator = ?2 WHERE id = ?1 AND aggregator IS NOT ?2",
            params![feed_id, fetch.aggregator],
        )
        .map_err(|e| sql_err(&path, e))?;
        let batch = Batch {
            now,
            first_success,
            zone: self.zone,
            source_points: self.source_points,
            precedence: Precedence {
                archive: false,
                aggregator: fetch.aggregator.is_some(),
                feed: feed_id,
            },
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
                first_success = COALESCE(first_success, ?5), next_poll = ?6, note = ?7
             WHERE id = ?1",
            params![
                feed_id,
                fetch.etag,
                fetch.last_modified,
                fetch.http_status,
                now.timestamp(),
                fetch.next_poll.map(|t| t.timestamp()),
                fetch.note,
            ],
        )
        .map_err(|e| sql_err(&path, e))?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(counts)
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
    /// The feed's: who owns a post carried by several.
    precedence: Precedence,
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
    let reach = &scored.reach;
    // A feed's first sighting of a post: where it discussed it, and the article page it
    // wants read.
    let sighted = |post_id: i64| -> rusqlite::Result<()> {
        add_sighting(
            tx,
            feed_id,
            &entry.item_key,
            post_id,
            now,
            &reach.discussion,
        )?;
        request_article(tx, post_id, reach.read.as_deref())
    };
    let Some(post_id) = post_id else {
        let post_id = insert_post(tx, feed_id, scored, batch)?;
        sighted(post_id)?;
        let effective = week::effective_time(entry.published, now).timestamp();
        let head = link_story(tx, post_id, batch.precedence, scored.title_hash, effective)?;
        if let Some(head) = head {
            refresh_sources(tx, head, source_points)?;
        }
        return Ok(Upsert::New);
    };
    if seen.is_none() {
        sighted(post_id)?;
        let head: i64 = tx
            .prepare_cached("SELECT coalesce(story_of, id) FROM posts WHERE id = ?1")?
            .query_row([post_id], |r| r.get(0))?;
        refresh_sources(tx, head, source_points)?;
    } else if !reach.discussion.is_empty() {
        tx.prepare_cached(
            "UPDATE sightings SET discussion = ?3
             WHERE feed_id = ?1 AND item_key = ?2 AND discussion IS NOT ?3",
        )?
        .execute(params![
            feed_id,
            entry.item_key,
            reach.discussion.join("\u{1f}")
        ])?;
    }
    let (owner, old_hash, first_seen, sources): (Precedence, String, i64, i64) = tx
        .prepare_cached(
            "SELECT p.feed_id, f.aggregator IS NOT NULL, p.content_hash, p.first_seen, p.sources,
                    f.name = ?2
             FROM posts p JOIN feeds f ON f.id = p.feed_id WHERE p.id = ?1",
        )?
        .query_row(params![post_id, ARCHIVE_FEED], |r| {
            let owner = Precedence {
                archive: r.get(5)?,
                aggregator: r.get(1)?,
                feed: r.get(0)?,
            };
            Ok((owner, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    // A blog before an aggregator, then the feed subscribed first, owns a post
    // carried by several, whatever order their fetches finish in; only the owner's
    // copy updates the text.
    if batch.precedence > owner {
        return Ok(Upsert::Unchanged);
    }
    if batch.precedence < owner {
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
            week = ?12, org = ?13, title_hash = ?14,
            -- A new date may make a late post timely; never the other way round.
            late_week = CASE WHEN late_week > ?12 THEN late_week END
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
        reach.org,
        scored.title_hash,
    ])?;
    // A new URL, title or author leaves the text as it was: then it is read, not
    // rewritten.
    tx.prepare_cached(
        "UPDATE post_texts SET summary = ?2, content = ?3
         WHERE post_id = ?1 AND (summary != ?2 OR content != ?3)",
    )?
    .execute(params![post_id, entry.summary, entry.content])?;
    // The score just stored is the feed text's alone: a post with a read article is
    // scored again with it by the poll's article pass (the page is not fetched again).
    tx.prepare_cached(
        "UPDATE articles SET reason = 'stale' WHERE post_id = ?1 AND status = 'read'",
    )?
    .execute([post_id])?;
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
            first_seen, effective_at, backfill, content_hash, score, reasons, week, title_hash,
            org, late_week)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
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
        scored.reach.org,
        week::late_week(effective, now, batch.first_success, batch.zone).map(week::IsoWeek::key),
    ])?;
    let post_id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO post_texts (post_id, summary, content) VALUES (?1, ?2, ?3)")?
        .execute(params![post_id, entry.summary, entry.content])?;
    Ok(post_id)
}

/// Asks for the post's article page to be read (see [`super::articles`]), unless it
/// was asked for already or the post is back catalogue (never a candidate).
fn request_article(tx: &Connection, post_id: i64, url: Option<&str>) -> rusqlite::Result<()> {
    let Some(url) = url else { return Ok(()) };
    tx.prepare_cached(
        "INSERT OR IGNORE INTO articles (post_id, url, status)
         SELECT id, ?2, 'pending' FROM posts WHERE id = ?1 AND backfill = 0",
    )?
    .execute(params![post_id, url])
    .map(drop)
}

/// The posts sharing a title, newest first. The parameter is `+?1` and there is no
/// `LIMIT` or date range: with those SQLite re-prepared the statement on every
/// execution (sqlite3Reprepare was 10% of a cold poll), so the caller takes the first
/// rows itself.
pub(super) const EARLIER_BY_TITLE: &str =
    "SELECT id, coalesce(story_of, id), feed_id, effective_at FROM posts
     WHERE title_hash = +?1 ORDER BY id DESC";

/// Makes a new post part of the story of an earlier post it is a copy of
/// ([`story::is_copy_of`]); the story's first post stands for it, unless the new one
/// [`story::takes_the_lead`]. Returns the post that now stands for the story.
pub(super) fn link_story(
    tx: &Connection,
    post_id: i64,
    precedence: Precedence,
    title_hash: Option<i64>,
    effective_at: i64,
) -> rusqlite::Result<Option<i64>> {
    let feed_id = precedence.feed;
    let Some(key) = title_hash else {
        return Ok(None);
    };
    let mut earlier = tx.prepare_cached(EARLIER_BY_TITLE)?;
    let mut rows = earlier.query([key])?;
    let mut head = None;
    // The newest 16 of the title's posts (a status page reuses its titles for years):
    // a copy is dated near the post it copies.
    for _ in 0..16 {
        let Some(r) = rows.next()? else { break };
        let earlier = story::Earlier {
            id: r.get(0)?,
            feed: r.get(2)?,
            at: r.get(3)?,
        };
        if story::is_copy_of(earlier, post_id, feed_id, effective_at) {
            head = Some(r.get::<_, i64>(1)?);
            break;
        }
    }
    let Some(head) = head else {
        return Ok(None);
    };
    let (head_feed, decided): (Precedence, bool) = tx
        .prepare_cached(
            "SELECT p.feed_id, f.aggregator IS NOT NULL,
                    EXISTS (SELECT 1 FROM decisions WHERE post_id = ?1), f.name = ?2
             FROM posts p JOIN feeds f ON f.id = p.feed_id WHERE p.id = ?1",
        )?
        .query_row(params![head, ARCHIVE_FEED], |r| {
            let head = Precedence {
                archive: r.get(3)?,
                aggregator: r.get(1)?,
                feed: r.get(0)?,
            };
            Ok((head, r.get(2)?))
        })?;
    if story::takes_the_lead(precedence, head_feed, decided) {
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
    discussion: &[String],
) -> rusqlite::Result<()> {
    let discussion = (!discussion.is_empty()).then(|| discussion.join("\u{1f}"));
    tx.prepare_cached(
        "INSERT OR IGNORE INTO sightings (feed_id, item_key, post_id, first_seen, discussion)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![feed_id, key, post_id, now.timestamp(), discussion])
    .map(drop)
}

pub(super) fn week_key(at: DateTime<Utc>, zone: chrono_tz::Tz) -> i64 {
    week::IsoWeek::containing(at, zone).key()
}
