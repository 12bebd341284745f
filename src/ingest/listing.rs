//! Listing pages: a site that publishes no feed, watched through the HTML page that
//! lists its articles (`kind = "page"`). Pure: a fetched page → one entry per article
//! it links, titled from the listing; the article pages themselves are read later, as a
//! short blog entry's are (see `ingest::reach`).
//!
//! Which links are articles: never the page itself (its next page, a "skip to
//! content"). With the feed's `links` pattern, those on the page's own site whose path,
//! percent-decoded, matches it; without, those on the page's own site whose path is
//! below the page's own (`/articles` lists `/articles/<slug>`; `/news/index.html`,
//! `/news/<slug>`), except other listings (tag, category, author, archive and
//! pagination pages, `2` or `2024/05` right below it, `index.*`), a post's own feed,
//! comments or AMP copy, a site's own pages (about, sign-up, WordPress' `wp-`), and
//! files that are not pages (feeds, images, stylesheets, PDFs). Links resolve against
//! the page's `<base href>` when it has one. The site is the host and port, without
//! `www.`.
//!
//! One article is one [`article_key`]: its URL with or without `www.`, `http` or
//! `https`, a trailing slash or `index.html`. It keys the entry too, so a site that
//! starts writing its links with trailing slashes (or drops `www.`) does not list its
//! articles anew.
//!
//! An article's title is, in order: the heading inside its link (cards wrap their
//! whole text in one link; the highest-ranked heading when there are several) or the
//! heading its link is in when that heading links nothing else, the link's text when it
//! is not a "Read more", its `title` or `aria-label`, and last its path's final segment
//! with the dashes as spaces. Links are kept in the page's order, once each, at most
//! [`MAX_ARTICLES`].
//!
//! The page is hostile: it is read up to [`MAX_PAGE_BYTES`] and only as far as
//! [`bounded_prefix`] lets a DOM be built; titles are plain text without bidi
//! overrides, cut to [`MAX_TITLE`] characters.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use dom_query::{Document, NodeId, NodeRef, Selection};
use percent_encoding::percent_decode_str;
use regex::Regex;
use url::Url;

use crate::config::listing_folder;
use crate::ingest::article::{MAX_DOM_DEPTH, MAX_PAGE_BYTES, bounded_prefix, walkable_dom};
use crate::ingest::html::decode_page;
use crate::ingest::normalize::{MAX_TITLE, canonical_url, without_bidi_overrides};
use crate::ingest::parse::ParseError;
use crate::model::Entry;

/// The most articles taken from one listing page (a listing shows the newest few
/// dozen; a page with thousands of matching links is not a listing).
pub const MAX_ARTICLES: usize = 200;

/// Path segments that, first or last below a listing, make a link another listing or a
/// site's own page, not an article (`/blog/tag/sre`, `/blog/<slug>/feed/`, `/@bob/about`).
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
    "amp",
    "comments",
    "search",
    "archive",
    "archives",
    "about",
    "followers",
    "following",
    "lists",
    "signup",
    "signin",
    "login",
    "subscribe",
    "membership",
    "xmlrpc.php",
];

/// What links to a file that is not an article page ends in.
const NOT_PAGES: &[&str] = &[
    "xml", "rss", "atom", "json", "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "css",
    "pdf", "zip", "gz", "mp3", "mp4", "webm", "woff", "woff2", "txt",
];

/// The headings a title may come from, highest rank first.
const HEADINGS: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "h6"];

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
        .map_err(|_| ParseError::Crashed)?
        .ok_or_else(|| {
            ParseError::NoArticles(format!(
                "the page nests elements more than {MAX_DOM_DEPTH} deep, which gleaner does not read; watch another page listing the site's articles"
            ))
        })?;
    if articles.is_empty() {
        return Err(ParseError::NoArticles(rule.nothing_found()));
    }
    Ok(articles
        .into_iter()
        .map(|(url, titles)| Entry {
            item_key: format!("u:{}", article_key(&url)),
            title: titles.best(&url),
            url: Some(url),
            ..Entry::default()
        })
        .collect())
}

