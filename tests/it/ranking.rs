//! Ranking beyond the rules: learning from a realistic decision history (and checking
//! it on a time split), one candidate per story with its sources, the per-feed cap,
//! backtests on stored decisions.

use chrono::{Datelike, Duration, TimeZone, Utc};
use serde_json::Value;

use crate::util::{FeedServer, Item, RULES, Route, Workspace, gleaner_json, rss};

const WEEKS: i64 = 12;
const FEEDS: usize = 6;

/// The kinds of post a reliability newsletter editor sees every week.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// A company's own incident write-up: incident words, first-hand detail.
    Writeup,
    /// A vendor selling incident management: the same words, no engineering.
    Vendor,
    /// A database or systems deep dive: few rule words, exactly what this editor links.
    DeepDive,
    /// Launches, webinars, hiring.
    Announcement,
}

const SYSTEMS: &[&str] = &[
    "postgres",
    "kafka",
    "etcd",
    "cassandra",
    "redis",
    "mysql",
    "zookeeper",
    "rocksdb",
    "clickhouse",
    "spanner",
];
const COMPONENTS: &[&str] = &[
    "payments",
    "checkout",
    "search",
    "login",
    "billing",
    "sync",
    "upload",
    "feeds",
    "messaging",
    "ledger",
];

/// Title and summary of a post of `kind`; `n` makes the title unique (two feeds with
/// the same title would be one story).
fn post_text(kind: Kind, rng: &mut fastrand::Rng, n: usize) -> (String, String) {
    let system = SYSTEMS[rng.usize(..SYSTEMS.len())];
    let component = COMPONENTS[rng.usize(..COMPONENTS.len())];
    match kind {
        Kind::Writeup => (
            format!("Outage of {component}-{n}: how a {system} failover went wrong"),
            format!(
                "On Tuesday {component} was down for 40 minutes after {system} replication lag \
                 triggered a failover. Timeline, root cause and the fixes we shipped after the incident."
            ),
        ),
        Kind::Vendor => (
            format!("Incident response for {component}-{n} teams: our outage platform"),
            format!(
                "Customers trust our platform to cut incident resolution time. Request a demo \
                 and see automated outage workflows, pricing tiers and integrations for {component}."
            ),
        ),
        Kind::DeepDive => (
            format!("Inside {system}: write-ahead log internals, part {n}"),
            format!(
                "How {system} replication and compaction work under the hood, with retries and \
                 fsync behaviour we measured while running {component} at scale."
            ),
        ),
        Kind::Announcement => (
            format!("Join our {component}-{n} webinar and meet the team"),
            format!(
                "We are hiring engineers for {component}. Launch week recap and webinar replay."
            ),
        ),
    }
}

/// Wednesday noon UTC, `weeks` weeks ago.
fn mid_week(weeks: i64) -> chrono::DateTime<Utc> {
    let day = crate::util::now() - Duration::weeks(weeks);
    let monday = day.date_naive() - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    Utc.from_utc_datetime(&monday.and_hms_opt(12, 0, 0).unwrap()) + Duration::days(2)
}

struct Post {
    feed: usize,
    guid: String,
    link: String,
    title: String,
    summary: String,
    published: String,
    kind: Kind,
}

/// Twelve posts a week (three of each kind, on random feeds) for `WEEKS` weeks.
fn history(seed: u64) -> Vec<Post> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut posts = Vec::new();
    for week in 1..=WEEKS {
        for (k, kind) in [
            Kind::Writeup,
            Kind::Vendor,
            Kind::DeepDive,
            Kind::Announcement,
        ]
        .into_iter()
        .enumerate()
        {
            for i in 0..3 {
                let n = posts.len();
                let (title, summary) = post_text(kind, &mut rng, n);
                posts.push(Post {
                    feed: rng.usize(..FEEDS),
                    guid: format!("p{n}"),
                    link: format!("https://blog.example/{week}/{k}/{i}/{n}"),
                    title,
                    summary,
                    published: (mid_week(week) + Duration::minutes(n as i64)).to_rfc2822(),
                    kind,
                });
            }
        }
    }
    posts
}

