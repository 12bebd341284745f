//! Whole issues: the fixtures (a WordPress archive feed, a saved page, markdown issues)
//! and hostile input.

use chrono::{DateTime, Utc};
use serde_json::json;
use url::Url;

use super::*;

const FEED: &str = include_str!("../../tests/it/fixtures/archive/wordpress-feed.xml");
const PAGE: &str = include_str!("../../tests/it/fixtures/archive/issue-page.html");
const DRAFT: &str = include_str!("../../tests/it/fixtures/archive/draft.md");
const ARCHIVE_MD: &str = include_str!("../../tests/it/fixtures/archive/archive-issue.md");

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn link(url: &str, title: &str, blurb: &str, authors: &[&str], org: Option<&str>) -> ArchiveLink {
    ArchiveLink {
        url: url.into(),
        title: title.into(),
        blurb: blurb.into(),
        authors: authors.iter().map(|a| a.to_string()).collect(),
        org: org.map(str::to_owned),
    }
}

fn urls(links: &[ArchiveLink]) -> Vec<&str> {
    links.iter().map(|l| l.url.as_str()).collect()
}

#[test]
fn a_wordpress_archive_feed_of_several_issues() {
    let issues = parse_archive_feed(FEED.as_bytes(), "https://weekly.example/feed/").unwrap();
    let titles: Vec<&str> = issues.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Reliability Weekly Issue #412",
            "Reliability Weekly Issue #411",
            "Taking a week off"
        ]
    );
    let first = &issues[0];
    assert_eq!(
        first.url.as_deref(),
        Some("https://weekly.example/reliability-weekly-issue-412/")
    );
    assert_eq!(first.published, Some(utc("2026-06-15T01:12:38Z")));
    // The sponsor, the survey on the newsletter's own site and the Outages list are left
    // out; the blurb's link to a paper is a reference, not a pick.
    assert_eq!(
        first.links,
        [
            link(
                "https://blog.queueworks.example/posts/retry-storms",
                "Retry storms, and how we learned to stop them",
                "A useful look at what happens when every client retries at once, and what they changed to keep a blip from becoming an outage.",
                &["Dana Whitfield"],
                Some("Queueworks"),
            ),
            link(
                "https://www.reddit.com/r/sre/comments/1abcde/how_soon_should_new_hires_go_on_call/",
                "How soon should new hires go on call?",
                "Great discussion in the comments, with a lot of variance in how much time people recommend.",
                &["u/pager_fatigue and commenters"],
                Some("Reddit r/sre"),
            ),
            link(
                "https://priyaraman.example/2026/06/metastable-failures/",
                "Metastable failures, a gentle introduction",
                "A great intro to the concept — and I recommend reading the original paper as well.",
                &["Priya Raman"],
                None,
            ),
            link(
                "https://engineering.ledgerly.example/single-az-by-design",
                "Why our central service lives in one AZ",
                "I enjoyed learning about their deliberate choice to keep their central service in a single AZ. This incident showed them where they needed a faster failover plan.",
                &[],
                Some("Ledgerly"),
            ),
            link(
                "https://cloudscale.example/blog/load-shedding-without-configuration",
                "Load shedding that needs no configuration",
                "Building on their previous load shedding library, they built a new one that tunes itself.\nThe best limit is the one nobody has to set by hand.\nThis article is published by my sponsor, Pagerly, but their sponsorship did not influence its inclusion in this issue.",
                &["Ana Souza", "Bo Lin", "Chidi Okafor", "Dee Park"],
                Some("Cloudscale"),
            ),
        ]
    );
    let second = &issues[1];
    // Own issue page, the duplicate (after canonicalization) and javascript: are gone.
    assert_eq!(
        urls(&second.links),
        [
            "https://brent.example/writing-the-review-is-the-learning",
            "https://blog.queueworks.example/posts/retry-storms-part-two",
            "https://devnotes.example/expiry-dates-are-cliffs",
            "https://robertposton.example/safety-and-profit",
        ]
    );
    let by = |l: &ArchiveLink| (join_names(&l.authors), l.org.clone());
    let bylines: Vec<_> = second.links.iter().map(by).collect();
    assert_eq!(
        bylines,
        [
            (
                "Sam Ortiz and Lee Chen".into(),
                Some("Northwind Labs".into())
            ),
            ("Dana Whitfield".into(), Some("Queueworks".into())),
            ("Mika Aalto".into(), Some("University of Example".into())),
            ("Robert Poston, MD".into(), None),
        ]
    );
    assert_eq!(second.links[0].title, "Writing the review is the learning");
    assert!(second.links[0].blurb.contains("[…] you could throw"));
    assert!(issues[2].links.is_empty(), "{:?}", issues[2].links);
}