/// One article's identity on a listing: its canonical URL as `https`, without `www.`
/// and without a trailing slash, so the forms a site links one article by are one.
pub fn article_key(url: &str) -> String {
    let Ok(mut url) = Url::parse(url) else {
        return url.to_owned();
    };
    if let Some(host) = url.host_str().and_then(|h| h.strip_prefix("www.")) {
        let host = host.to_owned();
        // A host without `www.` is as valid as the host with it.
        let _ = url.set_host(Some(&host));
    }
    if url.scheme() == "http" && url.port().is_none() {
        let _ = url.set_scheme("https");
    }
    let path = same_path(url.path()).to_owned();
    url.set_path(&path);
    url.into()
}

/// A path without its trailing slash or `index.html`: `/blog/a/index.html` is `/blog/a`.
fn same_path(path: &str) -> &str {
    let folder = ["index.html", "index.htm"]
        .iter()
        .find_map(|index| path.strip_suffix(index).filter(|p| p.ends_with('/')))
        .unwrap_or(path);
    match folder.trim_end_matches('/') {
        "" => "/",
        path => path,
    }
}

/// Each article `html` links, once, in the page's order, with what its links call it;
/// `None` when its DOM nests too deep to walk.
fn articles(html: &str, page: &Url, rule: &ArticleRule) -> Option<Vec<(String, Titles)>> {
    let doc = walkable_dom(bounded_prefix(html))?;
    let base = base_of(&doc, page);
    let links: Vec<Link> = doc
        .select("a[href]")
        .nodes()
        .iter()
        .filter_map(|anchor| Link::of(*anchor, &base, rule))
        .collect();
    let lone = lone_headings(&links);
    // A heading's text is read once, however many links it holds.
    let mut heading_texts: HashMap<NodeId, Option<String>> = HashMap::new();
    let mut heading_of = |link: &Link| {
        let heading = link.heading.filter(|h| lone.contains(&h.id))?;
        heading_texts
            .entry(heading.id)
            .or_insert_with(|| Some(tidy(&heading.text())).filter(|t| !t.is_empty()))
            .clone()
    };
    let mut articles: Vec<(String, Titles)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for link in &links {
        match index.get(link.key.as_str()) {
            // Only another link's heading could name it better.
            Some(&at) if articles[at].1.heading.is_none() => {
                let titles = Titles::of(&link.anchor, || heading_of(link));
                articles[at].1.add(titles);
            }
            Some(_) => {}
            None if articles.len() < MAX_ARTICLES => {
                index.insert(&link.key, articles.len());
                let titles = Titles::of(&link.anchor, || heading_of(link));
                articles.push((link.url.clone(), titles));
            }
            None => {}
        }
    }
    Some(articles)
}

/// A link to an article, with the heading it is in, if any.
struct Link<'a> {
    anchor: NodeRef<'a>,
    url: String,
    key: String,
    heading: Option<NodeRef<'a>>,
}

impl<'a> Link<'a> {
    fn of(anchor: NodeRef<'a>, base: &Url, rule: &ArticleRule) -> Option<Link<'a>> {
        let url = anchor
            .attr("href")
            .and_then(|href| base.join(href.trim()).ok())
            .filter(|url| rule.is_article(url))
            .and_then(|url| canonical_url(url.as_str()))?;
        Some(Link {
            key: article_key(&url),
            url,
            heading: anchor
                .ancestors_it(Some(8))
                .find(|node| HEADINGS.iter().any(|h| node.has_name(h))),
            anchor,
        })
    }
}

/// The headings that hold links to one article only: a heading around several (a
/// "Part one and Part two") names none of them.
fn lone_headings(links: &[Link]) -> HashSet<NodeId> {
    let mut holds: HashMap<NodeId, Option<&str>> = HashMap::new();
    for link in links {
        let Some(heading) = link.heading else {
            continue;
        };
        holds
            .entry(heading.id)
            .and_modify(|key| {
                if *key != Some(link.key.as_str()) {
                    *key = None;
                }
            })
            .or_insert(Some(&link.key));
    }
    holds
        .into_iter()
        .filter_map(|(id, key)| key.map(|_| id))
        .collect()
}

/// What the page's relative links resolve against: its `<base href>`, else its URL.
fn base_of(doc: &Document, page: &Url) -> Url {
    doc.select("base[href]")
        .first()
        .attr("href")
        .and_then(|href| page.join(href.trim()).ok())
        .filter(|base| matches!(base.scheme(), "http" | "https"))
        .unwrap_or_else(|| page.clone())
}

/// The page's `<title>`, as plain text: a name for the feed watching it.
pub fn page_title(body: &[u8], charset: Option<&str>) -> Option<String> {
    let html = decode_page(&body[..body.len().min(MAX_PAGE_BYTES)], charset);
    let title = catch_unwind(AssertUnwindSafe(|| {
        walkable_dom(bounded_prefix(&html))
            .map(|doc| tidy(&doc.select("title").first().text()))
            .unwrap_or_default()
    }))
    .ok()?;
    (!title.is_empty()).then_some(title)
}

/// Which links of a listing page are its site's articles.
struct ArticleRule<'a> {
    site: String,
    /// The page's path with a trailing slash: what an article's path starts with.
    below: String,
    /// The page's own path, as [`same_path`] has it: a link to it (its next page, a
    /// "skip to content") is not an article.
    itself: String,
    links: Option<&'a Regex>,
}

