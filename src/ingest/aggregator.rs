//! Aggregator feeds: Hacker News (through hnrss.org), Lobsters and Reddit. Their items
//! point at someone else's article and at a discussion thread; this module tells the two
//! apart, says who submitted the item, and how SRE Weekly credits a thread that is itself
//! the content. Pure: it reads feed-rs entries as [`crate::ingest::parse::parse_feed`] builds them.
//!
//! | | article | discussion | submitter | self post when |
//! |---|---|---|---|---|
//! | Hacker News | "Article URL:" in the description, else `link` | `comments`, else "Comments URL:", else the guid | `dc:creator` (RSS), `author` (Atom) | `link` is a news.ycombinator.com/item page (Ask HN, text-only Show HN) |
//! | Lobsters | `link` | `comments`, else the guid | `author` | `link` is a lobste.rs/s/… page |
//! | Reddit (Atom) | the `[link]` anchor in `content` | `link` (the comments page), and the original thread of a crosspost | `author` `/u/name` | `[link]` stays on Reddit: the thread itself, a crosspost, i.redd.it / v.redd.it media or a gallery |
//!
//! feed-rs keeps RSS `<comments>` as a link whose target is `LinkTarget::Comments`.
//! Lobsters' `author` has been `"<domain> by <user>"` (the submitter wrote the article)
//! or `"<domain> via <user>"` since February 2024 (lobsters PR #1256); before, it was
//! `"user@users.lobste.rs (user)"`. Both are read. Reddit's community is the subreddit
//! of the comments page (`r/sre`), else the entry's category.
//!
//! Everything is hostile: URLs are kept only when they are absolute http(s) and at most
//! 2,048 bytes; names are kept only when they look like the site's own user names
//! (letters, digits, `_`, `-`); HTML is read up to 256 KiB.

use feed_rs::model::{Entry, Feed};
use url::Url;

mod links;

use links::{
    anchors, comments_link, html_of, http_url, is_hn_item, is_lobsters, is_reddit, main_link,
    post_id, subreddit, subreddit_name, user_name,
};

/// A site whose feed items are submissions of other people's articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregator {
    HackerNews,
    Lobsters,
    Reddit,
}

impl Aggregator {
    pub fn name(self) -> &'static str {
        match self {
            Aggregator::HackerNews => "Hacker News",
            Aggregator::Lobsters => "Lobsters",
            Aggregator::Reddit => "Reddit",
        }
    }

    fn of_host(host: &str) -> Option<Aggregator> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match host.as_str() {
            "hnrss.org" | "www.hnrss.org" | "news.ycombinator.com" => Some(Aggregator::HackerNews),
            "lobste.rs" | "www.lobste.rs" => Some(Aggregator::Lobsters),
            host if host == "reddit.com" || host.ends_with(".reddit.com") => {
                Some(Aggregator::Reddit)
            }
            _ => None,
        }
    }
}

/// What an aggregator's item says beyond its title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AggregatorItem {
    /// The article submitted; none for a self post (or when the item names none).
    pub article_url: Option<String>,
    /// The discussion thread(s) on the aggregator.
    pub discussion: Vec<String>,
    /// Who submitted it: usually not the article's author.
    pub submitter: Option<String>,
    /// Lobsters says so ("ferd.ca by ferd"): the submitter wrote the article.
    pub submitter_is_author: bool,
    /// The thread is the content: a text post, or media hosted by the aggregator.
    pub self_post: bool,
    /// Reddit's subreddit, as `r/name`.
    pub community: Option<String>,
}

/// Whether `url` is a page of an aggregator itself (a thread, a self post), not an
/// article it passed on.
pub fn is_aggregator_page(url: &str) -> bool {
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().and_then(Aggregator::of_host))
        .is_some()
}