#[test]
fn the_json_shape() {
    let issues = parse_archive_feed(FEED.as_bytes(), "https://weekly.example/feed/").unwrap();
    let json = serde_json::to_value(issues[1].to_json(chrono_tz::America::New_York)).unwrap();
    assert_eq!(json["title"], "Reliability Weekly Issue #411");
    assert_eq!(json["published"], "2026-06-08T00:42:10Z");
    assert_eq!(json["week"], "2026-W23");
    assert_eq!(
        json["links"][0],
        json!({
            "url": "https://brent.example/writing-the-review-is-the-learning",
            "title": "Writing the review is the learning",
            "author": "Sam Ortiz and Lee Chen",
            "org": "Northwind Labs",
        })
    );
    assert_eq!(json["links"][3]["org"], serde_json::Value::Null);
    let first = serde_json::to_value(issues[0].to_json(chrono_tz::UTC)).unwrap();
    assert_eq!(first["week"], "2026-W24");
    assert_eq!(first["links"][3]["author"], serde_json::Value::Null);
    assert_eq!(
        first["links"][4]["author"],
        "Ana Souza, Bo Lin, Chidi Okafor, and Dee Park"
    );
    let undated = ArchiveIssue {
        title: "x".into(),
        url: None,
        published: None,
        links: vec![],
    };
    assert_eq!(
        serde_json::to_value(undated.to_json(chrono_tz::UTC)).unwrap(),
        json!({"title": "x", "published": null, "week": null, "links": []})
    );
}

#[test]
fn a_saved_issue_page_of_another_newsletter() {
    let base = Url::parse("https://opsdigest.example/ops-digest-88/").unwrap();
    let links = parse_issue_html(PAGE, Some(&base), &["opsdigest.example"]);
    assert_eq!(
        links,
        [
            link(
                "https://blog.example.org/2026/06/queue-depth-alerts",
                "Alert on queue depth, not on CPU",
                "A short case for alerting on what users feel. The earlier post sets the scene.",
                &["Dana Whitfield"],
                Some("Example Org"),
            ),
            link(
                "https://tomkim.example/notes/on-call-handoffs",
                "Better on-call handoffs",
                "Five questions to answer at every handoff.\nWorth printing and taping to the wall.",
                &["Tom Kim", "Ana Souza"],
                None,
            ),
            link(
                "https://status.acme.example/incidents/2026-06-09",
                "Acme's June 9 incident report",
                "An unusually candid write-up: a certificate expired on a host nobody knew was still serving traffic.",
                &[],
                Some("Acme"),
            ),
        ]
    );
    // Without the page's URL its relative links cannot be resolved: still left out.
    let unresolved = parse_issue_html(PAGE, None, &["opsdigest.example"]);
    assert_eq!(urls(&unresolved), urls(&links));
}

#[test]
fn gleaners_own_draft_in_html() {
    let html = r#"<h1>Draft for 2026-W24</h1>
<article>
  <h2><a href="https://blog.example/a" rel="noopener noreferrer">Fish &amp; chips</a></h2>
  <p>Blurb &lt;b&gt; here.</p>
  <p class="attribution">Dana — blog.example</p>
</article>
<article>
  <h2><a href="https://blog.example/b" rel="noopener noreferrer">Second</a></h2>
  <p><em>TODO: blurb</em></p>
  <p class="attribution">The Example Blog</p>
</article>"#;
    let links = parse_issue_html(html, None, &[]);
    assert_eq!(
        links,
        [
            link(
                "https://blog.example/a",
                "Fish & chips",
                "Blurb <b> here.",
                &["Dana"],
                Some("blog.example")
            ),
            link(
                "https://blog.example/b",
                "Second",
                "",
                &[],
                Some("The Example Blog")
            ),
        ]
    );
}

#[test]
fn gleaners_own_draft_in_markdown() {
    let links = parse_issue_markdown(DRAFT, &["weekly.example"]);
    assert_eq!(
        links,
        [
            link(
                "https://blog.queueworks.example/posts/retry-storms",
                "Retry storms, and how we learned to stop them",
                "A useful look at what happens when every client retries at once!",
                &["Dana Whitfield"],
                Some("Queueworks"),
            ),
            link(
                "https://priyaraman.example/2026/06/metastable-failures/",
                "Metastable failures, a gentle introduction",
                "",
                &["Priya Raman"],
                Some("priyaraman.example"),
            ),
            link(
                "https://www.reddit.com/r/sre/comments/1abcde/how_soon_should_new_hires_go_on_call/",
                "How soon should new hires go on call?",
                "Great discussion in the comments; see also the on-call guide.",
                &["u/pager_fatigue and commenters"],
                Some("Reddit r/sre"),
            ),
        ]
    );
}

