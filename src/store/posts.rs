//! Reading posts: a week's candidates and a week's review queue, lazily in rank order
//! (the `posts_by_week_rank` index), and one post by id, each with the feeds that also
//! carried it and its copies under other URLs.

use std::ops::ControlFlow;

use rusqlite::{OptionalExtension, params};

use super::parts::decode_parts;
use super::{Result, Store, from_unix, sql_err};
use crate::model::{ArticleState, QueuedPost, StoredPost};
use crate::score::Score;
use crate::week;

/// What a week's queue is drawn from: the week (in the zone of [`Store::use_zone`])
/// and the lowest stored score a candidate may have.
#[derive(Debug, Clone, Copy)]
pub struct QueueWindow {
    pub week: week::IsoWeek,
    pub min_score: f64,
}

impl Store {
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

    /// A week's review queue, best first: the week's undecided candidates seen in time,
    /// posts first seen this week after their own week ended (late arrivals, see
    /// [`week::late_week`]: they reach this queue and no other), and posts deferred to
    /// this week or earlier and still undecided. Posts are visited lazily, like
    /// [`Store::each_candidate`]: the three parts are merged in rank order, the first
    /// two straight from the rank indexes (`posts_by_week_rank`, `posts_by_late_week`),
    /// the deferred ones (few) from the decisions; each post's row is read only when
    /// visited, so the queue costs the same at any history size.
    pub fn each_queued(
        &self,
        w: QueueWindow,
        mut visit: impl FnMut(QueuedPost) -> ControlFlow<()>,
    ) -> Result<()> {
        let (_, end) = w.week.bounds(self.zone);
        let candidate = "p.score >= :min_score AND p.backfill = 0 AND p.story_of IS NULL";
        let undecided =
            "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.post_id = p.id AND d.undone = 0)";
        // `CROSS JOIN` keeps the deferrals first: by posts, SQLite would scan them all.
        let sql = format!(
            "SELECT p.score AS score, p.effective_at AS at, p.id AS id, 0, 0 FROM posts p
              WHERE p.week = :week AND {candidate} AND p.first_seen < :end AND {undecided}
             UNION ALL
             SELECT p.score, p.effective_at, p.id, 0, 1 FROM posts p
              WHERE p.late_week = :week AND {candidate} AND {undecided}
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
                ":label": w.week.to_string(),
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
}

/// A post's columns, as [`post_from_row_at`] reads them. The feeds that carried the
/// story come from one scan of its sightings (three scans, for `also_in`, `via` and
/// `discussion`, made a shortlist 1.7× as slow): per feed, whether it is the post's
/// own (`o`, else `x`) and an aggregator (`a`, else `b`), its name, U+001E, and its
/// discussion threads, the records separated by U+001D (see [`Carriers`]). The author
/// is the entry's, else its page's; the org the post names is its page's site name,
/// else the aggregator item's.
pub(super) const POST_SELECT: &str = "SELECT p.id, f.name, p.url, p.title, t.summary, t.content,
        coalesce(p.author, a.author),
        p.published, p.first_seen, p.effective_at, p.score, p.reasons,
        (SELECT group_concat(carrier, char(29)) FROM (
            SELECT DISTINCT
                CASE WHEN s.feed_id = p.feed_id THEN 'o' ELSE 'x' END
                || CASE WHEN f2.aggregator IS NULL THEN 'b' ELSE 'a' END
                || f2.name || char(30) || coalesce(s.discussion, '') AS carrier
            FROM sightings s JOIN feeds f2 ON f2.id = s.feed_id
            WHERE s.post_id = p.id OR s.post_id IN (SELECT id FROM posts c WHERE c.story_of = p.id)
            ORDER BY f2.name)),
        (SELECT group_concat(c.url, char(31)) FROM posts c
            WHERE c.story_of = p.id AND c.url IS NOT NULL),
        f.aggregator IS NOT NULL, coalesce(a.site_name, p.org),
        a.url, a.status, a.reason, a.attempts, a.next_try, a.fetched_at, a.words, a.site_name,
        a.published, coalesce(a.text, ''), p.late_week
    FROM posts p JOIN feeds f ON f.id = p.feed_id JOIN post_texts t ON t.post_id = p.id
         LEFT JOIN articles a ON a.post_id = p.id";

/// The feeds that carried a story, from [`POST_SELECT`]'s scan of its sightings.
#[derive(Default)]
struct Carriers {
    /// Other blogs, by name.
    also_in: Vec<String>,
    /// Aggregators, its own feed included, by name.
    via: Vec<String>,
    /// The aggregators' threads, in the order of their names.
    discussion: Vec<String>,
}

impl Carriers {
    fn read(column: Option<String>) -> Carriers {
        let mut carriers = Carriers::default();
        for record in column.as_deref().unwrap_or_default().split('\u{1d}') {
            let (Some(kind), Some(rest)) = (record.get(..2), record.get(2..)) else {
                continue;
            };
            let (name, threads) = rest.split_once('\u{1e}').unwrap_or((rest, ""));
            let list = match kind {
                "oa" | "xa" => &mut carriers.via,
                "xb" => &mut carriers.also_in,
                _ => continue,
            };
            if !list.iter().any(|n| n == name) {
                list.push(name.to_owned());
            }
            for thread in threads.split('\u{1f}').filter(|t| !t.is_empty()) {
                if !carriers.discussion.iter().any(|d| d == thread) {
                    carriers.discussion.push(thread.to_owned());
                }
            }
        }
        carriers
    }
}

/// [`POST_SELECT`] of one post, by id.
///
/// `+?1`, not `?1`: for `p.id = ?1` and the joins' `t.post_id = p.id`, SQLite (3.54)
/// notes that a new value of ?1 might change the plan (were it 0 or 1), so clearing
/// the bindings, as rusqlite's statement cache does on every return, expires the
/// statement: each read prepared it again, 100 µs a read instead of 18. The unary
/// plus hides the value from that heuristic; the plan is the same (rowid lookups).
pub(super) fn post_by_id_sql() -> String {
    format!("{POST_SELECT} WHERE p.id = +?1")
}

pub(super) fn post_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPost> {
    post_from_row_at(r, 0)
}

/// A [`POST_SELECT`] row whose post columns start at column `at`.
pub(super) fn post_from_row_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredPost> {
    let reasons: String = r.get(at + 11)?;
    let carriers = Carriers::read(r.get(at + 12)?);
    let copies: Option<String> = r.get(at + 13)?;
    let split = |s: Option<String>| -> Vec<String> {
        s.map(|s| s.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let article = match r.get::<_, Option<String>>(at + 16)? {
        None => None,
        Some(url) => Some(ArticleState {
            url,
            status: r.get(at + 17)?,
            reason: r.get(at + 18)?,
            attempts: r.get(at + 19)?,
            next_try: r.get::<_, Option<i64>>(at + 20)?.and_then(from_unix),
            fetched_at: r.get::<_, Option<i64>>(at + 21)?.and_then(from_unix),
            words: r.get::<_, Option<i64>>(at + 22)?.map(|n| n.max(0) as u64),
            site_name: r.get(at + 23)?,
            published: r.get::<_, Option<i64>>(at + 24)?.and_then(from_unix),
        }),
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
        also_in: carriers.also_in,
        copies: split(copies),
        aggregated: r.get(at + 14)?,
        org: r.get(at + 15)?,
        via: carriers.via,
        discussion: carriers.discussion,
        article,
        article_text: r.get(at + 25)?,
        late_week: r
            .get::<_, Option<i64>>(at + 26)?
            .and_then(week::IsoWeek::from_key),
    })
}
