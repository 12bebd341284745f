//! Bounds on what one document may hold: entries are counted in the bytes before
//! feed-rs builds its model, and of a parsed feed only the newest are kept.

use feed_rs::model::Feed;

use super::{ParseError, is_json};
use crate::ingest::normalize::MAX_ENTRIES_PER_FEED;

/// Most entries one document may hold. They are counted in the bytes before feed-rs
/// builds its model (a 10 MiB body of empty `<item/>`s is ~1.5 million parsed
/// entries), so a feed's memory is bounded by this many entries, not by its size.
pub const MAX_ENTRIES_IN_DOCUMENT: usize = 20_000;

/// Refuses a document with more than [`MAX_ENTRIES_IN_DOCUMENT`] entries, counted
/// without building feed-rs's model. JSON that is not well-formed is refused here
/// too: neither feed-rs nor the repair could read it, and both would first build a
/// model of every item before its flaw (a cut-off end).
pub(super) fn check_entry_count(body: &[u8]) -> Result<(), ParseError> {
    let count = if is_json(body) {
        count_json_items(body)
            .map_err(|err| ParseError::Invalid(format!("unable to parse JSON: {err}")))?
    } else {
        count_xml_entries(body)
    };
    if count > MAX_ENTRIES_IN_DOCUMENT {
        return Err(ParseError::TooManyEntries {
            count,
            limit: MAX_ENTRIES_IN_DOCUMENT,
        });
    }
    Ok(())
}

/// Start tags named `item` or `entry` (with any prefix): one linear scan, no
/// allocation. Tags inside CDATA or comments are counted too; the limit is far enough
/// above real feeds for that not to matter.
pub(super) fn count_xml_entries(body: &[u8]) -> usize {
    let is_name_byte =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':') || b >= 0x80;
    let mut count = 0;
    let mut rest = body;
    while let Some(lt) = rest.iter().position(|&b| b == b'<') {
        rest = &rest[lt + 1..];
        let len = rest
            .iter()
            .take(64)
            .take_while(|&&b| is_name_byte(b))
            .count();
        let name = &rest[..len];
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        let ends = rest
            .get(len)
            .is_none_or(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/');
        if ends && (local == b"item" || local == b"entry") {
            count += 1;
        }
    }
    count
}

/// The length of a JSON Feed's `items` list, read without building it; an error for
/// JSON that is not well-formed or not shaped like a feed (an object whose `items`, if
/// any, is a list). Invalid UTF-8 inside string values is not checked: the repair
/// replaces it.
pub(super) fn count_json_items(body: &[u8]) -> Result<usize, serde_json::Error> {
    use serde::de::{Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};

    #[derive(Default)]
    struct Count(usize);
    impl<'de> Deserialize<'de> for Count {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
            struct Counter;
            impl<'de> Visitor<'de> for Counter {
                type Value = Count;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a list of items")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                    let mut n = 0;
                    while seq.next_element::<IgnoredAny>()?.is_some() {
                        n += 1;
                    }
                    Ok(Count(n))
                }
            }
            d.deserialize_seq(Counter)
        }
    }
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        items: Count,
    }
    serde_json::from_slice::<Doc>(body).map(|d| d.items.0)
}

/// Keeps the newest [`MAX_ENTRIES_PER_FEED`] entries, in document order, and says how
/// many there were. An entry's date is its published date, else its updated one (as in
/// [`crate::ingest::normalize::Entry::published`]). Entries without a date come after every
/// dated one, in document order: they are kept only while there is room, and a feed
/// with no dates at all keeps its first entries (feeds list newest first).
pub(super) fn keep_newest(mut feed: Feed) -> (Feed, Option<String>) {
    let total = feed.entries.len();
    if total <= MAX_ENTRIES_PER_FEED {
        return (feed, None);
    }
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by_key(|&i| {
        let e = &feed.entries[i];
        let date = e.published.or(e.updated);
        (date.is_none(), std::cmp::Reverse(date), i)
    });
    let mut keep = vec![false; total];
    for &i in &order[..MAX_ENTRIES_PER_FEED] {
        keep[i] = true;
    }
    let mut index = 0;
    feed.entries.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    feed.entries.shrink_to_fit();
    let note = format!(
        "cut to the newest {} of {} entries",
        thousands(MAX_ENTRIES_PER_FEED),
        thousands(total)
    );
    (feed, Some(note))
}

/// `1500` → `1,500`.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
