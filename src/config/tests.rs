//! Reading `feeds.toml`: defaults, every problem with its line, bounds.

use super::*;
use crate::score::Field;

fn load(text: &str) -> Result<Config, Vec<Problem>> {
    Config::from_str(Path::new("/srv/g/feeds.toml"), text).map_err(|e| match e {
        ConfigError::Invalid { problems, .. } => problems,
        other => panic!("unexpected {other}"),
    })
}

#[test]
fn defaults_apply_and_paths_resolve_against_the_config_folder() {
    let c = load("").unwrap();
    assert_eq!(c.settings.database, Path::new("/srv/g/data/gleaner.db"));
    assert_eq!(c.settings.shortlist_size, 20);
    assert_eq!(c.settings.timezone, chrono_tz::UTC);
    assert!(c.settings.user_agent.starts_with("gleaner/"));
}

/// Numbers that would overflow a deadline or an allocation, or poison every score,
/// are refused with their lines.
#[test]
fn numbers_out_of_bounds_are_refused_with_their_lines() {
    let text = r#"[settings]
request_timeout_secs = 99999999999
max_backoff_secs = 9223372036854775807
shortlist_size = 99999999999
concurrency = 0
min_score = nan

[settings.field_weights]
title = inf

[[rule]]
name = "r"
pattern = "x"
weight = nan
"#;
    let problems = load(text).unwrap_err();
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 9, 14], "{problems:#?}");
    assert!(
        problems[0].message.contains("from 1 to 3600"),
        "{problems:#?}"
    );
    assert!(
        problems[4].message.contains("must be a number from"),
        "{problems:#?}"
    );
}

#[test]
fn every_problem_is_reported_at_once_with_its_line() {
    let text = r#"[settings]
timezone = "Mars/Olympus"
poll_schedul = "0 * * * * *"
shortlist_schedule = "every monday"

[[feed]]
name = "a"
url = "not a url"

[[feed]]
name = "a"
url = "https://a.example/feed"

[[feed]]
name = "a"
url = "https://b.example/feed"

[[rule]]
name = "bad"
pattern = '(unclosed'
weight = 1
"#;
    let problems = load(text).unwrap_err();
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 8, 10, 14, 20], "{problems:#?}");
    assert!(
        problems[1].hint.contains("poll_schedule"),
        "{:?}",
        problems[1]
    );
    assert!(
        problems[4]
            .message
            .contains("duplicate feed name `a` (first on line 6)")
    );
    assert!(
        problems[5]
            .message
            .contains("duplicate feed name `a` (first on line 6)")
    );
}

#[test]
fn rules_default_to_all_text_fields_and_reject_unknown_fields() {
    let huge = load("[[rule]]\nname='r'\npattern='\\w{5000}'\nweight=2\n").unwrap_err();
    assert!(huge[0].message.contains("size limit"), "{huge:?}");
    let ok = load("[[rule]]\nname='r'\npattern='x'\nweight=2\n").unwrap();
    assert_eq!(
        ok.rules[0].fields,
        [Field::Title, Field::Summary, Field::Content],
        "the README's default fields"
    );
    let bad = load("[[rule]]\nname='r'\npattern='x'\nweight=2\nfields=['body']\n").unwrap_err();
    assert_eq!(bad[0].line, 5);
    assert!(bad[0].message.contains("unknown field `body`"));
}

