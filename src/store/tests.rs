//! The store's tests that cross its files (ingest, reading, queues, zones), and the
//! helpers every store test shares.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::migrations::MIGRATIONS;
use super::posts::post_by_id_sql;
use super::*;
use crate::model::Entry;
use crate::model::StoredPost;
use crate::score::Score;
use crate::week;

pub(super) fn entry(key: &str, url: Option<&str>, title: &str) -> Entry {
    Entry {
        item_key: key.into(),
        url: url.map(str::to_owned),
        title: title.into(),
        published: Some(now() - chrono::Duration::hours(1)),
        ..Entry::default()
    }
}

pub(super) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("sub/g.db")).unwrap();
    s.sync_feeds([
        ("a", "https://a.example/feed"),
        ("b", "https://b.example/feed"),
    ])
    .unwrap();
    (dir, s)
}

/// The candidates of the week of `now()` (in UTC, the store's default zone).
pub(super) fn candidates(s: &Store) -> Vec<StoredPost> {
    let mut out = Vec::new();
    s.each_candidate(week::IsoWeek::containing(now(), chrono_tz::UTC), 0.0, |p| {
        out.push(p);
        ControlFlow::Continue(())
    })
    .unwrap();
    out
}

/// A store whose feed `a` carried `n` posts scored 5, ids 1 to `n`.
pub(super) fn store_with_posts(n: usize) -> (tempfile::TempDir, Store) {
    let (dir, mut s) = store();
    let entries = (0..n)
        .map(|i| entry(&format!("k{i}"), Some(&format!("https://x/{i}")), "t"))
        .collect();
    ingest(&mut s, "a", entries);
    (dir, s)
}

pub(super) fn ingest(s: &mut Store, feed: &str, entries: Vec<Entry>) -> IngestCounts {
    let id = s.feed_state(feed).unwrap().unwrap().id;
    let scored: Vec<_> = entries
        .into_iter()
        .map(|e| {
            let score = Score {
                total: 5.0,
                reasons: vec![],
            };
            ScoredEntry::new(e, score)
        })
        .collect();
    s.record_fetched(id, &FetchRecord::default(), &scored, now())
        .unwrap()
}

/// The posts' scores as the database file alone has them, without its WAL: what
/// checkpoints have folded in.
pub(super) fn scores_in_file_alone(dir: &Path) -> Vec<f64> {
    let copy = dir.join("copy.db");
    std::fs::copy(dir.join("sub/g.db"), &copy).unwrap();
    let scores = scores_in(&copy);
    std::fs::remove_file(&copy).unwrap();
    scores
}

/// The posts' scores, in id order, as a connection of its own reads them.
pub(super) fn scores_in(db: &Path) -> Vec<f64> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT score FROM posts ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

pub(super) fn has_rank_index(s: &Store) -> bool {
    s.conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'posts_by_week_rank'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

/// A database file as gleaner left it at schema `version`, with `rows` inserted.
pub(super) fn file_at_schema(version: usize, rows: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("v{version}.db"));
    let conn = Connection::open(&path).unwrap();
    for m in &MIGRATIONS[..version] {
        conn.execute_batch(m).unwrap();
    }
    conn.pragma_update(None, "user_version", version as i64)
        .unwrap();
    conn.execute_batch(rows).unwrap();
    (dir, path)
}

#[test]
fn dedupe_by_key_then_url_and_updates_only_from_the_primary_feed() {
    let (_d, mut s) = store();
    let c = ingest(
        &mut s,
        "a",
        vec![entry("g:1", Some("https://x.example/p"), "Post")],
    );
    assert_eq!((c.new, c.updated, c.unchanged), (1, 0, 0));
    // Same again: unchanged. Changed title: updated.
    assert_eq!(
        ingest(
            &mut s,
            "a",
            vec![entry("g:1", Some("https://x.example/p"), "Post")]
        )
        .unchanged,
        1
    );
    assert_eq!(
        ingest(
            &mut s,
            "a",
            vec![entry("g:1", Some("https://x.example/p"), "Post v2")]
        )
        .updated,
        1
    );
    // A new GUID for the same link is the same post.
    assert_eq!(
        ingest(
            &mut s,
            "a",
            vec![entry("g:2", Some("https://x.example/p"), "Post v2")]
        )
        .unchanged,
        1
    );
    // Another feed carrying it: one post, seen in both.
    assert_eq!(
        ingest(
            &mut s,
            "b",
            vec![entry(
                "u:https://x.example/p",
                Some("https://x.example/p"),
                "Copy"
            )]
        )
        .unchanged,
        1
    );
    assert_eq!(s.post_count().unwrap(), 1);
    let posts = candidates(&s);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].title, "Post v2");
    assert_eq!(posts[0].feed, "a");
    assert_eq!(posts[0].also_in, vec!["b".to_owned()]);
}

