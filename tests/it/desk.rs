//! The review desk in a real Chromium: the keyboard flow with blurbs, editing a blurb
//! after the pick, the whole week (counts, held-back and below-threshold posts, the
//! filters, rejecting the rest of a feed and undoing it), the draft (reorder, copy as
//! HTML), a phone's width and dark mode, and a daemon restart between page load and
//! submit. `GLEANER_SCREENSHOTS=tests/it/screenshots` saves the README's screenshots.

use serde_json::Value;

use crate::util::{
    Browser, CTRL, Daemon, ENTER, ESCAPE, FeedServer, Item, RULES, Route, Workspace, free_port, rss,
};

/// A paragraph long enough that the excerpt (280 characters) cuts it.
fn long(text: &str) -> String {
    format!(
        "{text} {}",
        "The timeline, what we saw, what we changed. ".repeat(12)
    )
}

/// One week: five posts of Example Blog (`max_per_feed` 3 holds two back), one of Ops
/// Weekly by three authors, and one of Ops Weekly that no rule likes (below
/// `min_score`). Post links point at the feed server, so opening one stays on
/// loopback.
fn week(listen: Option<u16>) -> (FeedServer, Workspace, Daemon, String) {
    let server = FeedServer::start();
    let link = |p: &str| server.url(&format!("/post/{p}"));
    let (a1, a2, a3, a4, a5, b1, b2) = (
        link("a1"),
        link("a2"),
        link("a3"),
        link("a4"),
        link("a5"),
        link("b1"),
        link("b2"),
    );
    let text = long("An incident and the retries behind it.");
    let mut first = Item::new("a1", &a1, "Outage: how retries took down checkout", &text);
    first.author = Some("Dana Ops");
    let a = [
        first,
        Item::new("a2", &a2, "Incident review: the DNS outage", &text),
        Item::new("a3", &a3, "On-call retries and backoff", &text),
        Item::new("a4", &a4, "Another incident write-up", &text),
        Item::new("a5", &a5, "Retries, again", &text),
    ];
    let mut trio = Item::new("b1", &b1, "The outage that was not", &text);
    trio.author = Some("Ana Souza, Tom Kim and Lee Park");
    let quiet = long("Tomatoes and basil.");
    let b = [trio, Item::new("b2", &b2, "Gardening notes", &quiet)];
    server.route("/a", Route::feed(rss(&a)));
    server.route("/b", Route::feed(rss(&b)));
    let rules = match listen {
        Some(port) => format!("{RULES}\n[server]\nlisten = \"127.0.0.1:{port}\"\n"),
        None => RULES.to_owned(),
    };
    let ws = Workspace::new(
        "",
        &[
            ("Example Blog", &server.url("/a"), Some("Example Co")),
            ("Ops Weekly", &server.url("/b"), None),
        ],
        &rules,
    );
    let (daemon, addr) = Daemon::start_polled(&ws);
    (server, ws, daemon, addr)
}

