//! Suggestions: the sites gleaner has seen but the editor does not subscribe to —
//! linked from aggregators or from a newsletter's archive — ranked by how often their
//! posts were picked, linked, or scored as candidates. Pure: the store supplies the
//! posts and what is cached about each site.

use std::collections::{BTreeSet, HashMap, HashSet};

use url::Url;

use crate::config::{Config, FeedKind};
use crate::ingest::aggregator::is_aggregator_page;
use crate::model::ARCHIVE_FEED;
pub use crate::model::Source;
use crate::store::{ForeignPost, SiteState, Store, StoreError};

/// Posts of unsubscribed feeds read to rank sites (the newest).
const MAX_POSTS: usize = 20_000;
/// Posts of subscribed feeds read to know which sites are subscribed.
const MAX_SUBSCRIBED_POSTS: usize = 50_000;

/// Hosts where one site is one path below the host (`medium.com/@dana`).
const SHARED_HOSTS: &[&str] = &[
    "medium.com",
    "dev.to",
    "github.com",
    "gitlab.com",
    "hashnode.com",
];

/// The best `limit` sites to suggest, from what the store holds (feeds found earlier
/// included; discovering new ones is the caller's, as it fetches pages).
pub fn suggest(store: &Store, config: &Config, limit: usize) -> Result<Vec<Source>, StoreError> {
    let mut subscribed: HashSet<String> = config
        .feeds
        .iter()
        .filter(|f| f.kind != Some(FeedKind::Aggregator))
        .filter_map(|f| site_of(f.url.as_str()))
        .collect();
    subscribed.extend(
        store
            .subscribed_urls(MAX_SUBSCRIBED_POSTS)?
            .iter()
            .filter_map(|u| site_of(u)),
    );
    let posts = store.foreign_posts(MAX_POSTS)?;
    let states = store.site_states()?;
    let mut ranked = rank(&posts, &subscribed, &states, config.settings.min_score);
    ranked.truncate(limit);
    Ok(ranked)
}

/// The site a URL belongs to (see [`Source::site`]).
pub fn site_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let mut host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    if let Some(port) = url.port() {
        host = format!("{host}:{port}");
    }
    if SHARED_HOSTS.contains(&host.as_str())
        && let Some(first) = url
            .path_segments()
            .and_then(|mut s| s.next())
            .filter(|s| !s.is_empty())
    {
        return Some(format!("{host}/{}", first.to_ascii_lowercase()));
    }
    Some(host)
}

/// The sites of `posts` that are not among `subscribed` nor dismissed, nor an
/// aggregator's own (its threads and self posts: gleaner reads those through the
/// aggregator's feed already), best first: most picked, then most linked, then most
/// candidates.
pub fn rank(
    posts: &[ForeignPost],
    subscribed: &HashSet<String>,
    states: &HashMap<String, SiteState>,
    min_score: f64,
) -> Vec<Source> {
    #[derive(Default)]
    struct Tally {
        linked: usize,
        picked: usize,
        candidates: usize,
        via: BTreeSet<String>,
        home: String,
    }
    let mut sites: HashMap<String, Tally> = HashMap::new();
    for post in posts {
        let Some(site) = site_of(&post.url).filter(|_| !is_aggregator_page(&post.url)) else {
            continue;
        };
        if subscribed.contains(&site) || states.get(&site).is_some_and(|s| s.dismissed) {
            continue;
        }
        let tally = sites.entry(site.clone()).or_default();
        if tally.home.is_empty() {
            tally.home = home_of(&post.url, &site);
        }
        tally.linked += 1;
        tally.picked += usize::from(post.picked);
        tally.candidates += usize::from(post.score.is_some_and(|s| s >= min_score));
        tally.via.insert(if post.via == ARCHIVE_FEED {
            "archive".to_owned()
        } else {
            post.via.clone()
        });
    }
    let mut out: Vec<Source> = sites
        .into_iter()
        .map(|(site, t)| {
            let state = states.get(&site);
            let mut source = Source {
                site,
                home: t.home,
                feed_url: None,
                linked: t.linked,
                picked: t.picked,
                candidates: t.candidates,
                seen_via: t.via.into_iter().collect(),
                subscribe: None,
            };
            set_feed(&mut source, state);
            source
        })
        .collect();
    out.sort_by(|a, b| {
        (b.picked, b.linked, b.candidates)
            .cmp(&(a.picked, a.linked, a.candidates))
            .then(a.site.cmp(&b.site))
    });
    out
}

/// The address of `site` as `url` reaches it: `https://host/`, or the path below a
/// shared host.
fn home_of(url: &str, site: &str) -> String {
    let scheme = Url::parse(url)
        .map(|u| u.scheme().to_owned())
        .unwrap_or_else(|_| "https".into());
    format!("{scheme}://{site}/")
}