/// Which aggregator `feed` (fetched from `feed_url`) comes from: by the URL's host, else
/// by the hosts of the feed's own links, else by its generator, title or id (a feed
/// fetched through a proxy or a bridge).
pub fn detect(feed_url: &Url, feed: &Feed) -> Option<Aggregator> {
    if let Some(kind) = feed_url.host_str().and_then(Aggregator::of_host) {
        return Some(kind);
    }
    let by_link = feed
        .links
        .iter()
        .filter_map(|link| http_url(&link.href))
        .find_map(|url| url.host_str().and_then(Aggregator::of_host));
    if by_link.is_some() {
        return by_link;
    }
    let generator = feed.generator.as_ref().map(|g| g.content.trim());
    let title = feed.title.as_ref().map_or("", |t| t.content.trim());
    if generator.is_some_and(|g| g.to_ascii_lowercase().starts_with("hnrss"))
        || title.starts_with("Hacker News")
    {
        Some(Aggregator::HackerNews)
    } else if title == "Lobsters"
        || title.starts_with("Lobsters:")
        || title.starts_with("lobste.rs")
    {
        Some(Aggregator::Lobsters)
    } else if feed.id.starts_with("/r/") {
        Some(Aggregator::Reddit)
    } else {
        None
    }
}

/// Reads one entry of a `kind` feed.
pub fn read_item(kind: Aggregator, entry: &Entry) -> AggregatorItem {
    match kind {
        Aggregator::HackerNews => hacker_news(entry),
        Aggregator::Lobsters => lobsters(entry),
        Aggregator::Reddit => reddit(entry),
    }
}

/// The credit SRE Weekly gives a thread that is itself the content, e.g.
/// "u/name and commenters — Reddit r/sre", "name and commenters — Hacker News".
pub fn self_post_credit(kind: Aggregator, item: &AggregatorItem) -> String {
    let who = match (kind, &item.submitter) {
        (Aggregator::Reddit, Some(name)) => format!("u/{name} and commenters"),
        (_, Some(name)) => format!("{name} and commenters"),
        (_, None) => "commenters".to_owned(),
    };
    match (kind, &item.community) {
        (Aggregator::Reddit, Some(community)) => format!("{who} — Reddit {community}"),
        _ => format!("{who} — {}", kind.name()),
    }
}

fn hacker_news(entry: &Entry) -> AggregatorItem {
    let anchors = anchors(html_of(entry));
    let labelled = |label: &str| {
        anchors
            .iter()
            .filter(|a| a.context.starts_with(label))
            .find_map(|a| http_url(&a.href))
    };
    let link = main_link(entry);
    let self_post = link.as_ref().is_some_and(is_hn_item);
    let article = labelled("Article URL:")
        .or_else(|| link.clone())
        .filter(|url| !is_hn_item(url));
    let thread = comments_link(entry)
        .or_else(|| labelled("Comments URL:"))
        .or_else(|| http_url(&entry.id).filter(is_hn_item))
        .or_else(|| link.filter(is_hn_item));
    AggregatorItem {
        self_post: self_post && article.is_none(),
        article_url: article.map(String::from),
        discussion: thread.map(String::from).into_iter().collect(),
        submitter: entry
            .authors
            .first()
            .and_then(|person| person.name.as_deref())
            .and_then(|name| user_name(name, 32)),
        ..AggregatorItem::default()
    }
}

fn lobsters(entry: &Entry) -> AggregatorItem {
    let link = main_link(entry);
    let self_post = link.as_ref().is_some_and(is_lobsters);
    let thread = comments_link(entry)
        .or_else(|| link.clone().filter(is_lobsters))
        .or_else(|| http_url(&entry.id).filter(is_lobsters));
    let (submitter, submitter_is_author) = lobsters_submitter(entry);
    AggregatorItem {
        article_url: link.filter(|url| !is_lobsters(url)).map(String::from),
        discussion: thread.map(String::from).into_iter().collect(),
        submitter,
        submitter_is_author,
        self_post,
        community: None,
    }
}

