//! Shortlist: a week + the store → ranked [`Candidate`]s, best first.
//!
//! Candidates are the posts whose week (see [`crate::week`]) is the asked one and whose
//! score reaches `min_score`, ordered by score, then newest first. Feed metadata that can
//! change in `feeds.toml` without re-polling (the org) is joined here from the config.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::score::Reason;
use crate::store::{Store, StoreError, StoredPost};
use crate::week::IsoWeek;

/// Characters of plain text shown as an entry's excerpt.
pub const EXCERPT_CHARS: usize = 280;

/// One shortlisted post, as every output format shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub url: Option<String>,
    pub title: String,
    pub feed: String,
    pub org: String,
    pub author: Option<String>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub published: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub first_seen: DateTime<Utc>,
    pub week: String,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub also_in: Vec<String>,
    pub excerpt: String,
}

impl Candidate {
    pub fn from_post(post: StoredPost, config: &Config) -> Candidate {
        let org = config
            .feed(&post.feed)
            .and_then(|f| f.org.clone())
            .unwrap_or_else(|| post.feed.clone());
        let excerpt = excerpt(&post);
        Candidate {
            id: post.id,
            url: post.url,
            title: if post.title.is_empty() {
                "(untitled)".into()
            } else {
                post.title
            },
            feed: post.feed,
            org,
            author: post.author,
            published: post.published,
            first_seen: post.first_seen,
            week: IsoWeek::containing(post.effective_at, config.settings.timezone).to_string(),
            score: post.score.total,
            reasons: post.score.reasons,
            also_in: post.also_in,
            excerpt,
        }
    }
}

fn excerpt(post: &StoredPost) -> String {
    let source = if post.summary.is_empty() {
        &post.content
    } else {
        &post.summary
    };
    let flat: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", flat[..cut].trim_end()),
        None => flat,
    }
}

/// The week's candidates, at most `limit`.
pub fn build(
    store: &Store,
    config: &Config,
    week: IsoWeek,
    limit: usize,
) -> Result<Vec<Candidate>, StoreError> {
    let (start, end) = week.bounds(config.settings.timezone);
    let posts = store.candidates(start, end, config.settings.min_score, limit)?;
    Ok(posts
        .into_iter()
        .map(|p| Candidate::from_post(p, config))
        .collect())
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn rfc3339_opt<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}
