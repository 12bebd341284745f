//! Listing pages: a site that publishes no feed, watched through the HTML page that
//! lists its articles (`kind = "page"`). Pure: a fetched page → one entry per article
//! it links, titled from the listing; the article pages themselves are read later, as a
//! short blog entry's are (see `ingest::reach`).
//!
//! Which links are articles: with the feed's `links` pattern, those on the page's own
//! site whose path matches it; without, those on the page's own site whose path is
//! below the page's own (`/articles` lists `/articles/<slug>`; `/news/index.html`,
//! `/news/<slug>`), except tag, category, author and pagination pages. The site is the host without `www.`, so a listing at
//! `www.` may link its articles without it and the other way round.
//!
//! An article's title is, in order: the heading the link is in or holds (cards wrap
//! their whole text in one link), the link's text when it is not a "Read more", its
//! `title` or `aria-label`, and last its path's final segment with the dashes as spaces.
//! Links are kept in the page's order, once each, at most [`MAX_ARTICLES`].
//!
//! The page is hostile: it is read up to [`MAX_PAGE_BYTES`] and only as far as
//! [`bounded_prefix`] lets a DOM be built; titles are plain text without bidi
//! overrides, cut to [`MAX_TITLE`] characters.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use dom_query::{Document, Selection};
use regex::Regex;
use url::Url;

use crate::config::listing_folder;
use crate::ingest::article::{MAX_PAGE_BYTES, bounded_prefix};
use crate::ingest::html::decode_page;
use crate::ingest::normalize::{MAX_TITLE, canonical_url, without_bidi_overrides};
use crate::ingest::parse::ParseError;
use crate::model::Entry;

/// The most articles taken from one listing page (a listing shows the newest few
/// dozen; a page with thousands of matching links is not a listing).
pub const MAX_ARTICLES: usize = 200;

/// Path segments right below a listing that are other listings, not articles.
const NOT_ARTICLES: &[&str] = &[
    "tag",
    "tags",
    "category",
    "categories",
    "topic",
    "topics",
    "author",
    "authors",
    "page",
    "feed",
    "rss",
    "search",
];

/// What a page's file name may end in, dropped from a title made of it.
const PAGE_EXTENSIONS: &[&str] = &["html", "htm", "php", "asp", "aspx"];

/// Link texts that say nothing about the article.
const VAGUE: &[&str] = &[
    "read more",
    "read",
    "more",
    "continue reading",
    "learn more",
    "read article",
    "read the article",
    "read post",
    "read the post",
    "read full article",
    "read the full post",
    "view",
    "view post",
    "keep reading",
];

/// The articles `body` (fetched from `base`, decoded with the HTTP `charset`) links, as
/// entries without text: each keyed by its canonical URL, titled from the listing.
pub fn read_listing(
    body: &[u8],
    charset: Option<&str>,
    base: &str,
    links: Option<&Regex>,
) -> Result<Vec<Entry>, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let Ok(page) = Url::parse(base) else {
        return Err(ParseError::NoArticles(format!("`{base}` is not a URL")));
    };
    let html = decode_page(&body[..body.len().min(MAX_PAGE_BYTES)], charset);
    let rule = ArticleRule::new(&page, links);
    // The DOM under it has panicked on odd pages before (see `ingest::article`).
    let articles = catch_unwind(AssertUnwindSafe(|| articles(&html, &page, &rule)))
        .map_err(|_| ParseError::Crashed)?;
    if articles.is_empty() {
        return Err(ParseError::NoArticles(rule.nothing_found()));
    }
    Ok(articles
        .into_iter()
        .map(|(url, titles)| Entry {
            item_key: format!("u:{url}"),
            title: titles.best(&url),
            url: Some(url),
            ..Entry::default()
        })
        .collect())
}

/// Each article `html` links, once, in the page's order, with what its links call it.
fn articles(html: &str, page: &Url, rule: &ArticleRule) -> Vec<(String, Titles)> {
    let doc = Document::from(bounded_prefix(html));
    let mut articles: Vec<(String, Titles)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for anchor in doc.select("a[href]").iter() {
        let Some(url) = anchor
            .attr("href")
            .and_then(|href| page.join(href.trim()).ok())
            .filter(|url| rule.is_article(url))
            .and_then(|url| canonical_url(url.as_str()))
        else {
            continue;
        };
        let titles = Titles::of(&anchor);
        // `www.` or not, it is one article: the first link to it names it.
        let same = url.replacen("://www.", "://", 1);
        match index.get(&same) {
            Some(&at) => articles[at].1.add(titles),
            None if articles.len() < MAX_ARTICLES => {
                index.insert(same, articles.len());
                articles.push((url, titles));
            }
            None => {}
        }
    }
    articles
}