fn lobsters_submitter(entry: &Entry) -> (Option<String>, bool) {
    let Some(person) = entry.authors.first() else {
        return (None, false);
    };
    // Before 2024: "user@users.lobste.rs (user)", which feed-rs splits into an e-mail
    // address and the name "(user)".
    if let Some(user) = person
        .email
        .as_deref()
        .and_then(|email| email.strip_suffix("@users.lobste.rs"))
    {
        return (user_name(user, 40), false);
    }
    let name = person.name.as_deref().unwrap_or_default();
    let words: Vec<&str> = name.split_whitespace().take(8).collect();
    let (user, wrote_it) = match words.as_slice() {
        [.., "by", user] => (user_name(user, 40), true),
        [.., "via", user] => (user_name(user, 40), false),
        [user] => (user_name(user.trim_matches(['(', ')']), 40), false),
        _ => (None, false),
    };
    let wrote_it = wrote_it && user.is_some();
    (user, wrote_it)
}

fn reddit(entry: &Entry) -> AggregatorItem {
    let thread = main_link(entry);
    let anchors = anchors(html_of(entry));
    let target = anchors
        .iter()
        .find(|a| a.text.eq_ignore_ascii_case("[link]"))
        .and_then(|a| http_url(&a.href));
    let stays_on_reddit = target.as_ref().is_some_and(is_reddit);
    let mut discussion: Vec<Url> = thread.iter().cloned().collect();
    // A crosspost's [link] is the original thread: a second discussion.
    if let Some(original) = target.as_ref().filter(|url| post_id(url).is_some())
        && thread.as_ref().and_then(post_id) != post_id(original)
    {
        discussion.push(original.clone());
    }
    let community = thread.as_ref().and_then(subreddit).or_else(|| {
        let category = entry.categories.first()?;
        let name = category.label.as_deref().unwrap_or(&category.term);
        subreddit_name(name.trim().trim_start_matches("r/"))
    });
    AggregatorItem {
        article_url: target.filter(|_| !stays_on_reddit).map(String::from),
        discussion: discussion.into_iter().map(String::from).collect(),
        submitter: entry
            .authors
            .first()
            .and_then(|person| person.name.as_deref())
            .map(|name| name.trim().trim_start_matches('/').trim_start_matches("u/"))
            .and_then(|name| user_name(name, 40)),
        submitter_is_author: false,
        self_post: stays_on_reddit,
        community,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/it/fixtures/reach/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn feed(bytes: &[u8], base: &str) -> Feed {
        crate::ingest::parse::parse_feed(bytes, None, base)
            .unwrap()
            .feed
    }

    fn items(name: &str, base: &str) -> (Aggregator, Vec<AggregatorItem>) {
        let feed = feed(&fixture(name), base);
        let kind = detect(&Url::parse(base).unwrap(), &feed).unwrap();
        (
            kind,
            feed.entries.iter().map(|e| read_item(kind, e)).collect(),
        )
    }

    fn item(
        article: Option<&str>,
        discussion: &[&str],
        submitter: Option<&str>,
        self_post: bool,
    ) -> AggregatorItem {
        AggregatorItem {
            article_url: article.map(str::to_owned),
            discussion: discussion.iter().map(|d| (*d).to_owned()).collect(),
            submitter: submitter.map(str::to_owned),
            self_post,
            ..AggregatorItem::default()
        }
    }

    const HN: &str = "https://news.ycombinator.com/item?id=";

    #[test]
    fn hacker_news_items() {
        let (kind, got) = items("hnrss.rss", "https://hnrss.org/frontpage");
        assert_eq!(kind, Aggregator::HackerNews);
        let want = [
            item(
                Some("http://muratbuffalo.blogspot.com/2024/08/looming-liability-machines.html"),
                &[&format!("{HN}41343024")],
                Some("zdw"),
                false,
            ),
            item(None, &[&format!("{HN}41342017")], Some("david927"), true),
            // Show HN with a link: the link is the article, the text is the submitter's.
            item(
                Some(
                    "https://www.chiefdelphi.com/t/team-341-miss-daisy-2024-cad-code-and-design-binder-release/467546",
                ),
                &[&format!("{HN}41340874")],
                Some("Hacktrick"),
                false,
            ),
        ];
        assert_eq!(got, want);
        let (_, atom) = items("hnrss.atom", "https://hnrss.org/newest.atom?q=postmortem");
        let atom_item = item(
            Some("https://status.example.com/incidents/abc123"),
            &[&format!("{HN}46011223")],
            Some("jsmith"),
            false,
        );
        assert_eq!(atom, [atom_item]);
    }

    #[test]
    fn lobsters_items() {
        let (kind, got) = items("lobsters.rss", "https://lobste.rs/t/devops.rss");
        assert_eq!(kind, Aggregator::Lobsters);
        let mut by_author = item(
            Some("https://ferd.ca/a-pipeline-made-of-airbags.html"),
            &["https://lobste.rs/s/uuex13/pipeline_made_airbags"],
            Some("ferd"),
            false,
        );
        by_author.submitter_is_author = true;
        let thread = "https://lobste.rs/s/x7kq2d/how_do_you_run_on_call_for_three_person";
        let want = [
            by_author,
            item(
                Some("https://github.com/oilshell/oil/wiki/Alternative-Shells"),
                &["https://lobste.rs/s/bhqflt/alternative_shells"],
                Some("andyc"),
                false,
            ),
            item(None, &[thread], Some("caius"), true),
        ];
        assert_eq!(got, want);
        let (_, old) = items("lobsters-2021.rss", "https://lobste.rs/rss");
        assert_eq!(old[0].submitter.as_deref(), Some("andyc"));
        assert!(!old[0].submitter_is_author && !old[0].self_post);
    }

    #[test]
    fn reddit_items() {
        let (kind, got) = items("reddit.atom", "https://www.reddit.com/r/sre/.rss");
        assert_eq!(kind, Aggregator::Reddit);
        let comments = "https://www.reddit.com/r/sre/comments/";
        let want = [
            item(
                None,
                &[&format!(
                    "{comments}1gx2abc/postmortem_action_items_that_never_get_done/"
                )],
                Some("pager_weary"),
                true,
            ),
            item(
                Some("https://engineering.example.com/2026/11/retries-and-p99"),
                &[&format!(
                    "{comments}1gx1def/how_we_cut_p99_latency_by_fixing_retries/"
                )],
                Some("latency_hawk"),
                false,
            ),
            // An image hosted by Reddit: the thread is the content.
            item(
                None,
                &[&format!("{comments}1gx0ghi/our_grafana_after_the_outage/")],
                Some("graph_goblin"),
                true,
            ),
        ];
        let got: Vec<_> = got
            .into_iter()
            .map(|mut item| {
                assert_eq!(item.community.take().as_deref(), Some("r/sre"));
                item
            })
            .collect();
        assert_eq!(got, want);
    }

    /// One RSS item in a feed.
    fn rss(item: &str) -> Vec<u8> {
        format!(
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
             <title>t</title><item>{item}</item></channel></rss>"
        )
        .into_bytes()
    }

    #[test]
    fn hostile_items_keep_only_http_urls_and_plain_names() {
        let long = format!("https://example.com/{}", "a".repeat(3_000));
        let cases: Vec<(Aggregator, String, AggregatorItem)> = vec![
            (
                Aggregator::HackerNews,
                format!(
                    "<link>javascript:alert(1)</link><comments>data:text/html,x</comments>\
                     <dc:creator>evil\u{202E}user</dc:creator><description><![CDATA[\
                     <p>Article URL: <a href=\"{long}\">x</a></p>\
                     <p>Comments URL: <a href=\"ftp://news.ycombinator.com/item?id=1\">x</a></p>]]>\
                     </description>"
                ),
                AggregatorItem::default(),
            ),
            (
                Aggregator::Lobsters,
                "<link>file:///etc/passwd</link><author>x.com by &lt;script&gt;</author>".into(),
                AggregatorItem::default(),
            ),
            (
                Aggregator::Reddit,
                "<link>https://www.reddit.com/r/sre/comments/abc/x/</link>\
                 <author>/u/../../admin</author><description>&lt;a href=\"javascript:alert(1)\"&gt;[link]&lt;/a&gt;\
                 </description>"
                    .into(),
                AggregatorItem {
                    discussion: vec!["https://www.reddit.com/r/sre/comments/abc/x/".into()],
                    community: Some("r/sre".into()),
                    ..AggregatorItem::default()
                },
            ),
            // A crosspost: the original thread is a second discussion, not an article.
            (
                Aggregator::Reddit,
                "<link>https://old.reddit.com/r/sre/comments/abc/x/</link>\
                 <description>&lt;a href=\"https://www.reddit.com/r/devops/comments/zzz/y/\"&gt;[link]&lt;/a&gt;\
                 </description>"
                    .into(),
                AggregatorItem {
                    discussion: vec![
                        "https://old.reddit.com/r/sre/comments/abc/x/".into(),
                        "https://www.reddit.com/r/devops/comments/zzz/y/".into(),
                    ],
                    self_post: true,
                    community: Some("r/sre".into()),
                    ..AggregatorItem::default()
                },
            ),
            (Aggregator::Reddit, "<title>x</title>".into(), AggregatorItem::default()),
        ];
        for (kind, xml, want) in cases {
            let feed = feed(&rss(&xml), "https://example.com/feed");
            assert_eq!(read_item(kind, &feed.entries[0]), want, "{xml}");
        }
    }

    #[test]
    fn detection_by_host_then_by_the_feed_itself() {
        let empty = feed(&rss(""), "https://example.com/feed");
        let hn = feed(&fixture("hnrss.rss"), "https://hnrss.org/frontpage");
        let titled = feed(
            b"<rss version=\"2.0\"><channel><title>Lobsters: devops</title></channel></rss>",
            "https://proxy.example/x",
        );
        let reddit_id = feed(
            b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>/r/sre/.rss</id><title>x</title></feed>",
            "https://proxy.example/x",
        );
        let cases = [
            (
                "https://hnrss.org/newest?q=postmortem",
                &empty,
                Some(Aggregator::HackerNews),
            ),
            (
                "https://news.ycombinator.com/rss",
                &empty,
                Some(Aggregator::HackerNews),
            ),
            (
                "https://lobste.rs/t/devops.rss",
                &empty,
                Some(Aggregator::Lobsters),
            ),
            (
                "https://www.reddit.com/r/sre/.rss",
                &empty,
                Some(Aggregator::Reddit),
            ),
            (
                "https://old.reddit.com/r/sre/.rss",
                &empty,
                Some(Aggregator::Reddit),
            ),
            (
                "https://REDDIT.com./r/sre/.rss",
                &empty,
                Some(Aggregator::Reddit),
            ),
            ("https://notreddit.com/r/sre/.rss", &empty, None),
            (
                "https://proxy.example/hn",
                &hn,
                Some(Aggregator::HackerNews),
            ),
            (
                "https://proxy.example/x",
                &titled,
                Some(Aggregator::Lobsters),
            ),
            (
                "https://proxy.example/x",
                &reddit_id,
                Some(Aggregator::Reddit),
            ),
            ("https://blog.example.com/feed", &empty, None),
        ];
        for (url, feed, want) in cases {
            assert_eq!(detect(&Url::parse(url).unwrap(), feed), want, "{url}");
        }
    }

    #[test]
    fn self_post_credits() {
        let mut item = item(None, &[], Some("pager_weary"), true);
        item.community = Some("r/sre".into());
        let anonymous = AggregatorItem::default();
        let cases = [
            (
                Aggregator::Reddit,
                &item,
                "u/pager_weary and commenters — Reddit r/sre",
            ),
            (
                Aggregator::HackerNews,
                &item,
                "pager_weary and commenters — Hacker News",
            ),
            (
                Aggregator::Lobsters,
                &item,
                "pager_weary and commenters — Lobsters",
            ),
            (Aggregator::Reddit, &anonymous, "commenters — Reddit"),
        ];
        for (kind, item, want) in cases {
            assert_eq!(self_post_credit(kind, item), want);
        }
        assert_eq!(Aggregator::HackerNews.name(), "Hacker News");
    }
}
