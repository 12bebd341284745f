//! Reach: what one fetched document's entries are beyond their text. Pure.
//!
//! A feed is an aggregator when its `[[feed]]` says `kind = "aggregator"`, or, unless it
//! says `kind = "blog"`, when [`aggregator::detect`] recognises Hacker News, Lobsters or
//! Reddit. An aggregator's entry that links an article becomes that article's post: its
//! link is the article, its text (a list of links and points, a thumbnail table) is
//! dropped for the article's own, its author (the submitter) is never kept, and its
//! discussion threads are kept beside it. A self post (Ask HN, a Reddit text post)
//! stays the aggregator's, credited as SRE Weekly credits a thread:
//! `u/name and commenters — Reddit r/sre`.
//!
//! Which entries get their article page read ([`FetchArticles`]): under `auto`, every
//! aggregator item that links an article and every blog entry whose feed text (summary
//! and content) is shorter than `article_min_words`; under `always`, every entry with
//! a link; under `never`, none. Self posts have no page to read.

use feed_rs::model::{Feed, LinkTarget};
use url::Url;

use crate::config::{FeedConfig, FeedKind, FetchArticles, Settings};
use crate::ingest::aggregator::{self, Aggregator, AggregatorItem};
use crate::ingest::article::tidy_host;
use crate::ingest::normalize::canonical_url;
use crate::model::{Entry, Reach};

/// What decides a document's reach: the feed's own settings, resolved.
#[derive(Debug, Clone)]
pub struct ReachPolicy {
    /// The `[[feed]]`'s `kind`, if set.
    pub kind: Option<FeedKind>,
    pub fetch_articles: FetchArticles,
    pub article_min_words: usize,
    /// A `kind = "page"` feed's `links` pattern.
    pub links: Option<regex::Regex>,
}

impl ReachPolicy {
    pub fn of(feed: &FeedConfig, settings: &Settings) -> ReachPolicy {
        ReachPolicy {
            kind: feed.kind,
            fetch_articles: feed.fetch_articles(settings),
            article_min_words: settings.article_min_words,
            links: feed.links.clone(),
        }
    }
}

impl Default for ReachPolicy {
    /// Detection on, `fetch_articles = "auto"`, 150 words: the defaults of `feeds.toml`.
    fn default() -> ReachPolicy {
        ReachPolicy {
            kind: None,
            fetch_articles: FetchArticles::Auto,
            article_min_words: 150,
            links: None,
        }
    }
}

/// Which aggregator a document is from: a known one, or a feed the editor marked
/// `kind = "aggregator"` that is none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Known(Aggregator),
    Other,
}

impl Source {
    /// As the store keeps it on the feed's row.
    pub fn name(self) -> &'static str {
        match self {
            Source::Known(kind) => kind.name(),
            Source::Other => "aggregator",
        }
    }
}

/// Whether `feed` (fetched from `base`) is an aggregator's, by the policy's `kind` or
/// by detection.
pub fn source(policy: &ReachPolicy, base: &str, feed: &Feed) -> Option<Source> {
    let detected = || {
        let url = Url::parse(base).ok()?;
        aggregator::detect(&url, feed)
    };
    match policy.kind {
        Some(FeedKind::Blog | FeedKind::Page) => None,
        Some(FeedKind::Aggregator) => Some(detected().map_or(Source::Other, Source::Known)),
        None => detected().map(Source::Known),
    }
}

/// Each entry (normalized from the same position of `feed.entries`) as a post, with
/// its reach.
pub fn reach(
    policy: &ReachPolicy,
    source: Option<Source>,
    feed: &Feed,
    entries: Vec<Entry>,
) -> Vec<(Entry, Reach)> {
    entries
        .into_iter()
        .zip(&feed.entries)
        .map(|(entry, raw)| match source {
            None => blog_entry(policy, entry),
            Some(source) => {
                let item = match source {
                    Source::Known(kind) => aggregator::read_item(kind, raw),
                    Source::Other => other_item(raw, &entry),
                };
                aggregator_entry(policy, source, item, entry)
            }
        })
        .collect()
}

