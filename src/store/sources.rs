//! The `sources` table and what `gleaner sources` reads: the posts of sites the editor
//! does not subscribe to (carried by aggregators or linked by a newsletter's archive),
//! the feed discovered for each site, and the sites dismissed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, Store, from_unix};
use crate::model::ARCHIVE_FEED;

/// A post of a feed that is not a subscribed blog, as `sources` counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignPost {
    pub url: String,
    /// The feed that carried it (an aggregator's name), or the archive.
    pub via: String,
    pub picked: bool,
    /// Its stored score, `None` for back catalogue (never a candidate).
    pub score: Option<f64>,
}

/// What is known of a site beyond its posts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteState {
    pub feed_url: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    pub dismissed: bool,
}

impl Store {
    /// The posts owned by aggregators (no blog carries them) or by the archive, with
    /// whether each is picked; at most `limit`, newest first.
    pub fn foreign_posts(&self, limit: usize) -> Result<Vec<ForeignPost>> {
        let sql = format!(
            "SELECT p.url, f.name, p.score, p.backfill,
                    EXISTS (SELECT 1 FROM decisions d WHERE d.post_id = p.id AND d.undone = 0
                              AND d.state = 'picked'
                              AND d.id = (SELECT max(id) FROM decisions WHERE post_id = p.id AND undone = 0))
             FROM posts p JOIN feeds f ON f.id = p.feed_id
             WHERE (f.aggregator IS NOT NULL OR f.name = ?1) AND p.url IS NOT NULL
               AND p.story_of IS NULL
             ORDER BY p.effective_at DESC LIMIT {limit}"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ARCHIVE_FEED], |r| {
                let backfill: bool = r.get(3)?;
                Ok(ForeignPost {
                    url: r.get(0)?,
                    via: r.get(1)?,
                    score: (!backfill).then(|| r.get(2)).transpose()?,
                    picked: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// The URLs of posts blogs own (not aggregators, nor the archive): the sites the
    /// editor already reads. One per site would do; the newest `limit` are plenty.
    pub fn subscribed_urls(&self, limit: usize) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT p.url FROM posts p JOIN feeds f ON f.id = p.feed_id
             WHERE f.aggregator IS NULL AND f.name != ?1 AND p.url IS NOT NULL
             ORDER BY p.id DESC LIMIT {limit}"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ARCHIVE_FEED], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Every site's cached feed and dismissal.
    pub fn site_states(&self) -> Result<HashMap<String, SiteState>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT site, feed_url, checked_at, dismissed FROM sources")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    SiteState {
                        feed_url: r.get(1)?,
                        checked_at: r.get::<_, Option<i64>>(2)?.and_then(from_unix),
                        dismissed: r.get(3)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<HashMap<_, _>>>()
            .map_err(|e| self.err(e))
    }

    /// Notes what discovery found for `site` (`None`: no feed), at `now`.
    pub fn set_site_feed(
        &self,
        site: &str,
        feed_url: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO sources (site, feed_url, checked_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(site) DO UPDATE SET feed_url = excluded.feed_url, checked_at = excluded.checked_at",
                params![site, feed_url, now.timestamp()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Hides `site` from `gleaner sources` for good.
    pub fn dismiss_site(&self, site: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO sources (site, dismissed) VALUES (?1, 1)
                 ON CONFLICT(site) DO UPDATE SET dismissed = 1",
                [site],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }
}
