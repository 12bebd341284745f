#!/usr/bin/env python3
"""Do two gleaner builds store and list the same things? For refactors.

Polls one farm of synthetic feeds (../shared/bench/feedfarm.py, served by nginx on
127.0.0.1) with each build on a database of its own, then adds a rule and rescores,
and compares after each step: every post (feed, URL, title, author, dates, week,
score and parts, sources, story, texts), every sighting, every feed row, and each
week's shortlist and queue as JSON (ids and first-seen times left out).

  python3 benches/same_output.py OLD/gleaner NEW/gleaner [--feeds 300]
Needs nginx (Debian nginx-light).
"""
import argparse, datetime, json, os, shutil, sqlite3, subprocess, sys

from farm import feedfarm, free_port, work_dir, write_config

PORT = free_port()


def config(d, feeds, extra_rules=""):
    urls = [f"http://127.0.0.1:{PORT}/feeds/{i}.xml" for i in range(feeds)]
    write_config(os.path.join(d, "feeds.toml"), urls, 'database = "g.db"\nper_host_concurrency = 32',
                 boost_every=50, extra_rules=extra_rules)


def run(binary, d, *args):
    out = subprocess.run([binary, "--config", os.path.join(d, "feeds.toml"), *args],
                         capture_output=True, text=True)
    # 1 is "nothing found" (an empty week). Anything else must stop the comparison
    # rather than compare two empty outputs.
    if out.returncode not in (0, 1):
        sys.exit(f"{binary} {' '.join(args)} exited {out.returncode}: {out.stderr}")
    return out.stdout


def without_volatile(items):
    for item in items:
        item.pop("id", None)
        item.pop("first_seen", None)
    return items


def dump(binary, d):
    db = sqlite3.connect(os.path.join(d, "g.db"))
    out = {
        "posts": sorted(db.execute(
            """SELECT f.name, p.url, p.title, p.author, p.published, p.updated, p.week, p.score,
                      p.reasons, p.sources, (SELECT c.url FROM posts c WHERE c.id = p.story_of),
                      p.backfill, p.content_hash, p.title_hash, t.summary, t.content
               FROM posts p JOIN feeds f ON f.id = p.feed_id JOIN post_texts t ON t.post_id = p.id""").fetchall()),
        "sightings": sorted(db.execute(
            """SELECT f.name, s.item_key, p.url FROM sightings s JOIN feeds f ON f.id = s.feed_id
               JOIN posts p ON p.id = s.post_id""").fetchall()),
        "feeds": sorted(db.execute(
            """SELECT name, config_url, url, etag, last_modified, last_status, last_http_status,
                      last_error, consecutive_failures FROM feeds""").fetchall()),
    }
    weeks = sorted({datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%G-W%V")
                    for (t,) in db.execute("SELECT DISTINCT effective_at FROM posts")})
    lists = {}
    for week in weeks:
        for command in ("shortlist", "queue"):
            text = run(binary, d, command, "--week", week, "--format", "json")
            lists[f"{command} {week}"] = without_volatile(json.loads(text)) if text.strip() else []
    out["lists"] = lists
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--feeds", type=int, default=300)
    a = p.parse_args()
    work = work_dir("same")
    feedfarm("gen", os.path.join(work, "farm"), "--feeds", str(a.feeds), "--entries", "20")
    feedfarm("serve", os.path.join(work, "farm"), "--port", str(PORT))
    try:
        results = {}
        for name, binary in (("old", a.old), ("new", a.new)):
            d = os.path.join(work, name)
            os.makedirs(d)
            config(d, a.feeds)
            run(binary, d, "poll")
            polled = dump(binary, d)
            config(d, a.feeds, "\n[[rule]]\nname = \"probe\"\npattern = '(?i)\\blessons\\b'\nweight = 0.75\nfields = [\"title\"]\n")
            run(binary, d, "rescore")
            results[name] = (polled, dump(binary, d))
        same = True
        for step, label in ((0, "after the poll"), (1, "after the rescore")):
            for key, old in results["old"][step].items():
                equal = old == results["new"][step][key]
                same &= equal
                print(f"{label:18} {key:10} {len(old):6}  {'same' if equal else 'DIFFERENT'}")
        print("identical" if same else "DIFFERENT")
        sys.exit(0 if same else 1)
    finally:
        feedfarm("stop", os.path.join(work, "farm"))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