#[test]
fn undated_back_catalogue_is_not_a_candidate() {
    let (_d, mut s) = store();
    let mut old = entry("g:old", Some("https://x.example/old"), "Old");
    old.published = None;
    ingest(&mut s, "a", vec![old]);
    let mut new = entry("g:new", Some("https://x.example/new"), "New");
    new.published = None;
    ingest(&mut s, "a", vec![new]);
    let titles: Vec<String> = candidates(&s).into_iter().map(|p| p.title).collect();
    assert_eq!(titles, ["New"]);
}

#[test]
fn copies_of_a_story_are_one_candidate_led_by_the_feed_subscribed_first() {
    let (_d, mut s) = store();
    let title = "How we rebuilt our outage runbooks";
    // The aggregator's copy (feed b) is fetched first, the company blog's second.
    ingest(
        &mut s,
        "b",
        vec![entry("g:1", Some("https://b.example/1"), title)],
    );
    ingest(
        &mut s,
        "a",
        vec![entry(
            "g:2",
            Some("https://a.example/2"),
            &title.to_uppercase(),
        )],
    );
    let found = candidates(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].url.as_deref(), Some("https://a.example/2"));
    assert_eq!(found[0].also_in, ["b"]);
    assert_eq!(found[0].copies, ["https://b.example/1"]);
    assert_eq!(found[0].sources(), 2);

    // Once the editor decided on a story, a new copy never takes its place.
    let title = "Retries considered harmful at scale";
    ingest(
        &mut s,
        "b",
        vec![entry("g:3", Some("https://b.example/3"), title)],
    );
    let decided = candidates(&s)
        .into_iter()
        .find(|p| p.title == title)
        .unwrap();
    s.decide(decided.id, "rejected", None, "2026-W48", now())
        .unwrap();
    ingest(
        &mut s,
        "a",
        vec![entry("g:4", Some("https://a.example/4"), title)],
    );
    let led: Vec<_> = candidates(&s)
        .into_iter()
        .filter(|p| p.title == title)
        .collect();
    assert_eq!(led.len(), 1);
    assert_eq!(led[0].id, decided.id);
    // Short titles are not enough to call two posts one story.
    ingest(
        &mut s,
        "a",
        vec![entry("g:5", Some("https://a.example/5"), "Weekly update")],
    );
    ingest(
        &mut s,
        "b",
        vec![entry("g:6", Some("https://b.example/6"), "Weekly update")],
    );
    assert_eq!(
        candidates(&s)
            .iter()
            .filter(|p| p.title == "Weekly update")
            .count(),
        2
    );
}