#[test]
fn a_markdown_archive_of_numbered_links() {
    let links = parse_issue_markdown(ARCHIVE_MD, &["weekly.example"]);
    assert_eq!(
        urls(&links),
        [
            "https://blog.serverdensity.example/multi-data-center-redundancy/",
            "https://medium.example/production-ready/how-complex-web-systems-fail-part-2-1b1afb4fa7be",
        ]
    );
    assert_eq!(links[1].title, "How Complex Web Systems Fail");
    assert!(links[1].blurb.starts_with("Here’s the second half"));
    assert_eq!(links[1].authors, Vec::<String>::new());
    assert_eq!(links[1].org, None);
}

#[test]
fn markdown_shapes() {
    let cases: &[(&str, &[&str])] = &[
        (
            "[Alone](https://a.example/1)\n\nBlurb.\n\nAnn Lee",
            &["https://a.example/1"],
        ),
        (
            "**[Bold](https://a.example/1)**\n\nBlurb.",
            &["https://a.example/1"],
        ),
        (
            "- [Listed](https://a.example/1) — with a blurb",
            &["https://a.example/1"],
        ),
        (
            "1) [Listed](<https://a.example/1>)",
            &["https://a.example/1"],
        ),
        (
            "[Titled](https://a.example/1 \"title\")",
            &["https://a.example/1"],
        ),
        (
            "[Parens](https://a.example/wiki/X_(y))",
            &["https://a.example/wiki/X_(y)"],
        ),
        (
            "[Escaped \\[1\\]](https://a.example/1)",
            &["https://a.example/1"],
        ),
        // A link that opens a sentence is blurb text, not an item.
        (
            "[This post](https://a.example/1) argues for less alerting.",
            &[],
        ),
        ("```\n[Code](https://a.example/1)\n```", &[]),
        (
            "A message from our sponsor, Tracewise:\n\nFind slow spans.\n\n[Try it](https://tracewise.example/)\n\n[Real](https://a.example/1)",
            &["https://a.example/1"],
        ),
        (
            "## Sponsor\n\n[Ad](https://ad.example/)\n\n## [Real](https://a.example/1)",
            &["https://a.example/1"],
        ),
        (
            "## [Sponsored: Tracewise](https://ad.example/)\n\nBuy it.",
            &[],
        ),
        ("## Outages\n\n- [Bank](https://news.example/1)", &[]),
        (
            "[A](https://a.example/1)\n\n---\n\n[B](https://a.example/1)\n\n[C](javascript:alert(1))\n\n[D](/relative)",
            &["https://a.example/1"],
        ),
        (
            "[Own](https://www.weekly.example/x)\n\n[Sub](https://news.weekly.example/y)\n\n[Other](https://a.example/1)",
            &["https://a.example/1"],
        ),
        // Reference links and setext headings are CommonMark too.
        (
            "[Referenced][1]\n\nBlurb.\n\n[Second][2]\n\n[1]: https://a.example/1\n[2]: https://a.example/2 \"t\"",
            &["https://a.example/1", "https://a.example/2"],
        ),
        (
            "[Collapsed][]\n\n[collapsed]: <https://a.example/3>",
            &["https://a.example/3"],
        ),
        (
            "Outages\n=======\n\n- [Bank](https://news.example/1)\n\nArticles\n--------\n\n[Real](https://a.example/1)",
            &["https://a.example/1"],
        ),
    ];
    for &(md, want) in cases {
        assert_eq!(
            urls(&parse_issue_markdown(md, &["weekly.example"])),
            want,
            "{md}"
        );
    }
    let item = &parse_issue_markdown(
        "- [Listed](https://a.example/1) — with a blurb\n\n  Ann Lee — Acme",
        &[],
    )[0];
    assert_eq!(
        (
            item.title.as_str(),
            item.blurb.as_str(),
            item.org.as_deref()
        ),
        ("Listed", "with a blurb", Some("Acme"))
    );
    // Character references decode, and a space one still parts two words.
    let item = &parse_issue_markdown(
        "## [Ops &amp; people](https://a.example/1)\n\nBlurb&nbsp;text.\n\nAnn&emsp;Lee &#8212; Acme",
        &[],
    )[0];
    assert_eq!(
        (
            item.title.as_str(),
            item.blurb.as_str(),
            item.authors.as_slice(),
            item.org.as_deref()
        ),
        (
            "Ops & people",
            "Blurb text.",
            &["Ann Lee".to_owned()][..],
            Some("Acme")
        )
    );
}

