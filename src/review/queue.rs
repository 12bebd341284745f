//! The review queue as a service, shared by the CLI and the review page: a week's queue,
//! recording a decision under the right week (one post, or the rest of a feed's posts
//! as one batch), editing a decision's note, and the draft's picked posts and order.

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
    let window = QueueWindow {
        week,
        min_score: ranker.stored_floor(),
    };
    let mut selection = ranker.selection(ranker.queue_limit());
    store.each_queued(window, |q| {
        let stored = q.post.score.total;
        let item = QueueItem::new(ranker.candidate(q.post), q.carried_over, q.late);
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
    // A pick or deferral without a note keeps the blurb the post had (`gleaner pick 36`
    // once wiped it).
    let note = note.and_then(tidy_note);
    let note = note.as_deref();
    let carried = match (note, verdict) {
        (None, Verdict::Pick | Verdict::Defer) => store.carried_note(id)?,
        _ => None,
    };
    store.decide(
        id,
        verdict.state(),
        note.or(carried.as_deref()),
        &week.to_string(),
        crate::clock::now(),
    )?;
    Ok(Some((post.title, week)))
}

/// Rejects several posts of a week's queue as one batch (one undo takes them all
/// back, [`Store::undo_batch`]); returns the batch, or `None` when there is nothing
/// to reject.
pub fn reject_batch(
    store: &mut Store,
    week: IsoWeek,
    ids: &[i64],
    note: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    if ids.is_empty() {
        return Ok(None);
    }
    let recorded = decision_week(Verdict::Reject, week).to_string();
    let posts: Vec<(i64, String)> = ids.iter().map(|&id| (id, recorded.clone())).collect();
    store
        .decide_batch(&posts, Verdict::Reject.state(), note, crate::clock::now())
        .map(Some)
}

/// Sets (or, when empty, clears) the note of a post's current decision: a pick's
/// blurb, a rejection's reason. Returns the decision's state, or `None` when the post
/// has no decision.
pub fn edit_note(store: &mut Store, id: i64, note: &str) -> Result<Option<String>, StoreError> {
    store.set_note(id, tidy_note(note).as_deref())
}

/// A note as stored: line breaks as `\n` (a browser's form sends `\r\n`), trimmed;
/// `None` when nothing is left.
pub fn tidy_note(note: &str) -> Option<String> {
    let note = note.replace("\r\n", "\n");
    let note = note.trim();
    (!note.is_empty()).then(|| note.to_owned())
}

/// Moves a pick one place up (`-1`) or down (`1`) in its week's draft; returns whether
/// it moved.
pub fn move_pick(store: &mut Store, week: IsoWeek, id: i64, by: isize) -> Result<bool, StoreError> {
    let mut order: Vec<i64> = store
        .picked(&week.to_string())?
        .iter()
        .map(|(post, _)| post.id)
        .collect();
    let Some(at) = order.iter().position(|&p| p == id) else {
        return Ok(false);
    };
    let Some(to) = at.checked_add_signed(by).filter(|&to| to < order.len()) else {
        return Ok(false);
    };
    order.swap(at, to);
    store.set_draft_order(&week.to_string(), &order)?;
    Ok(true)
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
