#!/usr/bin/env python3
"""What SQLite alone needs to store a poll's posts: the floor under gleaner's store.

Replays the posts, texts and sightings of a gleaner database (a cold poll's, from
`benches/e2e.py --floor` or any other) into fresh databases with the same schema and
settings (WAL, synchronous=NORMAL), in transactions of --group posts as a poll's group
commits write them, through Python's sqlite3 (executemany: the per-row cost is
SQLite's, plus ~1 us of binding). No lookups, no scoring, no dedupe: only the inserts
every new post needs. It times the inserts with every index, with none of the
secondary ones, and without each index in turn, so each index's price per post shows.
Checkpoints are left to the end and not timed.

  python3 benches/sqlite_floor.py PATH/TO/gleaner.db [--group 140] [--runs 3]
"""
import argparse, os, sqlite3, statistics, tempfile, time


def load(db):
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    posts = src.execute("SELECT * FROM posts ORDER BY id").fetchall()
    texts = {r[0]: r for r in src.execute("SELECT * FROM post_texts")}
    sightings = {}
    for r in src.execute("SELECT * FROM sightings"):
        sightings.setdefault(r[2], []).append(r)
    feeds = src.execute("SELECT id, name, config_url, url FROM feeds").fetchall()
    schema = src.execute(
        "SELECT name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()
    return posts, texts, sightings, feeds, schema


def secondary_indexes(schema):
    """The indexes a new post adds entries to."""
    return [name for name, table, sql in schema
            if table in ("posts", "sightings") and sql.upper().startswith(("CREATE INDEX", "CREATE UNIQUE"))]


def replay(data, skip, group, work):
    """Seconds per post to insert every post with the indexes not in `skip`."""
    posts, texts, sightings, feeds, schema = data
    path = os.path.join(work, "floor.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    for name, _, sql in schema:
        if name not in skip:
            db.execute(sql)
    db.executemany("INSERT INTO feeds (id, name, config_url, url) VALUES (?, ?, ?, ?)", feeds)
    # As many values as the rows read have columns, whatever the schema added since.
    values = lambda rows: ",".join("?" * len(next(iter(rows))))
    insert = {
        "posts": f"INSERT INTO posts VALUES ({values(posts)})",
        "post_texts": f"INSERT INTO post_texts VALUES ({values(texts.values())})",
        "sightings": f"INSERT INTO sightings VALUES ({values(next(iter(sightings.values())))})",
    }
    start = time.perf_counter()
    for at in range(0, len(posts), group):
        chunk = posts[at:at + group]
        db.execute("BEGIN")
        db.executemany(insert["posts"], chunk)
        db.executemany(insert["post_texts"], [texts[p[0]] for p in chunk])
        db.executemany(insert["sightings"], [s for p in chunk for s in sightings.get(p[0], [])])
        db.execute("COMMIT")
    seconds = time.perf_counter() - start
    db.close()
    return seconds / len(posts)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", help="a gleaner database to take the posts from")
    p.add_argument("--group", type=int, default=140, help="posts per transaction")
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    data = load(a.db)
    if not data[0]:
        raise SystemExit(f"{a.db} has no posts")
    indexes = secondary_indexes(data[4])
    cases = [("every index", set()), ("no secondary index", set(indexes))]
    cases += [(f"without {name}", {name}) for name in indexes]
    work = tempfile.mkdtemp(prefix="gleaner-floor-", dir=os.path.dirname(os.path.abspath(a.db)))
    try:
        # Alternating runs: the machine's speed drifts between them.
        times = {label: [] for label, _ in cases}
        for _ in range(a.runs):
            for label, skip in cases:
                times[label].append(replay(data, skip, a.group, work))
    finally:
        for name in os.listdir(work):
            os.remove(os.path.join(work, name))
        os.rmdir(work)
    every = statistics.median(times["every index"])
    print(f"{len(data[0])} posts, {a.group} per transaction, median of {a.runs} runs (us per post)")
    for label, _ in cases:
        t = statistics.median(times[label])
        saved = "" if label == "every index" else f"   {1e6 * (every - t):+5.1f} saved"
        print(f"  {label:32} {1e6 * t:6.1f}{saved}")


if __name__ == "__main__":
    main()