#[test]
fn hostile_html() {
    let own = ["weekly.example"];
    let cases: &[(&str, &[&str])] = &[
        // Links inside script, style, template and comments are never seen.
        (
            "<script>document.write('<h2><a href=\"https://evil.example/\">x</a></h2>')</script>\
             <style>a{}</style><template><h2><a href='https://evil.example/2'>t</a></h2></template>\
             <!-- <h2><a href='https://evil.example/3'>c</a></h2> --><h2><a href='https://a.example/1'>Real</a></h2>",
            &["https://a.example/1"],
        ),
        (
            "<h2><a href='javascript:alert(1)'>js</a></h2><h2><a href='data:text/html,x'>data</a></h2>\
             <h2><a href='mailto:a@b.c'>mail</a></h2><h2><a href=' https://a.example/1 '>ok</a></h2>",
            &["https://a.example/1"],
        ),
        // Unclosed, misnested and stray tags.
        (
            "<h2><a href='https://a.example/1'>One<h2><a href='https://a.example/2'>Two</b></i></div>",
            &["https://a.example/1", "https://a.example/2"],
        ),
        // Duplicates after canonicalization, and the newsletter's own hosts.
        (
            "<h2><a href='https://a.example/1?utm_source=x'>A</a></h2><h2><a href='HTTPS://A.example/1#c'>A again</a></h2>\
             <h2><a href='https://weekly.example/issue-3/'>Own</a></h2><h2><a href='http://WWW.Weekly.Example/x'>Own</a></h2>",
            &["https://a.example/1"],
        ),
        // A sponsor box by class, and an e-mail-only plugin entry.
        (
            "<div class='promo sponsor-box'><h3><a href='https://ad.example/'>Buy</a></h3></div>\
             <h3><a href='https://a.example/1'>Real</a></h3>",
            &["https://a.example/1"],
        ),
        (
            "<div class='sreweekly-entry email_only'><div class='sreweekly-title'><a href='https://ad.example/'>Ad</a></div></div>\
             <div class='sreweekly-entry'><div class='sreweekly-title'><a href='https://a.example/1'>Real</a></div></div>\
             <div class='sreweekly-entry'><div class='sreweekly-title'>no link</div></div>",
            &["https://a.example/1"],
        ),
        ("", &[]),
        ("<<<>>>&&&;;;</a></a></p>", &[]),
    ];
    for &(html, want) in cases {
        assert_eq!(urls(&parse_issue_html(html, None, &own)), want, "{html}");
    }
}

#[test]
fn many_links_are_capped() {
    let html: String = (0..1_000)
        .map(|i| format!("<h3><a href='https://a.example/{i}'>Post {i}</a></h3><p>Blurb {i}.</p><p><small>Ann Lee — Acme</small></p>"))
        .collect();
    let links = parse_issue_html(&html, None, &[]);
    assert_eq!(links.len(), MAX_LINKS);
    assert_eq!(links[199].url, "https://a.example/199");
    assert_eq!(links[199].authors, ["Ann Lee"]);
    let md: String = (0..1_000)
        .map(|i| format!("## [P{i}](https://a.example/{i})\n\nBlurb.\n\n"))
        .collect();
    assert_eq!(parse_issue_markdown(&md, &[]).len(), MAX_LINKS);
}