/// The page's `<title>`, as plain text: a name for the feed watching it.
pub fn page_title(body: &[u8], charset: Option<&str>) -> Option<String> {
    let html = decode_page(&body[..body.len().min(MAX_PAGE_BYTES)], charset);
    let title = catch_unwind(AssertUnwindSafe(|| {
        let doc = Document::from(bounded_prefix(&html));
        tidy(&doc.select("title").first().text())
    }))
    .ok()?;
    (!title.is_empty()).then_some(title)
}

/// Which links of a listing page are its site's articles.
struct ArticleRule<'a> {
    site: String,
    /// The page's path with a trailing slash: what an article's path starts with.
    below: String,
    links: Option<&'a Regex>,
}

impl<'a> ArticleRule<'a> {
    fn new(page: &Url, links: Option<&'a Regex>) -> ArticleRule<'a> {
        ArticleRule {
            site: site_of(page),
            below: listing_folder(page),
            links,
        }
    }

    fn is_article(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") || site_of(url) != self.site {
            return false;
        }
        let path = url.path();
        if let Some(links) = self.links {
            return links.is_match(path);
        }
        let Some(rest) = path.strip_prefix(&self.below) else {
            return false;
        };
        let first = rest.split('/').next().unwrap_or_default();
        !first.is_empty() && !NOT_ARTICLES.contains(&first.to_ascii_lowercase().as_str())
    }

    fn nothing_found(&self) -> String {
        match self.links {
            Some(links) => format!(
                "the page links no article on {} whose path matches links = '{}'; check the pattern against the paths of the site's articles",
                self.site,
                links.as_str()
            ),
            None => format!(
                "the page links no article on {} below {}; set links to a pattern of its articles' paths (e.g. links = '^/blog/[^/]+/?$')",
                self.site, self.below
            ),
        }
    }
}

/// A URL's host without `www.`, lower case.
fn site_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    host.strip_prefix("www.").unwrap_or(&host).to_owned()
}

/// What the links to one article say it is called, best first.
#[derive(Default)]
struct Titles {
    heading: Option<String>,
    text: Option<String>,
    label: Option<String>,
}

impl Titles {
    fn of(anchor: &Selection) -> Titles {
        let heading = if is_heading(anchor) {
            Some(anchor.clone())
        } else {
            let inner = anchor.select("h1, h2, h3, h4, h5, h6");
            let outer = anchor.ancestors(Some(8)).filter("h1, h2, h3, h4, h5, h6");
            [inner, outer].into_iter().find(|s| s.exists())
        };
        let label = ["title", "aria-label"]
            .iter()
            .find_map(|name| anchor.attr(name).map(|v| tidy(&v)))
            .filter(|label| !is_vague(label));
        Titles {
            heading: heading
                .map(|h| tidy(&h.first().text()))
                .filter(|t| !t.is_empty()),
            text: Some(tidy(&anchor.text())).filter(|t| !is_vague(t)),
            label,
        }
    }

    /// Fills what `self` lacks from another link to the same article.
    fn add(&mut self, other: Titles) {
        self.heading = self.heading.take().or(other.heading);
        self.text = self.text.take().or(other.text);
        self.label = self.label.take().or(other.label);
    }

    fn best(self, url: &str) -> String {
        self.heading
            .or(self.text)
            .or(self.label)
            .unwrap_or_else(|| slug_title(url))
    }
}

fn is_heading(node: &Selection) -> bool {
    node.is("h1, h2, h3, h4, h5, h6")
}

/// Plain text on one line, without bidi overrides, at most [`MAX_TITLE`] characters.
fn tidy(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    without_bidi_overrides(line)
        .chars()
        .take(MAX_TITLE)
        .collect()
}

fn is_vague(text: &str) -> bool {
    let words: String = text
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    words.is_empty() || VAGUE.contains(&words.as_str())
}

/// "incident-response-skills-live" → "Incident response skills live".
fn slug_title(url: &str) -> String {
    let segment = Url::parse(url)
        .ok()
        .and_then(|u| {
            u.path_segments()?
                .rev()
                .find(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let segment = percent_encoding::percent_decode_str(&segment).decode_utf8_lossy();
    let stem = segment
        .rsplit_once('.')
        .filter(|(_, ext)| PAGE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
        .map_or(&*segment, |(stem, _)| stem);
    let words = stem.replace(['-', '_', '+'], " ");
    let title = tidy(&words);
    let mut chars = title.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests;
