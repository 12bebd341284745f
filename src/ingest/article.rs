//! Article pages: a fetched HTML page → its main text, title, authors, site name and
//! publication date. Pure: the caller fetches (and checks robots.txt first).
//!
//! The main text comes from `dom_smoothie`, a port of Mozilla's Readability (Firefox's
//! reader view): scripts, styles, navigation and boilerplate are left out. When it fails,
//! finds nothing or panics, the text is the whole page's through [`crate::ingest::html::to_text`].
//! Either way the text is plain: one paragraph per block, white space collapsed inside it,
//! paragraphs separated by a blank line, at most [`MAX_ARTICLE_BYTES`] cut at a word
//! boundary. Building a DOM slows down with the square of the nesting (2,000 nested `div`s
//! take seconds), so a page with more than 40,000 elements or nested over 256 deep gets
//! no DOM past that point: its metadata is read from the part before, its text is the
//! tokenizer's (see `prefix`).
//!
//! Each metadata field comes from the first of these sources that has it:
//! 1. JSON-LD (`<script type="application/ld+json">`): an object, an array or an `@graph`
//!    of them; the first node typed Article, BlogPosting, NewsArticle or TechArticle,
//!    else the first WebPage. `headline`, `author` (a name, an object with `name`, a
//!    `{"@id"}` reference to another node of the graph as Yoast writes it, or an array of
//!    those), `publisher.name`, `datePublished`;
//! 2. OpenGraph: `og:title`, `article:author` (names only: a profile URL is skipped),
//!    `og:site_name`, `article:published_time`;
//! 3. `<meta name="author">` (authors only);
//! 4. dom_smoothie's own findings: its title, the byline it found in the page, site name
//!    and published time.
//!
//! A page is hostile: it is cut to [`MAX_PAGE_BYTES`] before parsing, JSON-LD scripts over
//! 256 KiB are skipped, names lose control and bidi-override characters and are cut to
//! 200 characters, at most 10 authors are kept, and nothing here unwraps what the page sent.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use dom_query::Document;
use url::{Host, Url};

use crate::ingest::html;
use crate::ingest::normalize::is_invisible;

mod meta;
mod prefix;

use meta::{MAX_NAME_CHARS, MAX_TITLE_CHARS, Meta, authors, clean, date};
use prefix::MAX_ELEMENTS;
pub(crate) use prefix::{MAX_DOM_DEPTH, bounded_prefix, walkable_dom};

/// The most text kept from one article, in bytes.
pub const MAX_ARTICLE_BYTES: usize = 64 * 1024;
/// Pages are cut to this many bytes before they are parsed.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// What an article page says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Article {
    /// Plain text: paragraphs separated by a blank line.
    pub text: String,
    /// Words in `text`.
    pub words: usize,
    pub title: Option<String>,
    /// Trimmed, de-duplicated names, at most 10.
    pub authors: Vec<String>,
    /// The site's name as the page gives it; see [`tidy_host`] when it gives none.
    pub site_name: Option<String>,
    pub published: Option<DateTime<Utc>>,
}

impl Article {
    fn with_text(text: String, meta: Meta) -> Article {
        Article {
            words: text.split_whitespace().count(),
            text,
            title: meta.title,
            authors: meta.authors,
            site_name: meta.site_name,
            published: meta.published,
        }
    }
}

/// Reads `html`, the page fetched from `page_url` (used to resolve relative links).
pub fn read_article(html: &str, page_url: &Url) -> Article {
    let html = cut_at_char(html, MAX_PAGE_BYTES);
    // dom_smoothie and the DOM under it have panicked on odd pages before (see their
    // changelogs); one page must not take a poll down.
    catch_unwind(AssertUnwindSafe(|| read(html, page_url)))
        .unwrap_or_else(|_| Article::with_text(fallback_text(html), Meta::default()))
}