#[test]
fn a_copy_is_linked_however_often_its_title_was_used_before() {
    let (_d, mut s) = store();
    let title = "Elevated error rates on the primary API in us-east-1";
    let dated = |feed: &str, key: &str, days_ago: i64| {
        let mut e = entry(key, Some(&format!("https://{feed}.example/{key}")), title);
        e.published = Some(now() - chrono::Duration::days(days_ago));
        e
    };
    // A status page that uses one title for many incidents, months apart.
    let old: Vec<Entry> = (0..20)
        .map(|i| dated("a", &format!("old{i}"), 200 - i))
        .collect();
    ingest(&mut s, "a", old);
    ingest(&mut s, "a", vec![dated("a", "today", 0)]);
    ingest(&mut s, "b", vec![dated("b", "today", 0)]);
    let id = |url: &str| -> i64 {
        s.conn
            .query_row("SELECT id FROM posts WHERE url = ?1", [url], |r| r.get(0))
            .unwrap()
    };
    let story_of: Option<i64> = s
        .conn
        .query_row(
            "SELECT story_of FROM posts WHERE id = ?1",
            [id("https://b.example/today")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(story_of, Some(id("https://a.example/today")));
    // Looking the title up never re-prepares the statement.
    let stmt = s
        .conn
        .prepare_cached(super::ingest::EARLIER_BY_TITLE)
        .unwrap();
    assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
}

#[test]
fn a_retitled_post_is_found_by_its_new_title() {
    let (_d, mut s) = store();
    let post = |feed: &str, title: &str| {
        let mut e = entry("g:1", Some(&format!("https://{feed}.example/1")), title);
        e.summary = title.into();
        e
    };
    ingest(
        &mut s,
        "a",
        vec![post("a", "Postmortem draft: the queue that ate itself")],
    );
    ingest(
        &mut s,
        "a",
        vec![post("a", "Postmortem: how our job queue ate itself")],
    );
    ingest(
        &mut s,
        "b",
        vec![post("b", "Postmortem: how our job queue ate itself")],
    );
    let story_of: Option<i64> = s
        .conn
        .query_row(
            "SELECT story_of FROM posts WHERE url = 'https://b.example/1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let a: i64 = s
        .conn
        .query_row(
            "SELECT id FROM posts WHERE url = 'https://a.example/1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        story_of,
        Some(a),
        "the copy joins the retitled post's story"
    );
}

#[test]
fn reading_posts_by_id_reuses_the_prepared_statement() {
    let (_d, s) = store_with_posts(3);
    for id in [1, 2, 3, 1] {
        assert!(s.post(id).unwrap().is_some());
    }
    let stmt = s.conn.prepare_cached(&post_by_id_sql()).unwrap();
    assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
}

#[test]
fn a_weeks_queue_merges_its_own_late_and_deferred_posts_in_rank_order() {
    let (_d, mut s) = store();
    let at = |days: i64, title: &str, points: f64| {
        let mut e = entry(title, Some(&format!("https://a.example/{title}")), title);
        e.published = Some(now() - chrono::Duration::days(days) - chrono::Duration::hours(1));
        let score = Score {
            total: points,
            reasons: vec![],
        };
        ScoredEntry::new(e, score)
    };
    // `now()` is Monday of 2026-W48: 0 days back is this week, 3 last week and 10 the
    // week before (first seen now, after their weeks ended, so late), 10 on the feed's
    // first poll (back catalogue: only in the queue once deferred).
    let feed = s.feed_state("a").unwrap().unwrap().id;
    let first_poll = vec![at(10, "deferred", 4.0), at(10, "catalogue", 8.0)];
    s.record_fetched(feed, &FetchRecord::default(), &first_poll, now())
        .unwrap();
    let posts = vec![
        at(0, "this week", 5.0),
        at(3, "late", 3.0),
        at(0, "low", 2.0),
        at(0, "picked", 6.0),
        at(10, "two weeks late", 7.0),
        at(0, "below the floor", 0.5),
    ];
    s.record_fetched(feed, &FetchRecord::default(), &posts, now())
        .unwrap();
    let id = |title: &str| -> i64 {
        s.conn
            .query_row("SELECT id FROM posts WHERE title = ?1", [title], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let (deferred, picked) = (id("deferred"), id("picked"));
    s.decide(deferred, "deferred", None, "2026-W48", now())
        .unwrap();
    s.decide(picked, "picked", None, "2026-W48", now()).unwrap();

    let mut queue = Vec::new();
    let window = QueueWindow {
        week: week::IsoWeek::containing(now(), chrono_tz::UTC),
        min_score: 1.0,
    };
    s.each_queued(window, |q| {
        queue.push((q.post.title, q.carried_over, q.late));
        ControlFlow::Continue(())
    })
    .unwrap();
    let expected = [
        ("two weeks late", false, true),
        ("this week", false, false),
        ("deferred", true, false),
        ("late", false, true),
        ("low", false, false),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|&(t, carried, late)| (t.to_owned(), carried, late))
        .collect();
    assert_eq!(queue, expected);

    // The review page's window holds the same posts with the same marks (and those
    // below the floor too, which it counts).
    let mut in_window: Vec<_> = s
        .window_posts(window.week, false)
        .unwrap()
        .into_iter()
        .map(|p| (p.title, p.carried_over, p.late))
        .collect();
    in_window.sort();
    let mut expected_window = expected.clone();
    expected_window.push(("below the floor".into(), false, false));
    expected_window.sort();
    assert_eq!(in_window, expected_window);

    // Visited lazily: the visitor's Break ends the reading.
    let mut seen = 0;
    s.each_queued(window, |_| {
        seen += 1;
        ControlFlow::Break(())
    })
    .unwrap();
    assert_eq!(seen, 1);
}

#[test]
fn weeks_follow_the_configured_zone_even_when_it_changes() {
    let (_d, mut s) = store();
    // Monday 02:00 UTC is still Sunday evening in New York.
    let mut e = entry("g:1", Some("https://a.example/1"), "Late Sunday post");
    e.published = Some(now() - chrono::Duration::hours(10));
    ingest(&mut s, "a", vec![e]);
    let monday_week = week::IsoWeek::containing(now(), chrono_tz::UTC);
    let titles = |s: &Store, w: week::IsoWeek| {
        let mut out = Vec::new();
        s.each_candidate(w, 0.0, |p| {
            out.push(p.title);
            ControlFlow::Continue(())
        })
        .unwrap();
        out
    };
    assert_eq!(titles(&s, monday_week), ["Late Sunday post"]);
    s.use_zone(chrono_tz::America::New_York).unwrap();
    assert!(titles(&s, monday_week).is_empty());
    assert_eq!(titles(&s, monday_week.previous()), ["Late Sunday post"]);
    // The zone is remembered with the weeks computed in it.
    let path = s.path().to_path_buf();
    drop(s);
    let reopened = Store::open(&path).unwrap();
    assert_eq!(
        titles(&reopened, monday_week.previous()),
        ["Late Sunday post"]
    );
}

#[test]
fn an_update_rewrites_the_text_only_when_the_text_changed() {
    let (_d, mut s) = store();
    let mut e = entry("k", Some("https://a.example/1"), "Our outage");
    e.summary = "What happened".into();
    ingest(&mut s, "a", vec![e.clone()]);
    let texts_version = |s: &Store| -> (String, String) {
        s.conn
            .query_row("SELECT summary, content FROM post_texts", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
    };
    // A new URL: the post is updated, its text row stays as it was.
    e.url = Some("https://a.example/one".into());
    let changes_before = s.conn.total_changes();
    assert_eq!(ingest(&mut s, "a", vec![e.clone()]).updated, 1);
    // One row changed by the UPDATE of posts (and one by the feed's own row).
    assert_eq!(s.conn.total_changes() - changes_before, 2);
    assert_eq!(
        texts_version(&s),
        ("What happened".to_owned(), String::new())
    );
    // New text: both are rewritten.
    e.content = "And what we changed".into();
    assert_eq!(ingest(&mut s, "a", vec![e]).updated, 1);
    assert_eq!(
        texts_version(&s),
        ("What happened".to_owned(), "And what we changed".to_owned())
    );
    assert_eq!(s.post(1).unwrap().unwrap().content, "And what we changed");
}

#[test]
fn a_configured_url_change_resets_the_feed_state() {
    let (_d, mut s) = store();
    let id = s.feed_state("a").unwrap().unwrap().id;
    let fetch = FetchRecord {
        etag: Some("\"v1\"".into()),
        ..FetchRecord::default()
    };
    s.record_fetched(id, &fetch, &[], now()).unwrap();
    assert_eq!(
        s.feed_state("a").unwrap().unwrap().etag.as_deref(),
        Some("\"v1\"")
    );
    s.sync_feeds([("a", "https://a.example/feed")]).unwrap();
    assert_eq!(
        s.feed_state("a").unwrap().unwrap().etag.as_deref(),
        Some("\"v1\"")
    );
    s.sync_feeds([("a", "https://a.example/new-feed")]).unwrap();
    let state = s.feed_state("a").unwrap().unwrap();
    assert_eq!(
        (state.url.as_str(), state.etag),
        ("https://a.example/new-feed", None)
    );
}

/// A thread that panicked mid-rescore holding the shared store: the next user
/// finds no open transaction, the rows as they were, the index, and no poison.
#[test]
fn a_lock_taken_over_after_a_panic_finds_nothing_half_done() {
    let (_dir, s) = store_with_posts(3);
    let shared = std::sync::Arc::new(std::sync::Mutex::new(s));
    let holder = shared.clone();
    let panicked = std::thread::spawn(move || {
        let mut s = holder.lock().unwrap();
        s.begin_bulk_update().unwrap();
        let nine = super::bulk::tests::rescored(&s, 1, 9.0);
        s.update_scores(&[nine], 1).unwrap();
        panic!("a scoring thread failed");
    })
    .join();
    assert!(panicked.is_err() && shared.is_poisoned());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (in_transaction, indexed, score) = runtime
        .block_on(off_async(&shared, |s| {
            (
                !s.conn.is_autocommit(),
                has_rank_index(s),
                s.post(1).unwrap().unwrap().score.total,
            )
        }))
        .unwrap();
    assert_eq!((in_transaction, indexed, score), (false, true, 5.0));
    assert!(!shared.is_poisoned());
}
