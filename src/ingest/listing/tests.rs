use super::*;

fn listing(html: &str, base: &str, links: Option<&str>) -> Result<Vec<Entry>, ParseError> {
    let links = links.map(|l| Regex::new(l).unwrap());
    read_listing(html.as_bytes(), None, base, links.as_ref())
}

fn titled(entries: &[Entry]) -> Vec<(&str, &str)> {
    entries
        .iter()
        .map(|e| (e.url.as_deref().unwrap(), e.title.as_str()))
        .collect()
}

/// A listing as site builders write them: a navigation bar, cards that are one link
/// around a heading and an excerpt, a thumbnail linking the same article, "Read more"
/// links, tags, pagination and links to other sites.
const CARDS: &str = r#"<!doctype html><html><head><title>Articles</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a> <a href="/articles">Articles</a>
  <a href="https://twitter.example/drills">Twitter</a></nav>
<main>
  <a class="card" href="/articles/incident-response-skills-live?utm_source=home">
    <img src="/i/1.png"><h3>5 incident response skills, live</h3>
    <p>Charlene ran a SEV1 simulation in front of a room of engineers.</p>
  </a>
  <div class="card">
    <a href="https://uptime.example/articles/is-there-a-point-to-severity/"><img src="/i/2.png"></a>
    <h2><a href="https://uptime.example/articles/is-there-a-point-to-severity/">Is there a point to severity?</a></h2>
    <a href="/articles/is-there-a-point-to-severity/">Read more →</a>
  </div>
  <div class="card">
    <a href="articles/vibe-it-run-it" title="You vibe it, you run it?">Read more</a>
  </div>
  <a href="/articles/drills-that-stick.html">   </a>
  <a href="/articles/tag/on-call">on-call</a> <a href="/articles/page/2">Older</a>
  <a href="/articles?b3d4f91b_page=2">Next</a>
  <a href="https://elsewhere.example/articles/not-ours">Someone else's article</a>
  <a href="mailto:hi@uptime.example">Mail</a> <a href="javascript:void(0)">Menu</a>
</main></body></html>"#;

#[test]
fn a_listing_gives_its_articles_in_page_order_once_each_with_their_titles() {
    let entries = listing(CARDS, "https://www.uptime.example/articles", None).unwrap();
    assert_eq!(
        titled(&entries),
        [
            (
                "https://www.uptime.example/articles/incident-response-skills-live",
                "5 incident response skills, live"
            ),
            (
                "https://uptime.example/articles/is-there-a-point-to-severity/",
                "Is there a point to severity?"
            ),
            (
                "https://www.uptime.example/articles/vibe-it-run-it",
                "You vibe it, you run it?"
            ),
            (
                "https://www.uptime.example/articles/drills-that-stick.html",
                "Drills that stick"
            ),
        ]
    );
    let first = &entries[0];
    assert_eq!(
        first.item_key,
        format!("u:{}", first.url.as_deref().unwrap())
    );
    assert!(first.summary.is_empty() && first.content.is_empty() && first.published.is_none());
}

#[test]
fn a_links_pattern_picks_the_articles_of_a_listing_at_the_root() {
    let html = r#"<a href="/about/">About</a> <a href="/2025/11/drills/">Drills</a>
        <a href="/2025/10/pagers/"><span>Pagers</span> at 3am</a> <a href="/2025/">2025</a>"#;
    let entries = listing(
        html,
        "https://ops.example/",
        Some(r"^/20\d{2}/\d{2}/[^/]+/$"),
    )
    .unwrap();
    assert_eq!(
        titled(&entries),
        [
            ("https://ops.example/2025/11/drills/", "Drills"),
            ("https://ops.example/2025/10/pagers/", "Pagers at 3am"),
        ]
    );
}

#[test]
fn a_page_without_article_links_says_what_to_set() {
    let err = listing(CARDS, "https://uptime.example/blog", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the page links no article on uptime.example below /blog/; set links to a pattern of its articles' paths (e.g. links = '^/blog/[^/]+/?$')"
    );
    let err = listing(CARDS, "https://uptime.example/articles", Some("^/posts/")).unwrap_err();
    assert!(
        err.to_string()
            .contains("no article on uptime.example whose path matches links = '^/posts/'"),
        "{err}"
    );
    let empty = read_listing(b" \n ", None, "https://uptime.example/articles", None);
    assert!(matches!(empty, Err(ParseError::Empty)), "{empty:?}");
}

#[test]
fn hostile_listings_are_bounded() {
    let mut html = String::from("<h2><a href='/a/x'>\u{202e}evil\u{202c} title ");
    html.push_str(&"word ".repeat(400));
    html.push_str("</a></h2>");
    for i in 0..(MAX_ARTICLES + 50) {
        html.push_str(&format!("<a href='/a/{i}'>Post {i}</a>"));
    }
    let entries = listing(&html, "https://x.example/a/", None).unwrap();
    assert_eq!(entries.len(), MAX_ARTICLES);
    assert!(
        entries[0].title.starts_with("evil title word"),
        "{}",
        entries[0].title
    );
    assert_eq!(entries[0].title.chars().count(), MAX_TITLE);
    assert_eq!(entries[1].title, "Post 0");

    // Nesting past what a DOM is built for: the links before it are still read.
    let deep = format!(
        "<a href='/a/first'>First</a>{}<a href='/a/deep'>Deep</a>",
        "<div>".repeat(50_000)
    );
    let entries = listing(&deep, "https://x.example/a", None).unwrap();
    assert_eq!(titled(&entries), [("https://x.example/a/first", "First")]);

    // Bytes that are not UTF-8, and a title that is only a percent-encoded slug.
    let mut odd = b"<a href='/a/%C3%BCber-uptime'>\xff\xfe</a>".to_vec();
    odd.extend_from_slice(b"<a href='/a/%C3%BCber-uptime'></a>");
    let entries = read_listing(&odd, None, "https://x.example/a", None).unwrap();
    assert_eq!(
        titled(&entries),
        [("https://x.example/a/%C3%BCber-uptime", "Über uptime")]
    );
}

#[test]
fn a_slug_becomes_a_title_when_nothing_else_names_the_article() {
    let html = "<a href='/a/%C3%BCber_on-call.htm'><img src='x.png'></a> <a href='/a/v1.2-notes'>Read more</a>";
    let entries = listing(html, "https://x.example/a", None).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(),
        ["Über on call", "V1.2 notes"]
    );
}
