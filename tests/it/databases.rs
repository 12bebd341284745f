//! Database files gleaner did not make as it would now: a file from a newer gleaner is
//! refused and left byte for byte as it was; a migration that fails leaves the file as
//! it was before it.

use std::path::Path;

use crate::util::{FeedServer, Item, Route, Workspace, rss};

/// A workspace whose database a poll filled (a few posts, a feed row), and its server.
fn polled() -> (FeedServer, Workspace) {
    Workspace::polled(Route::feed(rss(&[
        Item::new(
            "1",
            "https://blog.example/1",
            "Outage at scale",
            "An incident.",
        ),
        Item::new("2", "https://blog.example/2", "Retry storms", ""),
    ])))
}

/// Runs SQL on the file as another program would (closing it folds the write-ahead log
/// into the file and removes it).
fn edit(db: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn user_version(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

/// Everything about the file a refusal must not change: its bytes and its mode.
fn snapshot(db: &Path) -> (Vec<u8>, u32) {
    use std::os::unix::fs::PermissionsExt;
    (
        std::fs::read(db).unwrap(),
        std::fs::metadata(db).unwrap().permissions().mode(),
    )
}

#[cfg(unix)]
#[test]
fn a_database_from_a_newer_gleaner_is_refused_and_left_byte_for_byte() {
    let (_server, ws) = polled();
    let known = user_version(&ws.db());
    // As a newer gleaner might leave it: a later schema, and (in a second round) a
    // journal mode other than the WAL this one uses.
    for (round, journal) in [("wal", "WAL"), ("rollback journal", "DELETE")] {
        edit(
            &ws.db(),
            &format!(
                "PRAGMA journal_mode = {journal}; PRAGMA user_version = {};",
                known + 1
            ),
        );
        let before = snapshot(&ws.db());
        for args in [
            &["feeds"][..],
            &["poll"],
            &["shortlist", "--week"],
            &["rescore"],
            &["daemon"],
        ] {
            let (code, _, err) = ws.run(args);
            assert_eq!(code, 2, "{round}: gleaner {args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "has schema version {}, newer than this gleaner understands ({known})",
                    known + 1
                )),
                "{round}: gleaner {args:?}: {err}"
            );
            assert!(
                snapshot(&ws.db()) == before,
                "{round}: gleaner {args:?} changed the file"
            );
        }
    }
}

/// A database one schema behind, holding an object the missing migration creates (an
/// index of that name, as a tool might have added): the migration fails, gleaner says
/// so, and the file is byte for byte what it was; once the stray index is gone, the
/// same file migrates and keeps its posts.
#[cfg(unix)]
#[test]
fn a_failing_migration_leaves_the_database_as_it_was() {
    let (_server, ws) = polled();
    let known = user_version(&ws.db());
    assert_eq!(
        known, 14,
        "this test undoes migration 14; update it with the schema"
    );
    // Back to schema 13: what migration 14 added, removed; then a stray column of the
    // name its second step adds, so the migration fails after its first.
    edit(
        &ws.db(),
        "ALTER TABLE decisions DROP COLUMN batch;
         ALTER TABLE decisions DROP COLUMN position;
         PRAGMA user_version = 13;
         ALTER TABLE decisions ADD COLUMN position TEXT;",
    );
    let before = snapshot(&ws.db());
    for args in [&["feeds"][..], &["poll"], &["shortlist", "--week"]] {
        let (code, _, err) = ws.run(args);
        assert_eq!(code, 2, "gleaner {args:?}: {err}");
        assert!(
            err.contains(&format!(
                "database {} cannot be upgraded from schema 13 to 14 (duplicate column name: position); the upgrade was undone and the file left as it was",
                ws.db().display()
            )),
            "gleaner {args:?}: {err}"
        );
        assert!(
            snapshot(&ws.db()) == before,
            "gleaner {args:?} changed the file"
        );
    }
    assert_eq!(user_version(&ws.db()), 13);

    edit(&ws.db(), "ALTER TABLE decisions DROP COLUMN position;");
    ws.ok(&["feeds"]);
    assert_eq!(user_version(&ws.db()), known);
    assert_eq!(ws.sql_count("SELECT count(*) FROM posts"), 2);
}