/// A listing page's articles (see `ingest::listing`): the site's own posts, known by
/// their titles alone until their pages are read.
pub fn listed(policy: &ReachPolicy, entries: Vec<Entry>) -> Vec<(Entry, Reach)> {
    entries
        .into_iter()
        .map(|entry| blog_entry(policy, entry))
        .collect()
}

fn blog_entry(policy: &ReachPolicy, entry: Entry) -> (Entry, Reach) {
    let read = match policy.fetch_articles {
        FetchArticles::Never => None,
        FetchArticles::Always => entry.url.clone(),
        FetchArticles::Auto => {
            let short = fewer_words(&entry.summary, &entry.content, policy.article_min_words);
            entry.url.clone().filter(|_| short)
        }
    };
    let reach = Reach {
        read,
        ..Reach::default()
    };
    (entry, reach)
}

fn aggregator_entry(
    policy: &ReachPolicy,
    source: Source,
    item: AggregatorItem,
    mut entry: Entry,
) -> (Entry, Reach) {
    let article = item
        .article_url
        .as_deref()
        .filter(|_| !item.self_post)
        .and_then(canonical_url);
    let mut reach = Reach {
        discussion: item.discussion.iter().take(8).cloned().collect(),
        ..Reach::default()
    };
    // The submitter is who found the link, not who wrote it.
    entry.author = None;
    match article {
        Some(url) => {
            // The item's text is the aggregator's (links, points, a thumbnail): the
            // article's page is the text to score.
            entry.summary.clear();
            entry.content.clear();
            reach.org = Url::parse(&url).ok().map(|u| tidy_host(&u));
            reach.read = (policy.fetch_articles != FetchArticles::Never).then(|| url.clone());
            entry.url = Some(url);
        }
        None => {
            let (who, org) = match source {
                Source::Known(kind) => {
                    let credit = aggregator::self_post_credit(kind, &item);
                    match credit.split_once(" — ") {
                        Some((who, org)) => (who.to_owned(), org.to_owned()),
                        None => (credit, kind.name().to_owned()),
                    }
                }
                Source::Other => ("commenters".to_owned(), String::new()),
            };
            entry.author = Some(who);
            reach.org = (!org.is_empty()).then_some(org);
            entry.summary = without_boilerplate(&entry.summary);
            entry.content = without_boilerplate(&entry.content);
        }
    }
    (entry, reach)
}

/// An item of a feed marked `kind = "aggregator"` that no reader knows: its link is
/// the article, its RSS `<comments>` the discussion.
fn other_item(raw: &feed_rs::model::Entry, entry: &Entry) -> AggregatorItem {
    let discussion = raw
        .links
        .iter()
        .filter(|l| l.target == Some(LinkTarget::Comments))
        .filter_map(|l| canonical_url(&l.href))
        .collect();
    AggregatorItem {
        article_url: entry.url.clone(),
        discussion,
        ..AggregatorItem::default()
    }
}

/// A self post's text without what the aggregator appends to every item: Hacker
/// News's "Comments URL: … Points: …", Reddit's "submitted by /u/… \[link\] \[comments\]".
fn without_boilerplate(text: &str) -> String {
    let cut = ["Comments URL:", "submitted by"]
        .iter()
        .filter_map(|marker| text.rfind(marker))
        .min()
        .unwrap_or(text.len());
    text[..cut].trim_end().to_owned()
}