#[test]
fn article_settings_and_feed_kinds() {
    let c = load("[settings.field_weights]\ncontent = 0.8\n").unwrap();
    assert_eq!(c.settings.field_weights.article, 0.8, "like content");
    assert_eq!(c.settings.fetch_articles, FetchArticles::Auto);
    assert_eq!(
        (c.settings.article_min_words, c.settings.article_budget),
        (150, 200)
    );
    assert!(!c.settings.allow_private_articles);
    let text = "[settings]\nfetch_articles = \"never\"\n[settings.field_weights]\narticle = 0.2\n\
                [[feed]]\nname='hn'\nurl='https://hnrss.org/newest'\nkind='aggregator'\nfetch_articles='always'\n\
                [[rule]]\nname='r'\npattern='x'\nweight=1\nfields=['article']\n";
    let c = load(text).unwrap();
    assert_eq!(c.settings.field_weights.article, 0.2);
    assert_eq!(c.feeds[0].kind, Some(FeedKind::Aggregator));
    assert_eq!(
        c.feeds[0].fetch_articles(&c.settings),
        FetchArticles::Always
    );
    assert_eq!(c.rules[0].fields, [Field::Article]);
    let control =
        load("[[feed]]\nname = \"a\\u001db\"\nurl = 'https://x.example/f'\n").unwrap_err();
    assert!(
        control[0].message.contains("control character"),
        "{control:?}"
    );
    let bad = load("[settings]\nfetch_articles = 'sometimes'\n[[feed]]\nname='x'\nurl='https://x.example/f'\nkind='forum'\n")
        .unwrap_err();
    let lines: Vec<usize> = bad.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 6], "{bad:#?}");
}

#[test]
fn a_watched_page_may_say_which_links_are_articles() {
    let c = load("[[feed]]\nname='p'\nurl='https://x.example/articles'\nkind='page'\n").unwrap();
    assert_eq!(c.feeds[0].kind, Some(FeedKind::Page));
    assert!(c.feeds[0].links.is_none(), "below /articles/ by default");
    let folders = [
        ("https://x.example/articles", "/articles/"),
        ("https://x.example/news/index.html", "/news/"),
        ("https://x.example/blog.html", "/"),
        ("https://x.example/docs/v1.2/", "/docs/v1.2/"),
        ("https://x.example/people/j.smith", "/people/"),
        ("https://x.example/", "/"),
    ];
    for (page, folder) in folders {
        assert_eq!(listing_folder(&Url::parse(page).unwrap()), folder, "{page}");
    }
    let c = load(
        "[[feed]]\nname='p'\nurl='https://x.example/'\nkind='page'\nlinks='^/20[0-9]{2}/[^/]+/$'\n",
    )
    .unwrap();
    let links = c.feeds[0].links.as_ref().expect("links read");
    assert!(links.is_match("/2025/drills/") && !links.is_match("/about/"));
    let bad = load(
        "[[feed]]\nname='a'\nurl='https://a.example/'\nkind='page'\n\
         [[feed]]\nname='b'\nurl='https://b.example/blog'\nkind='page'\nlinks='^/blog/(['\n\
         [[feed]]\nname='c'\nurl='https://c.example/feed'\nlinks='^/p/'\n",
    )
    .unwrap_err();
    let found: Vec<(usize, &str)> = bad.iter().map(|p| (p.line, p.message.as_str())).collect();
    assert_eq!(found.len(), 3, "{bad:#?}");
    assert_eq!(found[0].0, 3);
    assert!(found[0].1.contains("at its site's top level needs `links`"));
    assert_eq!(found[1].0, 9);
    assert!(
        found[1].1.starts_with("bad regex `^/blog/([`"),
        "{}",
        found[1].1
    );
    assert_eq!(found[2].0, 13);
    assert!(found[2].1.contains("only read for kind = \"page\""));
}

#[test]
fn a_public_listener_needs_a_token() {
    // The README's default: loopback only.
    assert_eq!(
        load("").unwrap().server.listen.to_string(),
        "127.0.0.1:8311"
    );
    let problems = load("[server]\nlisten = \"0.0.0.0:8311\"\n").unwrap_err();
    assert_eq!(problems[0].line, 2);
    assert!(problems[0].message.contains("has no token"));
    let ok = load("[server]\nlisten = \"0.0.0.0:8311\"\ntoken = \"s3cret\"\n").unwrap();
    assert_eq!(ok.server.token.as_deref(), Some("s3cret"));
}

#[test]
fn toml_syntax_errors_name_their_line() {
    let problems = load("[settings]\ndatabase = \n").unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 2);
}

#[test]
fn non_http_feed_urls_are_refused() {
    let problems = load("[[feed]]\nname='x'\nurl='file:///etc/passwd'\n").unwrap_err();
    assert!(problems[0].message.contains("not http(s)"));
}