fn serve(server: &FeedServer, posts: &[Post]) -> Vec<(String, String)> {
    (0..FEEDS)
        .map(|f| {
            let items: Vec<Item> = posts
                .iter()
                .filter(|p| p.feed == f)
                .map(|p| {
                    let mut item = Item::new(&p.guid, &p.link, &p.title, &p.summary);
                    item.published = Some(p.published.clone());
                    item
                })
                .collect();
            let path = format!("/f{f}");
            server.route(&path, Route::feed(rss(&items)));
            (format!("Blog {f}"), server.url(&path))
        })
        .collect()
}

fn workspace(server: &FeedServer, posts: &[Post], settings: &str) -> Workspace {
    let feeds = serve(server, posts);
    let settings = format!("timezone = \"UTC\"\nmin_score = -100\nmax_per_feed = 0\n{settings}");
    let ws = Workspace::with_feeds(&settings, &feeds, RULES);
    ws.ok(&["poll"]);
    ws
}

/// Decides every post of the past weeks as an editor with `taste` would, week by week,
/// from the week's shortlist, with a little noise (an editor is not a function).
fn decide_history(ws: &Workspace, posts: &[Post], taste: impl Fn(Kind) -> bool, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut seen = 0;
    for week in (1..=WEEKS).rev() {
        let label = mid_week(week).format("%G-W%V").to_string();
        let list = ws.json(&[
            "shortlist",
            "--week",
            &label,
            "--limit",
            "100",
            "--format",
            "json",
        ]);
        let (mut picks, mut rejects) = (Vec::new(), Vec::new());
        for c in list.as_array().unwrap() {
            let post = posts
                .iter()
                .find(|p| c["url"] == p.link.as_str())
                .expect("every listed post is ours");
            let picked = taste(post.kind) != (rng.f64() < 0.1);
            let id = c["id"].as_i64().unwrap().to_string();
            if picked {
                picks.push(id)
            } else {
                rejects.push(id)
            }
            seen += 1;
        }
        for (verb, ids) in [("pick", picks), ("reject", rejects)] {
            if !ids.is_empty() {
                let mut args = vec![verb];
                args.extend(ids.iter().map(String::as_str));
                ws.ok(&args);
            }
        }
    }
    assert_eq!(seen, posts.len(), "every post was in its week's shortlist");
}

fn mean_ap(report: &Value) -> f64 {
    report["mean_average_precision"].as_f64().unwrap()
}

#[test]
fn learning_from_the_editors_decisions_beats_rules_alone_on_later_weeks() {
    let server = FeedServer::start();
    let posts = history(11);
    let ws = workspace(&server, &posts, "");
    // This editor links write-ups and deep dives, never vendors or announcements.
    decide_history(
        &ws,
        &posts,
        |k| matches!(k, Kind::Writeup | Kind::DeepDive),
        5,
    );

    let split = ws.json(&["backtest", "--decisions", "--format", "json"]);
    let (rules, learned) = (
        mean_ap(&split["rules"]),
        mean_ap(&split["rules_and_learned"]),
    );
    println!("time split, mean AP: rules {rules:.3}, rules + learned {learned:.3}");
    assert_eq!(
        split["test_weeks"].as_array().unwrap().len(),
        WEEKS as usize / 3
    );
    assert_eq!(split["weeks_learned_active"], WEEKS / 3);
    assert!(learned >= rules + 0.1, "rules {rules}, learned {learned}");

    let text = ws.ok(&["backtest", "--decisions"]);
    assert!(text.contains("rules + learned"), "{text}");

    // Now the part is live: a new vendor post sinks, a new deep dive rises, explained.
    let published = crate::util::now() - Duration::hours(3);
    let this_week = published.format("%G-W%V").to_string();
    let now = published.to_rfc2822();
    let mut rng = fastrand::Rng::with_seed(99);
    let (vendor_title, vendor_summary) = post_text(Kind::Vendor, &mut rng, 9001);
    let (dive_title, dive_summary) = post_text(Kind::DeepDive, &mut rng, 9002);
    let mut vendor = Item::new("v", "https://new.example/v", &vendor_title, &vendor_summary);
    vendor.published = Some(now.clone());
    let mut dive = Item::new("d", "https://new.example/d", &dive_title, &dive_summary);
    dive.published = Some(now);
    server.route("/f0", Route::feed(rss(&[vendor, dive])));
    ws.ok(&["poll", "--feed", "Blog 0"]);
    let list = ws.json(&["shortlist", "--week", &this_week, "--format", "json"]);
    let find = |title: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["title"] == title)
            .unwrap_or_else(|| panic!("{title} not in {list:#}"))
            .clone()
    };
    let learned_part = |c: &Value| {
        c["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "learned")
            .cloned()
            .unwrap_or_else(|| panic!("no learned part in {c:#}"))
    };
    let (v, d) = (find(&vendor_title), find(&dive_title));
    let (vp, dp) = (learned_part(&v), learned_part(&d));
    assert!(vp["points"].as_f64().unwrap() < 0.0, "{vp}");
    assert!(dp["points"].as_f64().unwrap() > 0.0, "{dp}");
    // Bounded by [learning] max_points (3 by default), explained by words.
    for part in [&vp, &dp] {
        assert!(part["points"].as_f64().unwrap().abs() <= 3.0, "{part}");
        assert!(!part["field"].as_str().unwrap().is_empty(), "{part}");
    }
    let explained = ws.ok(&["explain", &d["id"].to_string()]);
    assert!(explained.contains("learned"), "{explained}");
}