fn decision(ws: &Workspace, id: i64) -> (String, Option<String>) {
    let db = rusqlite::Connection::open(ws.db()).unwrap();
    db.query_row(
        "SELECT state, note FROM decisions WHERE post_id = ?1 AND undone = 0 ORDER BY id DESC LIMIT 1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap_or_else(|e| panic!("no decision on #{id}: {e}"))
}

/// Waits until the page at `url_suffix` has loaded and run its script.
fn loaded(browser: &Browser, what: &str, url_suffix: &str) {
    browser.wait_until(
        what,
        &format!(
            "return !window.gleanerLeaving && location.href.endsWith({}) && document.readyState === 'complete' && !!document.querySelector('.selected, .empty');",
            Value::from(url_suffix)
        ),
    );
}

/// Marks the page about to be left, so that [`loaded`] waits for the next one even
/// when it comes back to the same URL (a rejection returns to the same card).
fn leaving(browser: &Browser) {
    browser.script("window.gleanerLeaving = true; return true;");
}

fn counts(browser: &Browser) -> Value {
    browser.script("return Object.assign({}, document.getElementById('counts').dataset);")
}

fn card_ids(browser: &Browser) -> Vec<i64> {
    browser
        .script("return [].map.call(document.querySelectorAll('[data-card]'), function (c) { return +c.dataset.id; });")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

#[test]
fn the_editor_picks_with_a_blurb_from_the_keyboard_and_edits_it_afterwards() {
    let (_server, ws, _daemon, addr) = week(None);
    let browser = Browser::start();
    browser.goto(&format!("http://{addr}/"));
    loaded(&browser, "the queue", "/");
    let order = card_ids(&browser);
    assert_eq!(
        order.len(),
        4,
        "three of Example Blog and one of Ops Weekly"
    );

    // Titles open in a new tab, without a referrer.
    let new_tab = browser.script(
        "var links = document.querySelectorAll('article h3 a'); return [links.length, [].every.call(links, function (a) { return a.target === '_blank' && a.rel === 'noopener noreferrer'; })];",
    );
    assert_eq!(
        new_tab,
        serde_json::json!([4, true]),
        "every card's title link"
    );
    // `?` shows the keys at the top of the page.
    browser.keys("?");
    assert_eq!(
        browser.script("return document.getElementById('keys').open;"),
        true
    );
    browser.keys("?");

    // j, then b: the second card's blurb field has the focus; e shows the full text.
    browser.keys("je");
    assert_eq!(
        browser.script("return document.querySelector('.selected details.full').open;"),
        true
    );
    browser.keys("b");
    assert_eq!(
        browser.script("return document.activeElement.name === 'note' && document.querySelector('.selected').contains(document.activeElement);"),
        true
    );
    let blurb = "Resolvers failed over to a stale zone.\n\nA clear <timeline> & the fix.";
    browser.keys(blurb);
    leaving(&browser);
    browser.chord(&[CTRL, ENTER]);
    loaded(&browser, "the queue after the pick", "#1");
    assert_eq!(
        decision(&ws, order[1]),
        ("picked".into(), Some(blurb.into()))
    );
    assert_eq!(counts(&browser)["picked"], "1");

    // A rejection carries its note: type it, leave the field, press x.
    browser.keys("b");
    browser.keys("vendor pitch");
    browser.chord(&[ESCAPE]);
    leaving(&browser);
    browser.keys("x");
    loaded(&browser, "the queue after the rejection", "#1");
    assert_eq!(
        decision(&ws, order[2]),
        ("rejected".into(), Some("vendor pitch".into()))
    );

    // o opens the selected article in a new tab.
    assert_eq!(browser.window_count(), 1);
    browser.keys("o");
    browser.wait_for("o to open a tab", |b| b.window_count() == 2);

    // The blurb is edited after the pick, from the decided list (Ctrl+Enter saves).
    let picked = order[1];
    browser.click(&format!("#d{picked} details.edit summary"));
    browser.script(&format!(
        "var t = document.querySelector('#d{picked} textarea'); t.value = ''; t.focus(); return true;"
    ));
    browser.keys("A better blurb.");
    browser.chord(&[CTRL, ENTER]);
    browser.wait_until(
        "the edited blurb on the page",
        &format!("return document.readyState === 'complete' && !!document.querySelector('#d{picked} .note-text') && document.querySelector('#d{picked} .note-text').textContent === 'A better blurb.';"),
    );
    assert_eq!(
        decision(&ws, picked),
        ("picked".into(), Some("A better blurb.".into()))
    );
    let (_, draft, _) = ws.run(&["draft"]);
    assert!(draft.contains("A better blurb."), "{draft}");
}

#[test]
fn the_whole_week_is_counted_held_back_posts_are_shown_and_a_feed_is_rejected_at_once() {
    let (_server, ws, _daemon, addr) = week(None);
    let browser = Browser::start();
    browser.goto(&format!("http://{addr}/"));
    loaded(&browser, "the queue", "/");
    let c = counts(&browser);
    let count = |c: &Value, k: &str| c[k].as_str().unwrap().parse::<usize>().unwrap();
    assert_eq!(
        [
            "candidates",
            "reviewed",
            "remaining",
            "heldBack",
            "belowMin"
        ]
        .map(|k| count(&c, k)),
        [6, 0, 6, 2, 1],
        "{c}"
    );
    // The page's queue is `gleaner queue`'s, in the same order.
    let cli: Vec<i64> = ws
        .json(&["queue", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(card_ids(&browser), cli);

    if let Ok(dir) = std::env::var("GLEANER_SCREENSHOTS") {
        browser.keys("j");
        browser.script("window.scrollTo(0, 0); return true;");
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join("review-page.png"), browser.screenshot_png()).unwrap();
    }
    phone_and_dark(&browser, &addr);

    // The whole week: the held-back and below-threshold posts, each with its reason.
    leaving(&browser);
    browser.click("#show-all");
    loaded(&browser, "the whole week", "all=1");
    assert_eq!(card_ids(&browser).len(), 7);
    let reasons = browser.script(
        "return [].map.call(document.querySelectorAll('.standing'), function (s) { return s.textContent; });",
    );
    let reasons: Vec<&str> = reasons
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "held back: its feed already has 3 in the queue (max_per_feed)",
            "held back: its feed already has 3 in the queue (max_per_feed)",
            "below min_score (1)"
        ]
    );
    // `/` filters by words, on the page.
    browser.keys("/");
    browser.keys("gardening");
    assert_eq!(
        browser.script("return [].filter.call(document.querySelectorAll('[data-card]'), function (c) { return !c.hidden; }).length;"),
        1
    );
    browser.chord(&[ESCAPE]);

    // One feed's week: its held-back posts too; reject the rest of it, confirmed once.
    let week = ws.json(&["queue", "--format", "json"])[0]["week"]
        .as_str()
        .unwrap()
        .to_owned();
    browser.goto(&format!("http://{addr}/?week={week}&feed=Example+Blog"));
    loaded(&browser, "Example Blog's week", "feed=Example+Blog");
    assert_eq!(card_ids(&browser).len(), 5);
    browser.click("article .actions a.quiet");
    browser.wait_until(
        "the confirmation",
        "return !!document.getElementById('confirm');",
    );
    assert_eq!(
        browser.script("return document.querySelectorAll('ol li').length;"),
        5
    );
    browser.click("#confirm");
    loaded(
        &browser,
        "the queue after the batch",
        &format!("/?week={week}"),
    );
    let c = counts(&browser);
    assert_eq!(
        ["rejected", "remaining", "heldBack"].map(|k| count(&c, k)),
        [5, 1, 0],
        "{c}"
    );
    assert_eq!(
        ws.sql_count("SELECT count(DISTINCT batch) FROM decisions WHERE undone = 0"),
        1
    );
    // u undoes the latest decision: the whole batch.
    browser.keys("u");
    browser.wait_until(
        "the batch undone",
        "return document.readyState === 'complete' && document.getElementById('counts').dataset.rejected === '0';",
    );
    assert_eq!(count(&counts(&browser), "remaining"), 6);
    assert_eq!(
        ws.sql_count("SELECT count(*) FROM decisions WHERE undone = 0"),
        0
    );
}

/// At a phone's 390 px nothing is wider than the screen and the buttons are big
/// enough for a thumb; with the system in dark mode the page is dark.
fn phone_and_dark(browser: &Browser, addr: &str) {
    browser.resize(390, 844);
    browser.goto(&format!("http://{addr}/"));
    loaded(browser, "the queue on a phone", "/");
    let inner = browser
        .script("return window.innerWidth;")
        .as_i64()
        .unwrap();
    assert!(inner <= 400, "the window is a phone's: {inner}");
    assert_eq!(
        browser.script("return document.documentElement.scrollWidth <= window.innerWidth;"),
        true,
        "something is wider than the screen"
    );
    let fits = browser.script(
        "var ok = true; document.querySelectorAll('article.entry').forEach(function (card) { var c = card.getBoundingClientRect(); card.querySelectorAll('textarea, button').forEach(function (e) { var r = e.getBoundingClientRect(); ok = ok && r.right <= c.right + 0.5 && r.left >= c.left - 0.5; }); }); return ok;",
    );
    assert_eq!(fits, true, "a field or button spills out of its card");
    let smallest = browser.script(
        "return Math.min.apply(null, [].map.call(document.querySelectorAll('article button'), function (b) { return b.getBoundingClientRect().height; }));",
    );
    assert!(
        smallest.as_f64().unwrap() >= 44.0,
        "buttons {smallest} px tall"
    );
    if let Ok(dir) = std::env::var("GLEANER_SCREENSHOTS") {
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join("review-page-phone.png"), browser.screenshot_png()).unwrap();
    }
    let light = browser.script("return getComputedStyle(document.body).backgroundColor;");
    browser.emulate_dark();
    let dark = browser.script("return getComputedStyle(document.body).backgroundColor;");
    assert_eq!(light, "rgb(255, 255, 255)");
    assert_eq!(dark, "rgb(13, 17, 23)");
    browser.resize(1100, 900);
    browser.goto(&format!("http://{addr}/"));
    loaded(browser, "the queue again", "/");
}

