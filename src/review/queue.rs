//! The review queue as a service, shared by the CLI and the review page: a week's queue,
//! recording a decision under the right week, and the draft's picked posts.

use super::{DraftItem, DraftOrder, QueueItem, Verdict, decision_week, queue_week};
use crate::config::Config;
use crate::rank::shortlist::Ranker;
use crate::store::{QueueWindow, Store, StoreError};
use crate::week::IsoWeek;

/// A week's review queue (see [`crate::review`]), best first.
pub fn queue_items(
    store: &Store,
    ranker: &Ranker<'_>,
    week: IsoWeek,
) -> Result<Vec<QueueItem>, StoreError> {
    let config = ranker.config();
    let window = QueueWindow {
        week,
        min_score: ranker.stored_floor(),
    };
    let mut selection = ranker.selection(config.settings.shortlist_size.max(50));
    store.each_queued(window, |q| {
        let stored = q.post.score.total;
        let item = QueueItem {
            candidate: ranker.candidate(q.post),
            state: if q.carried_over {
                Verdict::Defer.state()
            } else {
                "new"
            },
            carried_over: q.carried_over,
            late: q.late,
        };
        selection.offer(stored, item)
    })?;
    Ok(selection.finish())
}

/// Records one decision; returns the post's title and the week it was recorded under,
/// or `None` for an unknown id.
pub fn decide_one(
    store: &mut Store,
    config: &Config,
    verdict: Verdict,
    id: i64,
    note: Option<&str>,
) -> Result<Option<(String, IsoWeek)>, StoreError> {
    let Some(post) = store.post(id)? else {
        return Ok(None);
    };
    let current = store.decision(id)?;
    let queue_week = queue_week(&post, current.as_ref(), config.settings.timezone);
    let week = decision_week(verdict, queue_week);
    store.decide(
        id,
        verdict.state(),
        note,
        &week.to_string(),
        crate::clock::now(),
    )?;
    Ok(Some((post.title, week)))
}

/// A week's picked posts, in the order picked or by score.
pub fn draft_items(
    store: &Store,
    ranker: &Ranker<'_>,
    week: IsoWeek,
    order: DraftOrder,
) -> Result<Vec<DraftItem>, StoreError> {
    let mut items: Vec<DraftItem> = store
        .picked(&week.to_string())?
        .into_iter()
        .map(|(post, decision)| DraftItem {
            candidate: ranker.candidate(post),
            note: decision.note,
        })
        .collect();
    if order == DraftOrder::Score {
        items.sort_by(|a, b| b.candidate.score.total_cmp(&a.candidate.score));
    }
    Ok(items)
}