#[test]
fn learning_never_makes_a_rules_minded_editors_list_much_worse() {
    let server = FeedServer::start();
    let posts = history(23);
    let ws = workspace(&server, &posts, "");
    // This editor picks what the rules like (write-ups and the vendors' incident posts).
    decide_history(
        &ws,
        &posts,
        |k| matches!(k, Kind::Writeup | Kind::Vendor),
        8,
    );
    let split = ws.json(&[
        "backtest",
        "--decisions",
        "--test-weeks",
        "5",
        "--format",
        "json",
    ]);
    let (rules, learned) = (
        mean_ap(&split["rules"]),
        mean_ap(&split["rules_and_learned"]),
    );
    println!("rules-minded editor, mean AP: rules {rules:.3}, rules + learned {learned:.3}");
    assert_eq!(split["test_weeks"].as_array().unwrap().len(), 5);
    assert!(learned >= rules - 0.05, "rules {rules}, learned {learned}");
}

#[test]
fn learning_waits_for_enough_decisions_and_can_be_turned_off() {
    let server = FeedServer::start();
    let posts = history(3);
    let ws = workspace(&server, &posts, "");
    let list = ws.json(&[
        "shortlist",
        "--week",
        &mid_week(1).format("%G-W%V").to_string(),
        "--format",
        "json",
    ]);
    let first = list[0]["id"].to_string();
    ws.ok(&["pick", &first]);
    let text = ws.ok(&["backtest"]);
    assert!(
        text.contains("learned part: waiting: 1 picked and 0 rejected"),
        "{text}"
    );

    decide_history(&ws, &posts, |k| k == Kind::DeepDive, 2);
    assert!(ws.ok(&["backtest"]).contains("learned part: active"));
    let path = ws.dir.path().join("feeds.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{config}\n[learning]\nenabled = false\n")).unwrap();
    let out = ws.ok(&[
        "shortlist",
        "--week",
        &mid_week(1).format("%G-W%V").to_string(),
        "--format",
        "json",
    ]);
    assert!(!out.contains("\"learned\""), "{out}");
    assert!(ws.ok(&["backtest"]).contains("learned part: off"));
}

#[test]
fn backtest_on_stored_decisions_previews_a_rule_change_without_writing() {
    let server = FeedServer::start();
    let posts = history(5);
    let ws = workspace(&server, &posts, "");
    decide_history(
        &ws,
        &posts,
        |k| matches!(k, Kind::Writeup | Kind::DeepDive),
        4,
    );
    let before = ws.json(&["backtest", "--format", "json"]);
    assert_eq!(before["overall"]["entries"], posts.len());

    // A candidate rule set that also knows what a vendor pitch looks like.
    let path = ws.dir.path().join("feeds.toml");
    let candidate = ws.dir.path().join("candidate.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &candidate,
        format!("{config}\n[[rule]]\nname = \"vendor pitch\"\npattern = '(?i)\\b(demo|pricing|our platform)\\b'\nweight = -6\n"),
    )
    .unwrap();
    let scores_before = ws.sql_count("SELECT CAST(round(sum(score * 100)) AS INTEGER) FROM posts");
    let after = gleaner_json(&[
        "--config",
        candidate.to_str().unwrap(),
        "backtest",
        "--format",
        "json",
    ]);
    assert!(
        mean_ap(&after) > mean_ap(&before) + 0.05,
        "before {}, after {}",
        mean_ap(&before),
        mean_ap(&after)
    );
    assert_eq!(
        ws.sql_count("SELECT CAST(round(sum(score * 100)) AS INTEGER) FROM posts"),
        scores_before,
        "a backtest writes nothing"
    );
}