#[test]
fn the_draft_is_reordered_and_copied_as_html() {
    let (_server, ws, _daemon, addr) = week(None);
    let (a1, b1, a2) = (
        ws.post_id("Outage: how retries took down checkout"),
        ws.post_id("The outage that was not"),
        ws.post_id("Incident review: the DNS outage"),
    );
    ws.ok(&["pick", &a1.to_string(), "--note", "First."]);
    ws.ok(&["pick", &b1.to_string()]);
    ws.ok(&["pick", &a2.to_string(), "--note", "Third."]);
    let week = ws.json(&["queue", "--format", "json"])[0]["week"]
        .as_str()
        .unwrap()
        .to_owned();

    let browser = Browser::start();
    browser.goto(&format!("http://{addr}/draft?week={week}"));
    loaded(&browser, "the draft", &format!("/draft?week={week}"));
    let warning =
        browser.script("var w = document.getElementById('todo'); return w ? w.textContent : '';");
    assert!(
        warning
            .as_str()
            .unwrap()
            .contains("1 of 3 picks have no blurb yet: The outage that was not"),
        "{warning}"
    );
    let credit = browser.script(&format!(
        "return document.querySelector('#d{b1} .attribution').textContent;"
    ));
    assert_eq!(credit, "Ana Souza, Tom Kim, and Lee Park — Ops Weekly");

    // Shift+J moves the selected (first) pick down; the Up button moves the last up.
    leaving(&browser);
    browser.keys("J");
    loaded(&browser, "the draft after the move", &format!("#d{a1}"));
    assert_eq!(card_ids(&browser), [b1, a1, a2]);
    browser.click(&format!("#d{a2} button[data-key=K]"));
    loaded(
        &browser,
        "the draft after the second move",
        &format!("#d{a2}"),
    );
    assert_eq!(card_ids(&browser), [b1, a2, a1]);

    // The missing blurb, written on the page: the warning goes.
    browser.script(&format!(
        "document.querySelector('#d{b1} textarea').focus(); return true;"
    ));
    browser.keys("Three authors, one outage.");
    browser.chord(&[CTRL, ENTER]);
    browser.wait_until(
        "the blurb saved",
        "return document.readyState === 'complete' && !document.getElementById('todo');",
    );

    // Copy as HTML hands the clipboard exactly what `gleaner draft --format html` prints.
    browser.click("#copy-html");
    browser.wait_until(
        "the copy",
        "return !!document.getElementById('copy-status').dataset.copied;",
    );
    let copied = browser.script("return document.getElementById('copy-status').dataset.copied;");
    let html = ws.ok(&["draft", "--format", "html"]);
    assert_eq!(copied.as_str().unwrap(), html);
    assert!(
        html.find("The outage that was not").unwrap() < html.find("Incident review").unwrap()
            && html.find("Incident review").unwrap() < html.find("Outage: how retries").unwrap(),
        "in the page's order:\n{html}"
    );
    assert!(html.contains("<p class=\"attribution\" style=\"margin-left: 2em\"><small>Ana Souza, Tom Kim, and Lee Park — Ops Weekly</small></p>"), "{html}");
    browser.click("#copy-md");
    browser.wait_until(
        "the markdown copy",
        "return document.getElementById('copy-status').dataset.kind === 'markdown';",
    );
    let copied = browser.script("return document.getElementById('copy-status').dataset.copied;");
    assert_eq!(copied.as_str().unwrap(), ws.ok(&["draft"]));
}

/// The form token comes from a secret kept in the database: a blurb typed before a
/// daemon restart is submitted after it, and kept.
#[test]
fn a_restart_between_page_load_and_submit_keeps_the_decision() {
    let port = free_port();
    let (server, ws, daemon, addr) = week(Some(port));
    let browser = Browser::start();
    browser.goto(&format!("http://{addr}/"));
    loaded(&browser, "the queue", "/");
    let first = card_ids(&browser)[0];
    browser.keys("b");
    browser.keys("Typed before the restart.");

    drop(daemon);
    let (_again, addr_again) = Daemon::start_polled(&ws);
    assert_eq!(addr_again, addr, "the same address");
    leaving(&browser);
    browser.chord(&[CTRL, ENTER]);
    loaded(&browser, "the queue after the restart", "#0");
    assert_eq!(
        decision(&ws, first),
        ("picked".into(), Some("Typed before the restart.".into()))
    );
    drop(server);
}
