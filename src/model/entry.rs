//! An entry as gleaner stores and scores it, with the hashes it is filed under: its
//! content hash (did it change?) and its title hash (is it a copy of a story seen
//! elsewhere? see [`super::story`]).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::story::title_hash;

/// An entry as gleaner stores and scores it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// Identity within its feed: `g:<guid>`, else `u:<canonical url>`, else
    /// `h:<hash of title and content>`.
    pub item_key: String,
    /// Canonical http(s) link, if the entry has one.
    pub url: Option<String>,
    pub title: String,
    pub summary: String,
    pub content: String,
    /// The article page's main text, when it was read; empty otherwise. Not part of
    /// [`Entry::content_hash`]: it is the page's, not the feed's.
    pub article: String,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
}

impl Entry {
    /// Hash of what an editor would see change (title, summary, content, author, link);
    /// a changed hash on a re-poll means the stored entry is updated.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.title.as_str(),
            &self.summary,
            &self.content,
            self.author.as_deref().unwrap_or(""),
            self.url.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex(&h.finalize()[..16])
    }

    /// See [`title_hash`].
    pub fn title_hash(&self) -> Option<i64> {
        title_hash(&self.title)
    }
}

/// What an entry is beyond its text (see `ingest::reach`): what the store keeps
/// beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// The discussion threads on the aggregator that carried it.
    pub discussion: Vec<String>,
    /// The org the entry itself names: an aggregator item's article's host (until its
    /// page names its site), a self post's community ("Reddit r/sre").
    pub org: Option<String>,
    /// The article page to read, when it should be read.
    pub read: Option<String>,
}

/// Bytes as lowercase hex: the digests in ids, secrets and asset URLs.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
