//! Finding the feed behind a URL the editor gives: the URL itself, a feed its page links,
//! or a feed at a common path on its host; or, for a site with none, what its listing
//! page would give as a `kind = "page"` feed.

use crate::ingest::fetch::{FailureKind, FetchError, FetchOutcome, Fetcher, Validators};
use crate::ingest::{html, listing, parse};

/// Paths tried, in order, when a page links no feed.
pub const COMMON_FEED_PATHS: &[&str] = &[
    "/feed",
    "/feed.xml",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/blog/feed",
    "/blog/rss.xml",
];

/// A feed found for a URL the user gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovered {
    pub url: String,
    pub title: Option<String>,
}

/// Whose URL discovery starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// The editor's own (`gleaner add`): fetched as a feed is.
    Editor,
    /// A site a stranger linked (`gleaner sources`): never fetched from a private
    /// address unless `allow_private_articles`.
    Stranger,
}

/// Why no feed was found for a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFeed {
    pub message: String,
    /// The URL itself could not be fetched (down, refused, unresolvable, a 5xx or 429):
    /// asking again later may find a feed, so the answer is not one to keep.
    pub unreachable: bool,
}

impl std::fmt::Display for NoFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

enum Attempt {
    Feed(Discovered),
    /// An HTML page, with the feeds it links.
    Page(Vec<String>),
    NotFeed,
    Failed(FetchError),
}

/// Finds the feed for `url`: the URL itself if it is a feed; else the feeds its page
/// links with `<link rel="alternate">`; else the first of [`COMMON_FEED_PATHS`] on its
/// host that is a feed.
pub async fn discover(fetcher: &Fetcher, url: &str, asker: Asker) -> Result<Discovered, NoFeed> {
    let mut candidates = match attempt(fetcher, url, asker).await {
        Attempt::Feed(found) => return Ok(found),
        Attempt::Failed(err) => {
            // A 4xx other than 429 is the site's answer; the rest may pass.
            let answered = err.kind == FailureKind::Gone
                || (err.kind == FailureKind::Status
                    && err
                        .http_status
                        .is_some_and(|s| (400..500).contains(&s) && s != 429));
            return Err(NoFeed {
                message: format!("cannot fetch {url}: {}", err.message),
                unreachable: !answered,
            });
        }
        Attempt::Page(links) => links,
        Attempt::NotFeed => Vec::new(),
    };
    if let Ok(base) = url::Url::parse(url) {
        candidates.extend(
            COMMON_FEED_PATHS
                .iter()
                .filter_map(|p| base.join(p).ok())
                .map(String::from),
        );
    }
    for candidate in candidates {
        if let Attempt::Feed(found) = attempt(fetcher, &candidate, asker).await {
            return Ok(found);
        }
    }
    Err(NoFeed {
        message: format!(
            "no feed found for {url}: it is not a feed, its page links none, and none of {} is one; pass the feed's own URL, or --page to watch the articles the page links",
            COMMON_FEED_PATHS.join(", ")
        ),
        unreachable: false,
    })
}

/// A listing page as a `kind = "page"` feed would read it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    /// Where the page was found (after a permanent redirect).
    pub url: String,
    /// The page's `<title>`, as plain text.
    pub title: Option<String>,
    /// The articles it links, titled, in the page's order.
    pub articles: Vec<String>,
}

/// Reads `url` as a listing page, with `links` as its feed would have it: an error when
/// it cannot be fetched or links no article.
pub async fn watch_page(
    fetcher: &Fetcher,
    url: &str,
    links: Option<&regex::Regex>,
) -> Result<Watched, String> {
    let fetched = match fetcher.fetch_listing(url, &Validators::default()).await {
        FetchOutcome::Fetched(fetched) => fetched,
        FetchOutcome::NotModified { .. } => {
            return Err(format!("{url} answered 304 to a plain GET"));
        }
        FetchOutcome::Failed(err) => return Err(format!("cannot fetch {url}: {}", err.message)),
    };
    let entries = listing::read_listing(
        &fetched.body,
        fetched.charset.as_deref(),
        &fetched.final_url,
        links,
    )
    .map_err(|err| format!("{url}: {err}"))?;
    Ok(Watched {
        title: listing::page_title(&fetched.body, fetched.charset.as_deref()),
        url: fetched.moved_to.unwrap_or_else(|| url.to_owned()),
        articles: entries.into_iter().map(|e| e.title).collect(),
    })
}

async fn attempt(fetcher: &Fetcher, url: &str, asker: Asker) -> Attempt {
    let fetched = match asker {
        Asker::Editor => fetcher.fetch(url, &Validators::default()).await,
        Asker::Stranger => fetcher.fetch_linked(url).await,
    };
    match fetched {
        FetchOutcome::Fetched(f) => {
            match parse::parse_feed(&f.body, f.charset.as_deref(), &f.final_url) {
                Ok(parsed) => Attempt::Feed(Discovered {
                    url: f.moved_to.unwrap_or_else(|| url.to_owned()),
                    title: parsed
                        .feed
                        .title
                        .map(|t| html::to_text(&t.content, 200))
                        .filter(|t| !t.is_empty()),
                }),
                Err(parse::ParseError::HtmlPage { feeds }) => Attempt::Page(feeds),
                Err(_) => Attempt::NotFeed,
            }
        }
        FetchOutcome::NotModified { .. } => Attempt::NotFeed,
        FetchOutcome::Failed(err) => Attempt::Failed(err),
    }
}
