#!/usr/bin/env python3
"""Reach: what reading article pages costs a poll, and how much it grows the database.

Generates the farm of ../shared/bench/feedfarm.py (N synthetic blogs x 20 entries),
turns a tenth of its feeds into hnrss-shaped aggregator feeds whose items link article
pages (made-up engineering posts of 600-2,400 words, with a nav, a footer, JSON-LD and
OpenGraph), serves feeds and pages from one nginx on 127.0.0.1, and runs cold polls of
`gleaner poll`, alternately:

  never     fetch_articles = "never": aggregator items stored, no page read
  auto      fetch_articles = "auto": every aggregator item's page read (the budget is
            lifted so that one poll reads them all; article_min_words = 100, which no
            farm blog entry is short of, so only the aggregators' pages are wanted)
  plain     the farm without aggregators, fetch_articles = "never"
  plain-auto  the same with "auto" and article_min_words = 100: no farm entry is that
            short, so no page is wanted: what the feature costs feeds that need none

Medians of wall time, CPU time and peak RSS; then the database's size after `never`
and `auto` (checkpointed, VACUUMed copies), per 1,000 articles read.

  python3 benches/reach.py                 # 1,000 feeds (100 aggregators), 5 runs
  python3 benches/reach.py --feeds 300 --runs 3
Needs: nginx (Debian nginx-light), a release build (built now unless --gleaner).
"""
import argparse, json, os, random, shutil, sqlite3, statistics, subprocess, time
from email.utils import formatdate
from xml.sax.saxutils import escape

from e2e import run  # (wall, cpu, peak RSS of one command)
from farm import farm_arguments, feedfarm, parse, release_build, work_dir, write_config

WORDS = ("the a our we system service database cluster team request traffic query cache deploy "
         "region network storage queue worker metric alert page user customer during after before "
         "while because when which data config change fleet node retry timeout latency incident "
         "outage failover replica shard leader election backoff jitter budget capacity").split()


def article_page(rng, i, j, port):
    """A made-up engineering post: boilerplate around 600-2,400 words of text."""
    words = rng.randint(600, 2400)
    paragraphs, left = [], words
    while left > 0:
        n = min(left, rng.randint(40, 120))
        paragraphs.append(" ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + ".")
        left -= n
    title = f"What we learned from {rng.choice(WORDS)} {rng.choice(WORDS)} #{i}-{j}"
    author = f"Writer {rng.randint(1, 500)}"
    ld = json.dumps({"@context": "https://schema.org", "@type": "BlogPosting", "headline": title,
                     "author": {"@type": "Person", "name": author},
                     "publisher": {"@type": "Organization", "name": f"Site {i}-{j % 7}"},
                     "datePublished": "2026-11-20T10:00:00Z"})
    nav = "".join(f'<li><a href="/x/{k}">Section {k}</a></li>' for k in range(30))
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta property="og:site_name" content="Site {i}"><script type="application/ld+json">{ld}</script>'
            f'<style>body{{font:16px sans-serif}}</style></head><body><header><nav><ul>{nav}</ul></nav></header>'
            f'<main><article><h1>{escape(title)}</h1><p class="byline">By {author}</p>{body}</article></main>'
            f'<footer><p>Copyright. Subscribe. Careers. Privacy.</p></footer>'
            f'<script>var analytics = "{"x" * 2000}";</script></body></html>'), title


