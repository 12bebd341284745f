//! The `articles` table: a post's article page, when one is wanted. A row is asked for
//! as the post is stored (`pending`, see [`super::ingest`]); a poll reads the due rows
//! ([`Store::articles_due`]) and records each outcome ([`Store::record_article`]):
//! `read` with the page's text and the post's new score, `failed` with the next try
//! (until [`MAX_ARTICLE_ATTEMPTS`]), or `skipped` for good. A read article whose post's
//! feed text changed since is `stale`: scored again from the stored text by the next
//! poll, never fetched again.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::parts::encode_parts;
use super::{Result, Store, execute_cached, sql_err};
use crate::model::Entry;
use crate::score::Score;

pub use crate::model::post::MAX_ARTICLE_ATTEMPTS;

/// An article to fetch, or (`stale_text`) one to score again.
#[derive(Debug, Clone)]
pub struct DueArticle {
    pub post_id: i64,
    pub url: String,
    /// The feed the post belongs to (its boost applies).
    pub feed: String,
    pub attempts: u32,
    /// Feeds that carried the story (for the `sources` part).
    pub sources: usize,
    /// The post's stored text, to score with the article's.
    pub entry: Entry,
    /// A read article's text, when its post only needs scoring again.
    pub stale_text: Option<String>,
}

/// What fetching an article came to.
#[derive(Debug, Clone)]
pub enum ArticleOutcome {
    Read(ReadArticle),
    /// Retried at `next_try`, or never again when `None`.
    Failed {
        reason: String,
        next_try: Option<DateTime<Utc>>,
    },
    /// Never to be fetched: robots.txt, a private address, not HTML.
    Skipped {
        reason: String,
    },
}

/// An article page as read, and the post's score with it.
#[derive(Debug, Clone)]
pub struct ReadArticle {
    pub text: String,
    pub words: usize,
    pub author: Option<String>,
    pub site_name: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub score: Score,
}

impl Store {
    /// Articles a poll at `now` should read, newest posts first, at most `limit`
    /// (`article_budget`); and whether more were due. Posts whose read article only
    /// needs scoring again come too, outside the budget.
    pub fn articles_due(
        &self,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<(Vec<DueArticle>, bool)> {
        let select = "SELECT a.post_id, a.url, f.name, a.attempts, p.sources, p.url, p.title,
                    t.summary, t.content, p.author, CASE WHEN a.status = 'read' THEN a.text END
             FROM articles a JOIN posts p ON p.id = a.post_id JOIN feeds f ON f.id = p.feed_id
             JOIN post_texts t ON t.post_id = p.id";
        let fetch = format!(
            "{select} WHERE a.status IN ('pending', 'failed')
               AND (a.status = 'pending' OR (a.attempts < {MAX_ARTICLE_ATTEMPTS} AND a.next_try <= ?1))
             ORDER BY p.effective_at DESC, p.id DESC LIMIT ?2"
        );
        let stale = format!("{select} WHERE a.status = 'read' AND a.reason = 'stale'");
        let read = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<Vec<DueArticle>> {
            let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params, |r| {
                    Ok(DueArticle {
                        post_id: r.get(0)?,
                        url: r.get(1)?,
                        feed: r.get(2)?,
                        attempts: r.get(3)?,
                        sources: r.get::<_, i64>(4)?.max(1) as usize,
                        entry: Entry {
                            url: r.get(5)?,
                            title: r.get(6)?,
                            summary: r.get(7)?,
                            content: r.get(8)?,
                            author: r.get(9)?,
                            ..Entry::default()
                        },
                        stale_text: r.get(10)?,
                    })
                })
                .map_err(|e| sql_err(&self.path, e))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| sql_err(&self.path, e))
        };
        let mut due = read(&fetch, &[&now.timestamp(), &(limit as i64 + 1)])?;
        let more = due.len() > limit;
        due.truncate(limit);
        due.extend(read(&stale, &[])?);
        Ok((due, more))
    }

    /// Records what fetching (or scoring again) a post's article came to.
    pub fn record_article(
        &mut self,
        post_id: i64,
        outcome: &ArticleOutcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let path = self.path.clone();
        let tx = self.conn.savepoint().map_err(|e| sql_err(&path, e))?;
        let at = now.timestamp();
        match outcome {
            ArticleOutcome::Read(read) => execute_cached(
                &tx,
                "UPDATE articles SET status = 'read', reason = NULL, attempts = attempts + 1,
                        next_try = NULL, fetched_at = ?2, words = ?3, author = ?4,
                        site_name = ?5, published = ?6, text = ?7
                     WHERE post_id = ?1",
                params![
                    post_id,
                    at,
                    read.words as i64,
                    read.author,
                    read.site_name,
                    read.published.map(|t| t.timestamp()),
                    read.text,
                ],
            )
            .and_then(|_| set_score(&tx, post_id, &read.score)),
            ArticleOutcome::Failed { reason, next_try } => execute_cached(
                &tx,
                "UPDATE articles SET status = 'failed', reason = ?2, attempts = attempts + 1,
                    next_try = ?3, fetched_at = ?4
                 WHERE post_id = ?1",
                params![post_id, reason, next_try.map(|t| t.timestamp()), at],
            )
            .map(drop),
            ArticleOutcome::Skipped { reason } => execute_cached(
                &tx,
                "UPDATE articles SET status = 'skipped', reason = ?2, next_try = NULL,
                    fetched_at = ?3
                 WHERE post_id = ?1",
                params![post_id, reason, at],
            )
            .map(drop),
        }
        .map_err(|e| sql_err(&path, e))?;
        tx.commit().map_err(|e| sql_err(&path, e))
    }

    /// Stores the score of a post whose read article was scored again from its text.
    pub fn rescored_article(&mut self, post_id: i64, score: &Score) -> Result<()> {
        let path = self.path.clone();
        let tx = self.conn.savepoint().map_err(|e| sql_err(&path, e))?;
        execute_cached(
            &tx,
            "UPDATE articles SET reason = NULL WHERE post_id = ?1",
            [post_id],
        )
        .and_then(|_| set_score(&tx, post_id, score))
        .map_err(|e| sql_err(&path, e))?;
        tx.commit().map_err(|e| sql_err(&path, e))
    }

    /// Notes on every article still pending why it waits (`article_budget`).
    pub fn note_pending_articles(&mut self, reason: &str) -> Result<()> {
        execute_cached(
            &self.conn,
            "UPDATE articles SET reason = ?1 WHERE status = 'pending' AND reason IS NOT ?1",
            [reason],
        )
        .map(drop)
        .map_err(|e| self.err(e))
    }
}

fn set_score(tx: &rusqlite::Connection, post_id: i64, score: &Score) -> rusqlite::Result<()> {
    execute_cached(
        tx,
        "UPDATE posts SET score = ?2, reasons = ?3 WHERE id = ?1",
        params![post_id, score.total, encode_parts(&score.reasons)],
    )
    .map(drop)
}