impl<'a> ArticleRule<'a> {
    fn new(page: &Url, links: Option<&'a Regex>) -> ArticleRule<'a> {
        ArticleRule {
            site: site_of(page),
            below: listing_folder(page),
            itself: same_path(page.path()).to_owned(),
            links,
        }
    }

    fn is_article(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") || site_of(url) != self.site {
            return false;
        }
        let path = url.path();
        if same_path(path) == self.itself {
            return false;
        }
        if let Some(links) = self.links {
            return links.is_match(&percent_decode_str(path).decode_utf8_lossy());
        }
        let Some(rest) = path.strip_prefix(&self.below) else {
            return false;
        };
        let rest = rest.trim_end_matches('/').to_ascii_lowercase();
        let segments: Vec<&str> = rest.split('/').collect();
        let (first, last) = (segments[0], segments[segments.len() - 1]);
        let extension = last.rsplit_once('.').map(|(_, ext)| ext);
        !first.is_empty()
            && !NOT_ARTICLES.contains(&first)
            && !NOT_ARTICLES.contains(&last)
            && !first.starts_with("index.")
            && !first.starts_with("wp-")
            && !segments.iter().all(|s| is_page_number(s))
            && !extension.is_some_and(|ext| NOT_PAGES.contains(&ext))
    }

    fn nothing_found(&self) -> String {
        match self.links {
            Some(links) => format!(
                "the page links no article on {} whose path matches links = '{}'; check the pattern against the paths (percent-decoded) of the site's articles",
                self.site,
                links.as_str()
            ),
            None => format!(
                "the page links no article on {} below {}; set the feed's links (gleaner add: --links) to a pattern of its articles' paths (e.g. '^{}[^/]+/?$')",
                self.site, self.below, self.below
            ),
        }
    }
}

/// `2`, `2024` or `05`: a listing's next page or a date's archive (`/2024/05/`), when
/// every segment below the listing is one (an article numbered so low is rarer).
fn is_page_number(segment: &str) -> bool {
    (1..=4).contains(&segment.len()) && segment.bytes().all(|b| b.is_ascii_digit())
}

/// A URL's host without `www.`, lower case, with its port when it is not the default.
fn site_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// What the links to one article say it is called, best first.
#[derive(Default)]
struct Titles {
    heading: Option<String>,
    text: Option<String>,
    label: Option<String>,
}

impl Titles {
    /// What one link calls its article; `outer`, the text of the heading it is in, if
    /// that heading links nothing else.
    fn of(anchor: &NodeRef, outer: impl FnOnce() -> Option<String>) -> Titles {
        let inner = Selection::from(*anchor);
        let heading = HEADINGS
            .iter()
            .find_map(|h| inner.select(h).nodes().first().map(|h| tidy(&h.text())))
            .filter(|t| !t.is_empty())
            .or_else(outer);
        let label = ["title", "aria-label"]
            .iter()
            .find_map(|name| anchor.attr(name).map(|v| tidy(&v)))
            .filter(|label| !is_vague(label));
        Titles {
            heading,
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
    let segment = percent_decode_str(&segment).decode_utf8_lossy();
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
