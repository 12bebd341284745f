//! The data every stage shares, depending on no stage: an [`Entry`] as ingest makes it
//! and scoring reads it, a [`Score`] and its named parts, and the rows the store hands
//! out and the pure stages take in (posts, candidates, decisions, feeds' health).

pub mod entry;
pub mod post;
pub mod score;
pub mod story;

pub use entry::{Entry, Reach, hex};

/// The feed row that owns posts known only from an archive: no configured feed may
/// have this name (config validation refuses it), and it is never polled.
pub const ARCHIVE_FEED: &str = "(archive)";

pub use post::{
    ArticleState, ArticleView, Candidate, Decision, Example, FeedHealth, QueuedPost, Source,
    StoredPost, Verdict, rfc3339, serialize_rfc3339, serialize_rfc3339_opt,
};
pub use score::{Reason, Score};
