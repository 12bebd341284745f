//! Stories: one post published under several URLs (a company blog and its Medium copy,
//! a press release carried by several outlets). The rules of which posts are one story
//! and which of them stands for it; the store applies them as posts arrive.

use sha2::{Digest, Sha256};

/// Fewest words a title needs before two posts sharing it count as one story: short
/// titles ("Weekly update", "Incident report") are shared by unrelated posts.
pub const STORY_TITLE_MIN_WORDS: usize = 4;

/// A title reduced to what survives syndication: lower-case letters and digits, words
/// separated by one space (case, punctuation, curly quotes and dashes differ between a
/// company blog and its Medium copy). `None` for titles too short to identify a story.
pub fn title_key(title: &str) -> Option<String> {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    (words.len() >= STORY_TITLE_MIN_WORDS).then(|| words.join(" "))
}

/// The [`title_key`] as the store indexes it: its first 8 bytes of SHA-256 (stable
/// across versions, unlike std's hasher; a collision would need the same 64 bits in
/// two feeds within two weeks).
pub fn title_hash(title: &str) -> Option<i64> {
    let key = title_key(title)?;
    let digest = Sha256::digest(key.as_bytes());
    Some(i64::from_be_bytes(digest[..8].try_into().expect("8 bytes")))
}

/// How far apart two copies of one story may be dated.
pub const STORY_WINDOW_SECS: i64 = 14 * 24 * 3600;

/// A post already stored with the same [`title_hash`] as a new one.
#[derive(Debug, Clone, Copy)]
pub struct Earlier {
    pub id: i64,
    pub feed: i64,
    /// When it counts as published (unix seconds, see [`crate::week::effective_time`]).
    pub at: i64,
}

/// Whether a new post (`id`, of `feed`, counted as published at `at`) is a copy of the
/// `earlier` post's story: stored before it, carried by another feed, dated within
/// [`STORY_WINDOW_SECS`] (a feed repeating its own title is a new post, not a copy).
pub fn is_copy_of(earlier: Earlier, id: i64, feed: i64, at: i64) -> bool {
    earlier.id < id && earlier.feed != feed && (earlier.at - at).abs() <= STORY_WINDOW_SECS
}

/// Which of several feeds carrying a post owns it, and which post of a story stands
/// for it: any feed before the newsletter archive's placeholder (a post made for an
/// archive link belongs to the first feed that carries it), a blog before an
/// aggregator (the editor subscribed to the blog; the aggregator only passed its link
/// on), then the feed subscribed first (lower id: the company blog listed above a
/// planet that copies it). None depends on which fetch finished first. The derived
/// order is exactly that: `archive`, then `aggregator`, then `feed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Precedence {
    pub archive: bool,
    pub aggregator: bool,
    pub feed: i64,
}

/// Whether a copy from a feed of precedence `feed` takes over as the post that stands
/// for a story now led by a post of `head` (see [`Precedence`]); never once the editor
/// has decided on the story.
pub fn takes_the_lead(feed: Precedence, head: Precedence, decided: bool) -> bool {
    feed < head && !decided
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_other_feeds_posts_within_two_weeks() {
        let day = 86_400;
        let earlier = Earlier {
            id: 1,
            feed: 1,
            at: 0,
        };
        assert!(is_copy_of(earlier, 2, 2, 14 * day));
        assert!(!is_copy_of(earlier, 2, 2, 14 * day + 1), "beyond 14 days");
        assert!(!is_copy_of(earlier, 2, 1, day), "the same feed");
        assert!(!is_copy_of(earlier, 1, 2, day), "not stored before");
        let blog = |feed| Precedence {
            feed,
            ..Precedence::default()
        };
        let aggregator = |feed| Precedence {
            aggregator: true,
            feed,
            ..Precedence::default()
        };
        let archive = Precedence {
            archive: true,
            feed: 1,
            ..Precedence::default()
        };
        assert!(takes_the_lead(blog(1), blog(2), false));
        assert!(
            !takes_the_lead(blog(1), blog(2), true),
            "decided stories keep their lead"
        );
        assert!(!takes_the_lead(blog(3), blog(2), false));
        assert!(takes_the_lead(blog(3), aggregator(2), false), "blogs first");
        assert!(!takes_the_lead(aggregator(1), blog(2), false));
        assert!(takes_the_lead(aggregator(1), aggregator(2), false));
        assert!(
            blog(9) < archive && aggregator(9) < archive,
            "the archive last"
        );
    }
}