#[test]
fn deep_and_long_input_is_bounded() {
    let deep = format!(
        "{}<a href='https://a.example/1'>Deep</a>{}",
        "<div>".repeat(50_000),
        "</div>".repeat(50_000)
    );
    assert_eq!(
        urls(&parse_issue_html(&deep, None, &[])),
        ["https://a.example/1"]
    );
    let long_title = format!(
        "<h2><a href='https://a.example/1'>{}</a></h2><p>{}</p>",
        "t".repeat(100_000),
        "b ".repeat(100_000)
    );
    let links = parse_issue_html(&long_title, None, &[]);
    assert!(links[0].title.chars().count() <= crate::ingest::normalize::MAX_TITLE + 1);
    assert!(links[0].blurb.chars().count() <= crate::ingest::normalize::MAX_SUMMARY + 1);
    let brackets = format!("{}\n\n{}", "[".repeat(200_000), "[a](".repeat(50_000));
    assert!(parse_issue_markdown(&brackets, &[]).is_empty());
    let nested = format!(
        "[x](https://a.example/1)\n\n{}a{}",
        "[".repeat(10_000),
        "](b)".repeat(10_000)
    );
    assert_eq!(parse_issue_markdown(&nested, &[]).len(), 1);
    // A megabyte of block quotes (a million levels), and quoted lists.
    let quotes = format!("[x](https://a.example/1)\n\n{}", ">".repeat(4 << 20));
    assert_eq!(parse_issue_markdown(&quotes, &[]).len(), 1);
    let lists = format!("[x](https://a.example/1)\n\n{}", "> - ".repeat(1 << 20));
    assert_eq!(parse_issue_markdown(&lists, &[]).len(), 1);
}

/// Markdown archives written by hand: links on consecutive lines, raw HTML in prose,
/// front matter.
#[test]
fn hand_written_markdown_issues() {
    let cases: &[(&str, &[&str])] = &[
        (
            "[A](https://a.example/1)\n[B](https://a.example/2)\n**[C](https://a.example/3)**  \n",
            &[
                "https://a.example/1",
                "https://a.example/2",
                "https://a.example/3",
            ],
        ),
        // A tag named in prose hides nothing, and no class switches the reader.
        (
            "[A](https://a.example/1)\n\nWe put a <style> tag and a <title> in the page.\n\n[B](https://a.example/2)",
            &["https://a.example/1", "https://a.example/2"],
        ),
        (
            "<span class=\"sreweekly-entry\">x</span>\n\n[A](https://a.example/1)",
            &["https://a.example/1"],
        ),
        (
            "<!-- a note\nto myself -->\n\n[A](https://a.example/1)",
            &["https://a.example/1"],
        ),
        (
            "---\ntitle: Issue 12\ndate: 2026-11-01\n---\n\n[A](https://a.example/1)",
            &["https://a.example/1"],
        ),
    ];
    for &(md, want) in cases {
        assert_eq!(urls(&parse_issue_markdown(md, &[])), want, "{md}");
    }
    let links = parse_issue_markdown(
        "[Retry storms](https://a.example/1)\nWhat happens when every client retries.\nAnn Lee — Acme\n\n[Second](https://a.example/2)\nBlurb two.",
        &[],
    );
    assert_eq!(urls(&links), ["https://a.example/1", "https://a.example/2"]);
    assert_eq!(links[0].blurb, "What happens when every client retries.");
    assert_eq!(
        (links[0].authors.as_slice(), links[0].org.as_deref()),
        (&["Ann Lee".to_owned()][..], Some("Acme"))
    );
    let styled = parse_issue_markdown(
        "[A](https://a.example/1)\n\nSet the <title> of the page.\n\n<small>Ann Lee — Acme</small>",
        &[],
    );
    assert_eq!(styled[0].blurb, "Set the <title> of the page.");
    assert_eq!(styled[0].org.as_deref(), Some("Acme"));
}

#[test]
fn garbage_never_panics() {
    let pieces = [
        "<div class='sreweekly-entry'>",
        "<div class='sreweekly-title'>",
        "<a href='https://a.example/x'>",
        "</a>",
        "</div>",
        "<p>",
        "</p>",
        "<small>",
        "</small>",
        "<h2>",
        "</h2>",
        "<li>",
        "<ul>",
        "<hr>",
        "A message from our sponsor",
        " — ",
        "Ann Lee",
        "&amp;",
        "&#0;",
        "\u{0}",
        "é",
        "\u{202e}",
        "[",
        "](",
        ")",
        "## ",
        "\n",
        "\n\n",
        "**",
        "_",
        "\\",
        "<script>",
        "<svg>",
        "https://b.example/",
        "—",
    ];
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..400 {
        let n = rng.usize(0..60);
        let text: String = (0..n).map(|_| pieces[rng.usize(0..pieces.len())]).collect();
        let _ = parse_issue_html(&text, None, &["weekly.example"]);
        let _ = parse_issue_markdown(&text, &["weekly.example"]);
        let _ = parse_attribution(&text);
        let _ = parse_archive_feed(text.as_bytes(), "https://weekly.example/feed/");
    }
    assert!(parse_archive_feed(b"", "https://weekly.example/feed/").is_err());
}