/// Whether `a` and `b` hold fewer than `min` words together (counting stops there:
/// a full text is not counted through).
fn fewer_words(a: &str, b: &str, min: usize) -> bool {
    a.split_whitespace()
        .chain(b.split_whitespace())
        .take(min)
        .count()
        < min
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::normalize::normalize_feed;
    use crate::ingest::parse::parse_feed;

    use crate::ingest::aggregator::tests::fixture;

    fn planned(
        body: &[u8],
        base: &str,
        policy: &ReachPolicy,
    ) -> (Option<Source>, Vec<(Entry, Reach)>) {
        let parsed = parse_feed(body, None, base).unwrap();
        let source = source(policy, base, &parsed.feed);
        let entries = normalize_feed(&parsed.feed);
        (source, reach(policy, source, &parsed.feed, entries))
    }

    #[test]
    fn aggregator_items_become_their_articles_without_the_submitter() {
        let policy = ReachPolicy::default();
        let (source, items) = planned(
            &fixture("reddit.atom"),
            "https://www.reddit.com/r/sre/.rss",
            &policy,
        );
        assert_eq!(source, Some(Source::Known(Aggregator::Reddit)));
        let (text_post, text_reach) = &items[0];
        assert_eq!(
            text_post.author.as_deref(),
            Some("u/pager_weary and commenters")
        );
        assert_eq!(text_reach.org.as_deref(), Some("Reddit r/sre"));
        assert_eq!(text_reach.read, None);
        assert!(
            text_post.summary.ends_with("piling up?") || text_post.content.ends_with("piling up?"),
            "{text_post:?}"
        );
        let (link, link_reach) = &items[1];
        let article = "https://engineering.example.com/2026/11/retries-and-p99";
        assert_eq!(link.url.as_deref(), Some(article));
        assert_eq!(
            (
                link.author.as_deref(),
                link.summary.as_str(),
                link.content.as_str()
            ),
            (None, "", "")
        );
        assert_eq!(link_reach.read.as_deref(), Some(article));
        assert_eq!(link_reach.org.as_deref(), Some("example.com"));
        assert_eq!(
            link_reach.discussion,
            [
                "https://www.reddit.com/r/sre/comments/1gx1def/how_we_cut_p99_latency_by_fixing_retries/"
            ]
        );

        let (_, hn) = planned(
            &fixture("hnrss.rss"),
            "https://hnrss.org/frontpage",
            &policy,
        );
        let (ask, ask_reach) = &hn[1];
        assert_eq!(ask.author.as_deref(), Some("david927 and commenters"));
        assert_eq!(ask_reach.org.as_deref(), Some("Hacker News"));
        assert!(!ask.summary.contains("Points"), "{}", ask.summary);
        for (entry, _) in &hn {
            assert!(
                entry
                    .author
                    .as_deref()
                    .is_none_or(|a| a.ends_with("and commenters"))
            );
        }
    }

    #[test]
    fn kind_and_fetch_articles_decide() {
        let never = ReachPolicy {
            fetch_articles: FetchArticles::Never,
            ..ReachPolicy::default()
        };
        let (_, items) = planned(
            &fixture("lobsters.rss"),
            "https://lobste.rs/t/devops.rss",
            &never,
        );
        assert!(items.iter().all(|(_, r)| r.read.is_none()));
        assert_eq!(
            items[0].0.author, None,
            "`ferd.ca by ferd`: still the submitter's name"
        );

        let blog = ReachPolicy {
            kind: Some(FeedKind::Blog),
            ..ReachPolicy::default()
        };
        let (source, items) = planned(&fixture("hnrss.rss"), "https://hnrss.org/frontpage", &blog);
        assert_eq!(source, None);
        assert_eq!(
            items[0].0.author.as_deref(),
            Some("zdw"),
            "a blog's author is kept"
        );
        // Short feed text: the page is read.
        assert!(items[0].1.read.is_some());
        let long = ReachPolicy {
            article_min_words: 3,
            ..blog
        };
        let (_, items) = planned(&fixture("hnrss.rss"), "https://hnrss.org/frontpage", &long);
        assert_eq!(items[0].1.read, None, "enough words in the feed");

        let marked = ReachPolicy {
            kind: Some(FeedKind::Aggregator),
            ..ReachPolicy::default()
        };
        let body = br#"<rss version="2.0"><channel><title>Links</title><item><title>A post</title>
            <link>https://a.example/p?utm_source=x</link><comments>https://links.example/c/1</comments>
            <author>someone@links.example (someone)</author></item></channel></rss>"#;
        let (source, items) = planned(body, "https://links.example/feed", &marked);
        assert_eq!(source, Some(Source::Other));
        let (entry, reach) = &items[0];
        assert_eq!(entry.url.as_deref(), Some("https://a.example/p"));
        assert_eq!(entry.author, None);
        assert_eq!(reach.discussion, ["https://links.example/c/1"]);
        assert_eq!(reach.read.as_deref(), Some("https://a.example/p"));
    }
}