/// Gives `source` what discovery found on its site (`state`, when it looked) and the
/// command that adds it: its feed; its home page when not looked at yet (`gleaner add`
/// looks); none when the home page led to no feed (`add` would only fail).
pub fn set_feed(source: &mut Source, state: Option<&SiteState>) {
    let feed_url = state.and_then(|s| s.feed_url.clone());
    let looked = state.is_some_and(|s| s.checked_at.is_some());
    source.subscribe = match &feed_url {
        Some(feed) => Some(subscribe_command(feed)),
        None if looked => None,
        None => Some(subscribe_command(&source.home)),
    };
    source.feed_url = feed_url;
}

/// The command that subscribes to `url`, safe to paste into a shell: the URL came from a
/// stranger's page, and `&`, `;` or `$(…)` are all legal in one.
fn subscribe_command(url: &str) -> String {
    // Only a NUL cannot be quoted, and no parsed URL holds one.
    let quoted = shlex::try_quote(url).map_or_else(|_| "''".into(), |q| q.into_owned());
    format!("gleaner add {quoted}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subscribe_command_is_safe_to_paste_into_a_shell() {
        assert_eq!(
            subscribe_command("https://a.example/feed.xml"),
            "gleaner add https://a.example/feed.xml"
        );
        // What a shell reads back is the URL, whole, as one argument.
        let hostile = "https://a.example/feed?x=1&y=$(rm -rf ~);'`id`";
        let command = subscribe_command(hostile);
        assert_eq!(
            shlex::split(&command),
            Some(vec!["gleaner".into(), "add".into(), hostile.to_owned()])
        );
        assert!(command.contains('\''), "quoted: {command}");
    }

    fn post(url: &str, via: &str, picked: bool, score: Option<f64>) -> ForeignPost {
        ForeignPost {
            url: url.into(),
            via: via.into(),
            picked,
            score,
        }
    }

    #[test]
    fn sites_are_hosts_or_a_path_below_shared_hosts() {
        let cases = [
            ("https://www.Example.com/a/b", Some("example.com")),
            (
                "https://medium.com/@dana/retries-1234",
                Some("medium.com/@dana"),
            ),
            (
                "https://github.com/acme/postmortems",
                Some("github.com/acme"),
            ),
            ("not a url", None),
        ];
        for (url, site) in cases {
            assert_eq!(site_of(url).as_deref(), site, "{url}");
        }
    }

    #[test]
    fn unsubscribed_sites_rank_by_picks_then_links() {
        let posts = [
            post("https://a.example/1", "Hacker News", false, Some(5.0)),
            post("https://a.example/2", "Lobsters", false, Some(0.2)),
            post("https://b.example/1", ARCHIVE_FEED, true, None),
            post("https://c.example/1", ARCHIVE_FEED, false, None),
            post("https://blog.example/1", "Hacker News", true, Some(9.0)),
            post("https://gone.example/1", "Hacker News", true, Some(9.0)),
            // Self posts and threads: the aggregators' own pages.
            post(
                "https://news.ycombinator.com/item?id=1",
                "Hacker News",
                true,
                None,
            ),
            post(
                "https://www.reddit.com/r/sre/comments/abc/x/",
                "r/sre",
                true,
                None,
            ),
            post("https://lobste.rs/s/abc/x", ARCHIVE_FEED, true, None),
        ];
        let subscribed: HashSet<String> = ["blog.example".to_owned()].into();
        let mut states = HashMap::new();
        states.insert(
            "gone.example".to_owned(),
            SiteState {
                dismissed: true,
                ..SiteState::default()
            },
        );
        states.insert(
            "a.example".to_owned(),
            SiteState {
                feed_url: Some("https://a.example/feed.xml".into()),
                ..SiteState::default()
            },
        );
        states.insert(
            "c.example".to_owned(),
            SiteState {
                checked_at: Some(chrono::DateTime::UNIX_EPOCH),
                ..SiteState::default()
            },
        );
        let ranked = rank(&posts, &subscribed, &states, 1.0);
        let sites: Vec<&str> = ranked.iter().map(|s| s.site.as_str()).collect();
        assert_eq!(sites, ["b.example", "a.example", "c.example"]);
        assert_eq!(ranked[2].subscribe, None, "looked, and found no feed");
        assert_eq!(ranked[0].seen_via, ["archive"]);
        assert_eq!(
            ranked[0].subscribe.as_deref(),
            Some("gleaner add https://b.example/"),
            "not looked at yet: `add` looks"
        );
        let a = &ranked[1];
        assert_eq!((a.linked, a.picked, a.candidates), (2, 0, 1));
        assert_eq!(a.seen_via, ["Hacker News", "Lobsters"]);
        assert_eq!(
            a.subscribe.as_deref(),
            Some("gleaner add https://a.example/feed.xml")
        );
    }
}
