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
        "u:https://uptime.example/articles/incident-response-skills-live"
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
        "the page links no article on uptime.example below /blog/; set the feed's links (gleaner add: --links) to a pattern of its articles' paths (e.g. '^/blog/[^/]+/?$')"
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
        html.push_str(&format!("<a href='/a/post-{i}'>Post {i}</a>"));
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

#[test]
fn the_forms_a_site_links_one_article_by_are_one_article_with_one_key() {
    let html = "<a href='/blog/a'>A</a> <a href='/blog/a/'>A again</a>
        <a href='http://x.example/blog/a'>A over http</a> <a href='https://www.x.example/blog/a'>A at www</a>
        <a href='https://X.EXAMPLE:443/blog/a#comments'>A, comments</a>
        <a href='https://x.example:8443/blog/b'>Another site, on another port</a>";
    let entries = listing(html, "https://x.example/blog", None).unwrap();
    assert_eq!(titled(&entries), [("https://x.example/blog/a", "A")]);
    // A site that starts writing trailing slashes, or `www.`, keeps its keys.
    let before = &entries[0].item_key;
    for form in ["https://www.x.example/blog/a/", "http://x.example/blog/a"] {
        let html = format!("<a href='{form}'>A</a>");
        let after = listing(&html, "https://x.example/blog", None).unwrap();
        assert_eq!(&after[0].item_key, before, "{form}");
    }
}

#[test]
fn links_that_are_listings_files_or_the_page_itself_are_not_articles() {
    let html = "<a href='index.html'>Blog</a> <a href='/blog/'>Blog</a> <a href='/blog/rss.xml'>RSS</a>
        <a href='/blog/images/cover.PNG'>Cover</a> <a href='/blog/Tag/sre'>SRE</a> <a href='/blog/2'>2</a>
        <a href='/blog/archive/'>Archive</a> <a href='/blog/2024/05/retries/'>Retries</a>
        <a href='/blog/postmortem.pdf'>PDF</a> <a href='/blog/on-call.html'>On-call</a>
        <a href='/blog/2024/'>2024</a> <a href='/blog/20240517'>Numbered</a>";
    for page in [
        "https://x.example/blog/",
        "https://x.example/blog/index.html",
    ] {
        let entries = listing(html, page, None).unwrap();
        assert_eq!(
            titled(&entries),
            [
                ("https://x.example/blog/2024/05/retries/", "Retries"),
                ("https://x.example/blog/on-call.html", "On-call"),
                ("https://x.example/blog/20240517", "Numbered"),
            ],
            "{page}"
        );
    }
}

#[test]
fn a_heading_names_the_one_article_it_links_only() {
    let html = "<h2><a href='/blog/a'>Part one</a> and <a href='/blog/b'>Part two</a></h2>
        <h2>Retries <em>considered</em> <a href='/blog/c'>harmful</a> <a href='/blog/c#top'>#</a></h2>
        <a href='/blog/d'><h4>Case study</h4><h3>The real title</h3></a>";
    let entries = listing(html, "https://x.example/blog", None).unwrap();
    assert_eq!(
        titled(&entries),
        [
            ("https://x.example/blog/a", "Part one"),
            ("https://x.example/blog/b", "Part two"),
            ("https://x.example/blog/c", "Retries considered harmful #"),
            ("https://x.example/blog/d", "The real title"),
        ]
    );
}

#[test]
fn a_heading_of_thousands_of_links_is_read_once_not_once_per_link() {
    // Each link's title used to be the whole heading's text, read anew per link.
    let mut html = String::from("<h2>");
    for i in 0..8_000 {
        html.push_str(&format!(
            "<a href='/a/post-{}'>Post {} {}</a>",
            i % 300,
            i % 300,
            "word ".repeat(20)
        ));
    }
    html.push_str("</h2>");
    let entries = listing(&html, "https://x.example/a", None).unwrap();
    assert_eq!(entries.len(), MAX_ARTICLES);
    assert!(
        entries[7].title.starts_with("Post 7 word"),
        "{}",
        entries[7].title
    );
    assert!(
        entries[7].title.chars().count() < 120,
        "{}",
        entries[7].title
    );
}

#[test]
fn relative_links_resolve_against_the_pages_base() {
    let html = "<base href='/blog/'><a href='retries'>Retries</a> <a href='/elsewhere/x'>X</a>";
    let entries = listing(html, "https://x.example/blog", None).unwrap();
    assert_eq!(
        titled(&entries),
        [("https://x.example/blog/retries", "Retries")]
    );
}

#[test]
fn a_links_pattern_reads_paths_percent_decoded() {
    let html = "<a href='/blog/%C3%BCber-uptime'>Über</a> <a href='/blog/with%20space'>Space</a> <a href='/blog/other'>Other</a>";
    let entries = listing(html, "https://x.example/", Some("^/blog/(über|with space)")).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(),
        ["Über", "Space"]
    );
}

#[test]
fn a_listing_named_like_a_file_is_not_its_own_article_nor_its_next_page() {
    let html = "<a href='#main'>Skip to content</a> <a href='all.html?page=2'>Next</a>
        <a href='/news/retries.html'>Retries</a> <a href='/news/all.html#top'>Top</a>";
    for links in [None, Some(r"^/news/")] {
        let entries = listing(html, "https://x.example/news/all.html", links).unwrap();
        assert_eq!(
            titled(&entries),
            [("https://x.example/news/retries.html", "Retries")],
            "{links:?}"
        );
    }
}

#[test]
fn date_archives_feeds_comments_and_a_sites_own_pages_are_not_articles() {
    let html = "<a href='/blog/2024/05/'>May 2024</a> <a href='/blog/2024/05/31/'>May 31</a>
        <a href='/blog/comments/feed/'>Comments</a> <a href='/blog/retries/feed/'>Its feed</a>
        <a href='/blog/retries/amp/'>AMP</a> <a href='/blog/wp-login.php'>Log in</a>
        <a href='/blog/xmlrpc.php'>RPC</a> <a href='/blog/about'>About</a> <a href='/blog/signup/'>Sign up</a>
        <a href='/blog/2024/05/31/retries/'>Retries</a> <a href='/blog/getting-started-with-node.js'>Node</a>";
    let entries = listing(html, "https://x.example/blog/", None).unwrap();
    assert_eq!(
        titled(&entries),
        [
            ("https://x.example/blog/2024/05/31/retries/", "Retries"),
            (
                "https://x.example/blog/getting-started-with-node.js",
                "Node"
            ),
        ]
    );
}

#[test]
fn an_article_linked_as_its_folder_and_as_its_index_is_one() {
    let html = "<a href='/blog/retries/'>Retries</a> <a href='/blog/retries/index.html'>Again</a>";
    let entries = listing(html, "https://x.example/blog/", None).unwrap();
    assert_eq!(
        titled(&entries),
        [("https://x.example/blog/retries/", "Retries")]
    );
    assert_eq!(
        article_key("https://x.example/blog/retries/index.html"),
        article_key("http://www.x.example/blog/retries")
    );
    assert_eq!(article_key("https://x.example/"), "https://x.example/");
    assert_eq!(
        article_key("https://x.example/index.htm"),
        "https://x.example/"
    );
}