#[test]
fn the_same_story_in_several_feeds_is_one_candidate_listing_its_sources() {
    let server = FeedServer::start();
    let title = "How we cut incident response time by rebuilding our outage runbooks";
    let company = Item::new(
        "c1",
        "https://eng.acme.example/runbooks",
        title,
        "An incident write-up.",
    );
    // Medium's copy: different URL and punctuation, same words.
    let medium_title = "How We Cut Incident Response Time by Rebuilding Our Outage Runbooks!";
    let medium = Item::new(
        "m1",
        "https://medium.com/acme/how-we-cut-1234",
        medium_title,
        "Continue reading.",
    );
    let syndicated = Item::new("s1", "https://news.example/acme-runbooks", title, "");
    let other = Item::new(
        "o1",
        "https://eng.acme.example/other",
        "Outage retrospective for the search cluster",
        "",
    );
    server.route("/acme", Route::feed(rss(&[company, other])));
    server.route("/medium", Route::feed(rss(&[medium])));
    server.route("/news", Route::feed(rss(&[syndicated])));
    let ws = Workspace::new(
        "source_points = 0.5",
        &[
            ("Acme", &server.url("/acme"), None),
            ("Medium", &server.url("/medium"), None),
            ("News", &server.url("/news"), None),
        ],
        RULES,
    );
    ws.ok(&["poll"]);
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM posts"),
        4,
        "every copy is stored"
    );
    let list = ws.json(&["shortlist", "--format", "json"]);
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list:#}");
    let story = items.iter().find(|c| c["title"] == title).unwrap();
    assert_eq!(story["url"], "https://eng.acme.example/runbooks");
    assert_eq!(story["sources"], 3);
    assert_eq!(story["also_in"], serde_json::json!(["Medium", "News"]));
    let copies: Vec<&str> = story["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(copies.len(), 2);
    assert!(copies.contains(&"https://medium.com/acme/how-we-cut-1234"));
    let sources = story["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "sources")
        .unwrap();
    assert_eq!(sources["points"], 1.0);
    assert_eq!(sources["field"], "3 feeds");
    let md = ws.ok(&["shortlist"]);
    assert!(md.contains("also in: Medium, News"), "{md}");

    // Deciding the story decides it for every copy: none comes back in the queue.
    ws.ok(&["reject", &story["id"].to_string()]);
    let queue = ws.json(&["queue", "--format", "json"]);
    let titles: Vec<&str> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Outage retrospective for the search cluster"]);
}

#[test]
fn one_prolific_feed_cannot_fill_the_shortlist() {
    let server = FeedServer::start();
    let titles: Vec<String> = (0..8)
        .map(|i| format!("Outage number {i} and its incident review"))
        .collect();
    let links: Vec<String> = (0..8)
        .map(|i| format!("https://busy.example/{i}"))
        .collect();
    let guids: Vec<String> = (0..8).map(|i| format!("b{i}")).collect();
    let busy: Vec<Item> = (0..8)
        .map(|i| Item::new(&guids[i], &links[i], &titles[i], "incident"))
        .collect();
    server.route("/busy", Route::feed(rss(&busy)));
    server.route(
        "/quiet",
        Route::feed(rss(&[Item::new(
            "q",
            "https://quiet.example/1",
            "A retry story",
            "",
        )])),
    );
    let feeds = [
        ("Busy", server.url("/busy")),
        ("Quiet", server.url("/quiet")),
    ];
    let feeds: Vec<(&str, &str, Option<&str>)> =
        feeds.iter().map(|(n, u)| (*n, u.as_str(), None)).collect();
    let ws = Workspace::new("shortlist_size = 5", &feeds, RULES);
    ws.ok(&["poll"]);
    let feeds_of = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| c["feed"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(
        feeds_of(&list),
        ["Busy", "Busy", "Busy", "Quiet"],
        "default max_per_feed is 3"
    );
    // The queue keeps the cap too; deciding frees a place for the next post of the feed.
    let queue = ws.json(&["queue", "--format", "json"]);
    assert_eq!(feeds_of(&queue).iter().filter(|f| *f == "Busy").count(), 3);
    ws.ok(&["pick", &queue[0]["id"].to_string()]);
    let queue = ws.json(&["queue", "--format", "json"]);
    assert_eq!(feeds_of(&queue).iter().filter(|f| *f == "Busy").count(), 3);

    let config = std::fs::read_to_string(ws.dir.path().join("feeds.toml")).unwrap();
    std::fs::write(
        ws.dir.path().join("feeds.toml"),
        config.replace("shortlist_size = 5", "shortlist_size = 5\nmax_per_feed = 0"),
    )
    .unwrap();
    let list = ws.json(&["shortlist", "--format", "json"]);
    assert_eq!(feeds_of(&list), ["Busy"; 5], "0 lifts the cap");
}

/// Copies of a story (the same title in two feeds) are one candidate when dated within
/// 14 days of each other, and two beyond that.
#[test]
fn copies_of_a_story_merge_within_fourteen_days_and_not_beyond() {
    let now = crate::util::now();
    let week = |at: chrono::DateTime<Utc>| at.format("%G-W%V").to_string();
    let within = "How our outage runbooks were rebuilt";
    let beyond = "Why the retry storm took checkout down";
    let (within_a, within_b) = (
        now - Duration::days(20),
        now - Duration::days(20) + Duration::days(14) - Duration::hours(1),
    );
    let (beyond_a, beyond_b) = (
        now - Duration::days(22),
        now - Duration::days(22) + Duration::days(14) + Duration::hours(1),
    );
    let dated = |guid, link, title, at: chrono::DateTime<Utc>| Item {
        published: Some(at.to_rfc2822()),
        ..Item::new(guid, link, title, "")
    };
    let server = FeedServer::start();
    server.route(
        "/a",
        Route::feed(rss(&[
            dated("a1", "https://a.example/within", within, within_a),
            dated("a2", "https://a.example/beyond", beyond, beyond_a),
        ])),
    );
    server.route(
        "/b",
        Route::feed(rss(&[
            dated("b1", "https://b.example/within", within, within_b),
            dated("b2", "https://b.example/beyond", beyond, beyond_b),
        ])),
    );
    let ws = Workspace::new(
        "",
        &[
            ("A", &server.url("/a"), None),
            ("B", &server.url("/b"), None),
        ],
        RULES,
    );
    ws.ok(&["poll"]);
    let list = |at| ws.json(&["shortlist", "--week", &week(at), "--format", "json"]);
    let candidate = |list: &Value, url: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["url"] == url)
            .cloned()
    };

    // 13 days and 23 hours apart: one story, led by A, with B's copy.
    let story = candidate(&list(within_a), "https://a.example/within")
        .unwrap_or_else(|| panic!("{:#}", list(within_a)));
    assert_eq!(story["sources"], 2);
    assert_eq!(story["also_in"], serde_json::json!(["B"]));
    assert_eq!(
        story["copies"],
        serde_json::json!(["https://b.example/within"])
    );
    assert_eq!(
        candidate(&list(within_b), "https://b.example/within"),
        None,
        "the copy is no candidate of its own"
    );

    // 14 days and an hour apart: two stories, each in its own week.
    let first = candidate(&list(beyond_a), "https://a.example/beyond").unwrap();
    assert_eq!(first["sources"], 1);
    assert_eq!(first["also_in"], serde_json::json!([]));
    let second = candidate(&list(beyond_b), "https://b.example/beyond")
        .unwrap_or_else(|| panic!("{:#}", list(beyond_b)));
    assert_eq!(second["sources"], 1);
}