/// The name to show for a site whose pages name none: the host without `www.` and
/// without one leading `blog.`, `blogs.`, `engineering.`, `eng.` or `tech.` label, so
/// "blog.acme.io" and "www.engineering.acme.io" are both "acme.io". A prefix stays when
/// what would remain is not a registrable-looking name ("blog.co.uk", "www.io"). IP
/// addresses stay as they are; a URL without a host gives "".
pub fn tidy_host(url: &Url) -> String {
    let host = match url.host() {
        None => return String::new(),
        Some(Host::Ipv4(ip)) => return ip.to_string(),
        Some(Host::Ipv6(ip)) => return ip.to_string(),
        Some(Host::Domain(domain)) => domain.trim_end_matches('.').to_ascii_lowercase(),
    };
    let mut rest = host.as_str();
    if let Some(tail) = rest.strip_prefix("www.")
        && looks_registrable(tail)
    {
        rest = tail;
    }
    for prefix in ["blog.", "blogs.", "engineering.", "eng.", "tech."] {
        if let Some(tail) = rest.strip_prefix(prefix)
            && looks_registrable(tail)
        {
            rest = tail;
            break;
        }
    }
    rest.to_owned()
}

/// At least two labels, and not a bare public suffix such as "co.uk" or "com.au".
fn looks_registrable(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [] | [_] => false,
        [first, last] => {
            !(last.len() == 2
                && [
                    "co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "go",
                ]
                .contains(first))
        }
        _ => labels.iter().all(|label| !label.is_empty()),
    }
}

fn read(html: &str, page_url: &Url) -> Article {
    let prefix = bounded_prefix(html);
    let Some(doc) = walkable_dom(prefix) else {
        return Article::with_text(fallback_text(html), Meta::default());
    };
    let page = meta::json_ld(&doc).or(meta::meta_tags(&doc));
    // Past the limits, metadata comes from the prefix and the text from the tokenizer.
    let (text, found) = if prefix.len() == html.len() {
        smoothie(doc, page_url)
    } else {
        (None, Meta::default())
    };
    let text = text
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| fallback_text(html));
    Article::with_text(text, page.or(found))
}

/// The main text and metadata dom_smoothie finds; no text when it fails.
fn smoothie(doc: Document, page_url: &Url) -> (Option<String>, Meta) {
    let config = dom_smoothie::Config {
        max_elements_to_parse: MAX_ELEMENTS,
        text_mode: dom_smoothie::TextMode::Formatted,
        ..dom_smoothie::Config::default()
    };
    // It refuses a document URL that is not absolute http(s); relative links then stay.
    let url = matches!(page_url.scheme(), "http" | "https").then_some(page_url.as_str());
    let Ok(mut readability) = dom_smoothie::Readability::with_document(doc, url, Some(config))
    else {
        return (None, Meta::default());
    };
    match readability.parse() {
        Ok(article) => {
            let meta = found(
                &article.title,
                article.byline.as_deref(),
                article.site_name.as_deref(),
                article.published_time.as_deref(),
            );
            (Some(paragraphs(&article.text_content)), meta)
        }
        // No article, but the title and <meta> tags it reads are still there.
        Err(_) => {
            let m = readability.get_article_metadata(None);
            let meta = found(
                &m.title,
                m.byline.as_deref(),
                m.site_name.as_deref(),
                m.published_time.as_deref(),
            );
            (None, meta)
        }
    }
}

fn found(title: &str, byline: Option<&str>, site: Option<&str>, published: Option<&str>) -> Meta {
    Meta {
        title: clean(title, MAX_TITLE_CHARS),
        authors: authors(byline),
        site_name: site.and_then(|s| clean(s, MAX_NAME_CHARS)),
        published: published.and_then(date),
    }
}

fn fallback_text(html: &str) -> String {
    paragraphs(&html::to_text(html, MAX_ARTICLE_BYTES))
}

/// One paragraph per non-blank line, white space collapsed, control characters dropped,
/// paragraphs joined by a blank line, at most [`MAX_ARTICLE_BYTES`].
fn paragraphs(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_ARTICLE_BYTES + 8));
    for line in text.lines() {
        let mut started = false;
        let mut space = false;
        for c in line.chars() {
            if c.is_whitespace() {
                space = started;
            } else if !c.is_control() && !is_invisible(c) {
                if !started && !out.is_empty() {
                    out.push_str("\n\n");
                } else if space {
                    out.push(' ');
                }
                out.push(c);
                started = true;
                space = false;
            }
        }
        if out.len() > MAX_ARTICLE_BYTES {
            break;
        }
    }
    cap_at_word(&mut out, MAX_ARTICLE_BYTES);
    out
}

