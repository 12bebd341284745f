//! The `feeds` table: one row per configured feed name — the URL polled now (moved by
//! permanent redirects), HTTP validators, the last outcome, failure count and backoff.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store, execute_cached, from_unix, sql_err};
use crate::model::FeedHealth;

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
    /// What reading the document took beyond a plain parse (`recovered: …`, `cut to
    /// …`), if anything.
    pub note: Option<String>,
    /// The aggregator the document came from (`ingest::reach::Source::name`), if any.
    pub aggregator: Option<String>,
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

impl Store {
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
                        moved_from, moved_at, note
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
                        note: r.get(11)?,
                    })
                })
                .optional()
                .map_err(|e| sql_err(&self.path, e))?;
            out.extend(row);
        }
        Ok(out)
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
}

/// Points the feed at `url`, remembering where it was and when it moved.
pub(super) fn record_move(
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
