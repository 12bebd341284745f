//! A newsletter's archive in the store: each link of a past issue recorded as the
//! editor's pick of the issue's week (decision origin `archive`), on the post gleaner
//! already has for its URL or on a post made for it. Archive picks are never shown in
//! a queue or a draft; the learned part trains on them, with the posts of the same
//! weeks that the issue did not link as its negatives ([`Store::archive_passed_over`]).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::parts::encode_parts;
use super::posts::{POST_SELECT, post_from_row};
use super::{Result, Store, sql_err};
use crate::model::{ARCHIVE_FEED, Example, StoredPost};
use crate::week::IsoWeek;

/// One link of a past issue, ready to record.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchivePick {
    /// Canonical URL.
    pub url: String,
    pub title: String,
    /// The editor's blurb: the decision's note, and what the learned part reads.
    pub blurb: String,
    pub author: Option<String>,
    /// The `Org` of its `Author — Org` line.
    pub org: Option<String>,
    /// The week whose picks the issue holds.
    pub week: IsoWeek,
    /// When the issue went out: the decision's time.
    pub decided_at: DateTime<Utc>,
}

/// What recording an issue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveCounts {
    /// Picks on posts gleaner had read in a feed.
    pub matched: usize,
    /// Picks on posts made for them (gleaner never read those URLs).
    pub added: usize,
    /// Links already recorded (an import run again), or posts the editor decided on.
    pub already: usize,
}

impl Store {
    /// Records the picks of one issue, all or nothing.
    pub fn record_archive_issue(
        &mut self,
        picks: &[ArchivePick],
        now: DateTime<Utc>,
    ) -> Result<ArchiveCounts> {
        let path = self.path.clone();
        let zone = self.zone;
        let tx = self.conn.savepoint().map_err(|e| sql_err(&path, e))?;
        let feed = archive_feed(&tx).map_err(|e| sql_err(&path, e))?;
        let mut counts = ArchiveCounts::default();
        for pick in picks {
            let existing: Option<i64> = tx
                .prepare_cached("SELECT coalesce(story_of, id) FROM posts WHERE url = ?1")
                .and_then(|mut s| s.query_row([&pick.url], |r| r.get(0)).optional())
                .map_err(|e| sql_err(&path, e))?;
            let post = match existing {
                Some(id) => {
                    let decided: bool = tx
                        .prepare_cached(
                            "SELECT EXISTS (SELECT 1 FROM decisions WHERE post_id = ?1 AND undone = 0)",
                        )
                        .and_then(|mut s| s.query_row([id], |r| r.get(0)))
                        .map_err(|e| sql_err(&path, e))?;
                    if decided {
                        counts.already += 1;
                        continue;
                    }
                    counts.matched += 1;
                    id
                }
                None => {
                    counts.added += 1;
                    insert_archive_post(&tx, feed, pick, zone, now)
                        .map_err(|e| sql_err(&path, e))?
                }
            };
            tx.prepare_cached(
                "INSERT INTO decisions (post_id, state, note, week, decided_at, origin)
                 VALUES (?1, 'picked', ?2, ?3, ?4, 'archive')",
            )
            .and_then(|mut s| {
                s.execute(params![
                    post,
                    Some(pick.blurb.as_str()).filter(|b| !b.is_empty()),
                    pick.week.to_string(),
                    pick.decided_at.timestamp(),
                ])
            })
            .map_err(|e| sql_err(&path, e))?;
        }
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(counts)
    }

    /// The posts of the weeks an archive covers that its issues did not link (stories,
    /// read in a feed, with no decision): what the editor passed over, the learned
    /// part's negatives beside the archive's picks. A week gleaner stored nothing for
    /// gives none.
    pub fn archive_passed_over(&self) -> Result<Vec<StoredPost>> {
        self.passed_over(POST_SELECT, post_from_row)
    }

    /// [`Store::archive_passed_over`] as the learned part reads them: feed, title and
    /// summary only (every list read trains on them; whole posts cost ~100 MB for a
    /// 40-week archive).
    pub fn archive_negatives(&self) -> Result<Vec<Example>> {
        let select = "SELECT f.name, p.title, t.summary
             FROM posts p JOIN feeds f ON f.id = p.feed_id JOIN post_texts t ON t.post_id = p.id";
        self.passed_over(select, |r| {
            Ok(Example {
                feed: r.get(0)?,
                title: r.get(1)?,
                summary: r.get(2)?,
                picked: false,
            })
        })
    }

    /// `select` (posts `p`, feeds `f`) over the passed-over posts of every archive week.
    fn passed_over<T>(
        &self,
        select: &str,
        row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let weeks: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT week FROM decisions WHERE origin = 'archive' AND undone = 0",
            )
            .and_then(|mut s| {
                s.query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{select} WHERE p.week = ?1 AND p.story_of IS NULL AND p.backfill = 0
                   AND f.name != '{ARCHIVE_FEED}'
                   AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.post_id = p.id AND d.undone = 0)
                 ORDER BY p.id"
            ))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for week in weeks.iter().filter_map(|w| w.parse::<IsoWeek>().ok()) {
            let rows = stmt
                .query_map([week.key()], &row)
                .map_err(|e| self.err(e))?;
            for r in rows {
                out.push(r.map_err(|e| self.err(e))?);
            }
        }
        Ok(out)
    }

    /// How many picks the archive holds, and over how many weeks.
    pub fn archive_size(&self) -> Result<(u64, u64)> {
        self.conn
            .query_row(
                "SELECT count(*), count(DISTINCT week) FROM decisions
                 WHERE origin = 'archive' AND undone = 0",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(|e| self.err(e))
    }
}

/// The archive's feed row, made on first use.
fn archive_feed(tx: &Connection) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO feeds (name, config_url, url) VALUES (?1, '', '') ON CONFLICT(name) DO NOTHING",
    )?
    .execute([ARCHIVE_FEED])?;
    tx.prepare_cached("SELECT id FROM feeds WHERE name = ?1")?
        .query_row([ARCHIVE_FEED], |r| r.get(0))
}

/// A post for a link gleaner never read: dated in the middle of its week, with the
/// blurb as its summary, and back catalogue (never a candidate: it is history).
fn insert_archive_post(
    tx: &Connection,
    feed: i64,
    pick: &ArchivePick,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let (start, end) = pick.week.bounds(zone);
    let middle = start + (end - start) / 2;
    tx.prepare_cached(
        "INSERT INTO posts (feed_id, url, title, author, org, first_seen, effective_at, backfill,
            content_hash, score, reasons, week)
         VALUES (?1, ?2, ?3, ?4, ?9, ?5, ?6, 1, '', 0, ?7, ?8)",
    )?
    .execute(params![
        feed,
        pick.url,
        pick.title,
        pick.author,
        now.timestamp(),
        middle.timestamp(),
        encode_parts(&[]),
        pick.week.key(),
        pick.org,
    ])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO post_texts (post_id, summary, content) VALUES (?1, ?2, '')")?
        .execute(params![id, pick.blurb])?;
    Ok(id)
}