/// Cuts `text` to at most `max` bytes on a char boundary, at the last white space when
/// one is near the end (a long unbroken run is cut mid-word rather than lost).
fn cap_at_word(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = text.floor_char_boundary(max);
    let at_boundary = text[end..].starts_with(char::is_whitespace);
    if !at_boundary
        && let Some(space) = text[..end].rfind(char::is_whitespace)
        && end - space <= 256
    {
        end = space;
    }
    text.truncate(end);
    let kept = text.trim_end().len();
    text.truncate(kept);
}

fn cut_at_char(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    &text[..text.floor_char_boundary(max)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/it/fixtures/reach/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn page_url() -> Url {
        Url::parse("https://blog.acme.example/2026/03/retry-storm").unwrap()
    }

    fn at(text: &str) -> Option<DateTime<Utc>> {
        Some(
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc),
        )
    }

    #[test]
    fn metadata_comes_from_the_first_source_that_has_it() {
        // (page, title, authors, site name, published)
        let cases: [(_, _, &[&str], _, _); 5] = [
            // JSON-LD wins over OpenGraph for every field it has; its author is an object
            // whose name carries a bidi override and a control character.
            (
                "article-jsonld-object.html",
                "How a retry storm took down our checkout",
                &["Jane Doe"],
                Some("Acme Engineering"),
                Some("2026-03-05T08:30:00Z"),
            ),
            // A Yoast @graph: WebPage first, the Article after it, author and publisher
            // as @id references; entities in the headline are decoded.
            (
                "article-jsonld-graph.html",
                "Retry storms & how we stopped one",
                &["Ada Lee", "Sam Roe"],
                Some("Acme"),
                Some("2026-02-10T08:00:00Z"),
            ),
            // A top-level array in CDATA, after an unparseable script: names as objects
            // and strings, a duplicate in other case, a nameless person, a "By".
            (
                "article-jsonld-array.html",
                "Retry storms, explained",
                &["Ada Lee", "Sam Roe", "Kim Poe"],
                Some("The Reliability Times"),
                Some("2026-01-20T00:00:00Z"),
            ),
            // OpenGraph only: the profile URL is not a name; <meta name=author> loses.
            (
                "article-opengraph.html",
                "Retry storms at Acme",
                &["Jane Doe"],
                Some("Acme Engineering Blog"),
                Some("2026-04-01T12:00:00Z"),
            ),
            // No title but dom_smoothie's: <title> has two words, so it takes the <h1>.
            (
                "article-meta-author.html",
                "How a retry storm took down our checkout",
                &["Kim Poe"],
                None,
                None,
            ),
        ];
        for (page, title, authors, site_name, published) in cases {
            let article = read_article(&fixture(page), &page_url());
            assert_eq!(article.title.as_deref(), Some(title), "{page}");
            assert_eq!(article.authors, authors, "{page}");
            assert_eq!(article.site_name.as_deref(), site_name, "{page}");
            assert_eq!(article.published, published.and_then(at), "{page}");
            assert!(
                article.text.contains("retry budget"),
                "{page}: {}",
                article.text
            );
        }
    }

    #[test]
    fn a_page_that_names_nothing_gets_its_host_as_site_name() {
        let article = read_article(&fixture("article-bare.html"), &page_url());
        assert_eq!(article.site_name, None);
        assert_eq!(article.published, None);
        assert!(article.authors.is_empty(), "{:?}", article.authors);
        assert_eq!(tidy_host(&page_url()), "acme.example");
        // A byline in the page is dom_smoothie's find, the last source.
        let html = fixture("article-bare.html").replace(
            "</h1>",
            "</h1><p class=\"byline\">By <a href=\"/people/ines\">Inès Moreau</a></p>",
        );
        let article = read_article(&html, &page_url());
        assert_eq!(article.authors, ["Inès Moreau"]);
    }

    #[test]
    fn text_is_the_article_without_scripts_styles_or_boilerplate() {
        let article = read_article(&fixture("article-bare.html"), &page_url());
        for absent in [
            "zebraomelette",
            "quixotic",
            "papayawhip",
            "Careers",
            "Copyright",
        ] {
            assert!(
                !article.text.contains(absent),
                "{absent} in {}",
                article.text
            );
        }
        assert!(
            article.text.starts_with("On the morning of March 3rd"),
            "{}",
            article.text
        );
        assert!(
            article
                .text
                .contains("for almost an hour.\n\nThen the checkout")
        );
        assert!(!article.text.contains("  ") && !article.text.contains("\n\n\n"));
        assert_eq!(article.words, article.text.split_whitespace().count());
        assert!(article.words > 200, "{}", article.words);
    }

    #[test]
    fn a_huge_page_is_capped_on_a_word_and_char_boundary() {
        let paragraph = "<p>Ünïcödé retries amplify load when every client retries at once, \
                         so budgets and jitter matter more than timeouts.</p>";
        let html = format!(
            "<html><body><article>{}</article></body></html>",
            paragraph.repeat(3_000)
        );
        let article = read_article(&html, &page_url());
        assert!(
            article.text.len() <= MAX_ARTICLE_BYTES,
            "{}",
            article.text.len()
        );
        assert!(
            article.text.len() > MAX_ARTICLE_BYTES - 300,
            "{}",
            article.text.len()
        );
        assert!(!article.text.ends_with(char::is_whitespace));
        let last = article.text.split_whitespace().last().unwrap();
        assert!(paragraph.contains(last), "cut mid-word: {last}");
        // More text than Readability's element limit: the fallback is capped the same way.
        let html = format!(
            "<html><body>{}</body></html>",
            "<p>x y</p>".repeat(MAX_ELEMENTS + 10)
        );
        assert!(read_article(&html, &page_url()).text.len() <= MAX_ARTICLE_BYTES);
    }

    #[test]
    fn garbage_never_panics_and_yields_little() {
        let deep = format!("{}deep{}", "<div>".repeat(20_000), "</div>".repeat(20_000));
        let binary: String = (0u8..=255).map(char::from).cycle().take(20_000).collect();
        let pages = [
            String::new(),
            "\u{0}\u{1}%PDF-1.4 \u{fffd}\u{fffd}".to_owned(),
            "<<<<>>>> </ </a <script>".to_owned(),
            "<script type=application/ld+json>[[[[[[[[[[[[[[[[[[[[</script>".to_owned(),
            format!(
                "<script type=application/ld+json>{}</script>",
                "[".repeat(100_000)
            ),
            binary,
            deep,
        ];
        for page in &pages {
            let article = read_article(page, &page_url());
            assert!(article.authors.is_empty() && article.site_name.is_none());
            assert!(article.published.is_none());
            assert!(article.text.len() <= MAX_ARTICLE_BYTES);
            assert!(!article.text.contains('\u{0}'));
        }
        // Nested too deep for a DOM: the metadata before that point is still read.
        let deep = format!(
            "{}{}",
            fixture("article-meta-author.html"),
            "<b>".repeat(20_000)
        );
        let article = read_article(&deep, &page_url());
        assert_eq!(article.authors, ["Kim Poe"]);
        assert!(article.text.contains("retry budget"));
        let ftp = Url::parse("ftp://example.com/x").unwrap();
        let article = read_article(&fixture("article-meta-author.html"), &ftp);
        assert_eq!(article.authors, ["Kim Poe"]);
    }

    #[test]
    fn tidy_host_drops_blog_like_prefixes() {
        let cases = [
            ("https://blog.acme.io/post", "acme.io"),
            ("https://www.acme.io/", "acme.io"),
            ("https://engineering.fb.com/2026/x", "fb.com"),
            ("https://www.engineering.acme.io/", "acme.io"),
            ("https://WWW.Example.COM./", "example.com"),
            ("https://blog.co.uk/", "blog.co.uk"),
            ("https://www.io/", "www.io"),
            (
                "https://news.ycombinator.com/item?id=1",
                "news.ycombinator.com",
            ),
            ("https://blog.cloudflare.com:8443/x", "cloudflare.com"),
            ("http://192.0.2.7/x", "192.0.2.7"),
            ("http://[2001:db8::1]/x", "2001:db8::1"),
            ("data:text/plain,hi", ""),
        ];
        for (url, want) in cases {
            assert_eq!(tidy_host(&Url::parse(url).unwrap()), want, "{url}");
        }
    }
}