def aggregator_feed(d, i, entries, port, rng):
    """An hnrss-shaped feed whose items link pages under /articles/."""
    items = []
    for j in range(entries):
        page, title = article_page(rng, i, j, port)
        with open(os.path.join(d, "articles", f"{i}-{j}.html"), "w") as f:
            f.write(page)
        link = f"http://127.0.0.1:{port}/articles/{i}-{j}.html"
        thread = f"https://news.ycombinator.com/item?id={i * 1000 + j}"
        items.append(
            f"<item><title>{escape(title)}</title><description><![CDATA[<p>Article URL: <a href=\"{link}\">{link}</a></p>"
            f"<p>Comments URL: <a href=\"{thread}\">{thread}</a></p><p>Points: {rng.randint(1, 500)}</p>]]></description>"
            f"<pubDate>{formatdate(time.time() - j * 3600)}</pubDate><link>{link}</link>"
            f"<dc:creator>user{rng.randint(1, 999)}</dc:creator><comments>{thread}</comments>"
            f"<guid isPermaLink=\"false\">{thread}</guid></item>")
    with open(os.path.join(d, "feeds", f"{i}.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<channel><title>Hacker News: {i}</title><link>https://news.ycombinator.com/</link>"
                f"<generator>hnrss v2.1.1</generator>{''.join(items)}</channel></rss>\n")


def serve(d, port):
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log; daemon on;
events {{ worker_connections 4096; }}
http {{ access_log off; types {{ application/xml xml; text/html html; }} sendfile on; keepalive_requests 100000;
  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
  server {{ listen 127.0.0.1:{port}; root {d}; }} }}
""")
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    subprocess.check_call(["nginx", "-c", conf, "-p", d])


def config(path, urls, db, extra):
    write_config(path, urls, f'database = "{db}"\nrequest_timeout_secs = 60\nper_host_concurrency = 32\n{extra}')


def db_bytes(db):
    """The database's size once its WAL is folded in and free pages are gone."""
    copy = db + ".size"
    shutil.copy(db, copy)
    conn = sqlite3.connect(copy)
    conn.execute("VACUUM")
    conn.close()
    size = os.path.getsize(copy)
    os.remove(copy)
    return size


def main():
    p = argparse.ArgumentParser()
    farm_arguments(p)
    p.add_argument("--runs", type=int, default=5)
    a = parse(p)
    binary = release_build(a.gleaner)
    work = work_dir("reach")
    feedfarm("gen", work, "--feeds", str(a.feeds), "--entries", str(a.entries))
    # The plain farm's feeds are kept for the `plain` cases, under another path.
    shutil.copytree(os.path.join(work, "feeds"), os.path.join(work, "plain"))
    os.makedirs(os.path.join(work, "articles"))
    rng = random.Random(11)
    aggregators = list(range(0, a.feeds, 10))
    for i in aggregators:
        aggregator_feed(work, i, a.entries, a.port, rng)
    serve(work, a.port)
    try:
        cases = {
            "never": ("feeds", 'fetch_articles = "never"'),
            # article_min_words = 100: no blog entry of the farm is that short (their
            # links point at hosts that do not exist), so the pages read are exactly
            # the aggregators'.
            "auto": ("feeds", 'fetch_articles = "auto"\nallow_private_articles = true\n'
                              f'article_min_words = 100\narticle_budget = {a.feeds * a.entries}'),
            "plain": ("plain", 'fetch_articles = "never"'),
            "plain-auto": ("plain", 'fetch_articles = "auto"\narticle_min_words = 100\nallow_private_articles = true'),
        }
        dirs = {}
        for name, (folder, extra) in cases.items():
            d = os.path.join(work, "run-" + name)
            os.makedirs(d)
            urls = [f"http://127.0.0.1:{a.port}/{folder}/{i}.xml" for i in range(a.feeds)]
            config(os.path.join(d, "feeds.toml"), urls, os.path.join(d, "g.db"), extra)
            dirs[name] = d
        results, summaries = {}, {}
        for run_i in range(a.runs):
            # Every other run in reverse order, so that no case always follows another.
            order = list(dirs.items())
            for name, d in (order if run_i % 2 == 0 else order[::-1]):
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(os.path.join(d, "g.db" + suffix)):
                        os.remove(os.path.join(d, "g.db" + suffix))
                os.sync()
                wall, cpu, rss, out = run([binary, "--config", os.path.join(d, "feeds.toml"), "poll"])
                results.setdefault(name, []).append((wall, cpu, rss))
                summaries[name] = out
        print(f"\n{a.feeds} feeds x {a.entries} entries ({len(aggregators)} aggregators, "
              f"{len(aggregators) * a.entries} article pages), cold polls, median of {a.runs} runs")
        print(f"{'case':11} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
        med = {}
        for name in dirs:
            med[name] = [statistics.median(r[i] for r in results[name]) for i in range(3)]
            print(f"{name:11} {med[name][0]:8.3f} {med[name][1]:8.3f} {med[name][2]:9.1f}")
        print(f"auto / never: wall {med['auto'][0] / med['never'][0]:.2f}x, peak RSS {med['auto'][2] / med['never'][2]:.2f}x")
        print(f"plain-auto / plain: wall {med['plain-auto'][0] / med['plain'][0]:.2f}x, "
              f"cpu {med['plain-auto'][1] / med['plain'][1]:.2f}x, peak RSS {med['plain-auto'][2] / med['plain'][2]:.2f}x")
        conn = sqlite3.connect(os.path.join(dirs["auto"], "g.db"))
        read, text = conn.execute(
            "SELECT count(*), coalesce(sum(length(CAST(text AS BLOB))), 0) FROM articles WHERE status = 'read'").fetchone()
        words = conn.execute("SELECT avg(words) FROM articles WHERE status = 'read'").fetchone()[0]
        conn.close()
        never, auto = db_bytes(os.path.join(dirs["never"], "g.db")), db_bytes(os.path.join(dirs["auto"], "g.db"))
        print(f"\narticles read: {read} (mean {words:.0f} words, {text / max(read, 1) / 1024:.1f} KiB of text each)")
        print(f"database: {never / 2**20:.1f} MiB without them, {auto / 2**20:.1f} MiB with them: "
              f"+{(auto - never) / max(read, 1) * 1000 / 2**20:.1f} MiB per 1,000 articles read")
        print(f"\nthe auto poll's summary:\n{summaries['auto']}")
    finally:
        pid = int(open(os.path.join(work, "nginx.pid")).read())
        os.kill(pid, 15)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
