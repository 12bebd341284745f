#!/usr/bin/env python3
"""How much of what SRE Weekly links does a feed reading list cover?

Usage:
    python3 benches/coverage.py feeds.toml [ISSUES.jsonl] [--uncovered [N]] [--ranges A-B,C-D,...] [--links]

ISSUES.jsonl holds one issue a line: {"issue", "published", "address", "complete",
"links": [{"url", "title", "credit"}]} (credit: the attribution line as printed, e.g.
"Jane Doe — Acme"; "" when the issue printed none). Python 3.11+ stdlib only.

A link counts as COVERED when one of these holds, else it is NOT covered (when unsure,
not covered):

1. Site match. The link's site is its host without "www." plus, on shared platforms
   (medium.com, dev.to, github.com, gitlab.com, youtube.com, twitter.com/x.com,
   reddit.com /r/NAME, linkedin.com /in/NAME, speakerdeck.com, substack.com /@NAME), the
   first path segment (two for reddit.com/r/NAME and linkedin.com/in/NAME);
   mobile.twitter.com and x.com are read as twitter.com, youtu.be as youtube.com.
   A feed's site is computed the same way from its url after these mappings:
     - host prefixes "feeds.", "feed.", "rss." are dropped (feeds.dzone.com -> dzone.com);
     - medium.com/feed/@x -> medium.com/@x, medium.com/feed/pub -> medium.com/pub,
       dev.to/feed/x -> dev.to/x (x.medium.com and x.substack.com are hosts already);
     - reddit.com/r/NAME/.rss -> reddit.com/r/NAME;
     - youtube.com/feeds/videos.xml?channel_id=C -> youtube.com/channel/C (links to
       youtube.com/watch?v=... name no channel, so they never match a site).
   On a non-platform host the feed's url path up to its feed part (the first segment
   containing "feed", "rss" or "atom", or ending in ".xml"/".html") is a path prefix the
   link's path must start with: aws.amazon.com/blogs/architecture/feed/ covers only
   aws.amazon.com/blogs/architecture/...; blog.cloudflare.com/rss/ covers the whole host.
   kind="page" feeds use their article-list url the same way (www.uptimelabs.io/articles
   covers www.uptimelabs.io/articles/...).
2. Status pages. Feeds tagged "status" match a link only by host: exact host, or the same
   status key: x.statuspage.io, status.x.TLD (status.cloud.google.com -> google),
   x.status.TLD, and xstatus.com / x-status.com all give key "x". A status feed never
   covers a link by credit (GitHub Status does not carry GitHub's blog).
3. Credit match. Only the credit's FIRST entry is used: the credit is cut at a line break
   or at ")" glued to the next name ("Adrian Colyer — The Morning Paper (summary)Bainbridge
   — Automatica (original paper)" -> "Adrian Colyer — The Morning Paper"), since later
   entries credit the work the linked page is about, not the page; "(...)" notes and an
   "Author:" prefix are dropped; in "NAMES — ORG" (also " – ") the org is ORG and the names are NAMES split
   on ",", " and ", "&"; an entry without a dash is one name (it may be an org, e.g.
   "Gremlin", "rachelbythebay"). The link is covered when a normalized org or name
   equals a normalized key of a non-status, non-aggregator feed: its name, its name
   without a "(...)" part, the text inside that part, or its org. Normalizing: NFKD,
   drop accents, casefold, curly quotes straight, every run of non-alphanumerics one
   space. Exact equality only; no substring or fuzzy matching.
4. Feeds with kind="aggregator" (HN, Lobsters, Reddit searches) cover nothing.

Sources: a link's source is its status key (status hosts) or its site (rule 1). "Excluding
single-link sources" drops links whose source occurs once across all issues in the file.
"""
import argparse
import collections
import json
import os
import re
import sys
import tomllib
import unicodedata
from urllib.parse import urlsplit, parse_qs

PLATFORMS_1 = {"medium.com", "dev.to", "github.com", "gitlab.com", "youtube.com", "twitter.com",
               "speakerdeck.com", "substack.com", "gist.github.com"}
PLATFORMS_2 = {"reddit.com": "r", "linkedin.com": "in"}
HOST_ALIASES = {"mobile.twitter.com": "twitter.com", "x.com": "twitter.com",
                "youtu.be": "youtube.com", "m.youtube.com": "youtube.com",
                "old.reddit.com": "reddit.com"}
FEED_PART = re.compile(r"(feed|rss|atom)|\.(xml|html)$", re.I)


def norm(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.casefold().replace("’", "'").replace("‘", "'")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


def host_of(url):
    h = (urlsplit(url).hostname or "").lower().rstrip(".")
    if h.startswith("www."):
        h = h[4:]
    return HOST_ALIASES.get(h, h)


def segments(url):
    return [s for s in urlsplit(url).path.split("/") if s]


def site_of(url):
    """(site, path_prefix_required) for a link url."""
    h, segs = host_of(url), segments(url)
    if h in PLATFORMS_1:
        return h + ("/" + segs[0].lower() if segs else "")
    if h in PLATFORMS_2:
        if len(segs) >= 2 and segs[0].lower() == PLATFORMS_2[h]:
            return "%s/%s/%s" % (h, segs[0].lower(), segs[1].lower())
        return h + ("/" + segs[0].lower() if segs else "")
    return h


def feed_site(url):
    """(site, path prefix) covered by a feed url."""
    h, segs = host_of(url), segments(url)
    for p in ("feeds.", "feed.", "rss."):
        if h.startswith(p) and h.count(".") >= 2:
            h = h[len(p):]
            break
    if h in ("medium.com", "dev.to") and len(segs) >= 2 and segs[0] == "feed":
        return "%s/%s" % (h, segs[1].lower()), ""
    if h == "youtube.com" and segs[:2] == ["feeds", "videos.xml"]:
        cid = parse_qs(urlsplit(url).query).get("channel_id", [""])[0]
        return "youtube.com/channel/%s" % cid.lower(), ""
    if h in PLATFORMS_2 and len(segs) >= 2 and segs[0].lower() == PLATFORMS_2[h]:
        return "%s/%s/%s" % (h, segs[0].lower(), segs[1].lower()), ""
    if h in PLATFORMS_1:
        return h + ("/" + segs[0].lower() if segs else ""), ""
    prefix = []
    for s in segs:
        if FEED_PART.search(s):
            break
        prefix.append(s)
    return h, "/" + "/".join(prefix) if prefix else ""


def status_key(host):
    m = re.match(r"^([a-z0-9-]+)\.statuspage\.io$", host)
    if m:
        return m.group(1)
    if host.startswith("status."):
        labels = host.split(".")[1:]
        return labels[-2] if len(labels) >= 2 else None
    m = re.match(r"^([a-z0-9-]+)\.status\.[a-z]+$", host)
    if m:
        return m.group(1)
    m = re.match(r"^([a-z0-9]+?)-?status\.(com|io|net|org)$", host)
    if m:
        return m.group(1)
    return None


def credit_keys(credit):
    """Normalized names and orgs named by a credit line."""
    keys = set()
    first = re.split(r"\)(?=[^\s)])", credit.strip().split("\n")[0])[0]
    for e in [first]:
        e = re.sub(r"\([^)]*\)?", " ", e)
        e = re.sub(r"^\s*Author:\s*", "", e)
        parts = re.split(r"\s+[—–]\s+|\s*[—–]\s*$", e, maxsplit=1)
        names = parts[0]
        if len(parts) == 2 and parts[1].strip():
            keys.add(norm(parts[1]))
        for n in re.split(r",|\band\b|&", names):
            if norm(n):
                keys.add(norm(n))
    keys.discard("")
    return keys


class Feeds:
    def __init__(self, path):
        with open(path, "rb") as f:
            feeds = tomllib.load(f).get("feed", [])
        self.n = len(feeds)
        self.site = collections.defaultdict(list)      # site -> [(prefix, name)]
        self.status_hosts, self.status_keys = {}, {}
        self.keys = {}                                  # normalized key -> feed name
        for f in feeds:
            if f.get("kind") == "aggregator":
                continue
            name, url = f["name"], f["url"]
            if "status" in (f.get("tags") or []):
                h = host_of(url)
                self.status_hosts[h] = name
                k = status_key(h)
                if k:
                    self.status_keys[k] = name
                continue
            site, prefix = feed_site(url)
            self.site[site].append((prefix, name))
            keys = {norm(name), norm(re.sub(r"\([^)]*\)", " ", name))}
            keys |= {norm(x) for x in re.findall(r"\(([^)]*)\)", name)}
            if f.get("org"):
                keys.add(norm(f["org"]))
            for k in keys:
                if k:
                    self.keys.setdefault(k, name)

    def match(self, link):
        """(how, feed name) or (None, None)."""
        url = link["url"]
        h = host_of(url)
        if h in self.status_hosts:
            return "status", self.status_hosts[h]
        sk = status_key(h)
        if sk and sk in self.status_keys:
            return "status", self.status_keys[sk]
        site = site_of(url)
        path = urlsplit(url).path or "/"
        for prefix, name in self.site.get(site, []):
            if h in PLATFORMS_1 or h in PLATFORMS_2 or not prefix or \
                    path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return "site", name
        for k in sorted(credit_keys(link.get("credit") or "")):
            if k in self.keys:
                return "credit", self.keys[k]
        return None, None


def source_of(link):
    h = host_of(link["url"])
    sk = status_key(h)
    return "status:" + sk if sk else site_of(link["url"])


def pct(a, b):
    return "%.1f%%" % (100.0 * a / b) if b else "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("feeds")
    ap.add_argument("issues", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "coverage-issues.jsonl"))
    ap.add_argument("--uncovered", nargs="?", const=15, type=int, help="list the N most frequent uncovered sources")
    ap.add_argument("--ranges", help="subtotals for issue ranges, e.g. 200-249,250-283,524-529")
    ap.add_argument("--links", action="store_true", help="print every link with its verdict")
    a = ap.parse_args()

    feeds = Feeds(a.feeds)
    issues = [json.loads(l) for l in open(a.issues, encoding="utf-8") if l.strip()]
    rows = []
    for i in issues:
        for l in i["links"]:
            how, name = feeds.match(l)
            rows.append((i["issue"], l, how, name, source_of(l)))
    srcn = collections.Counter(r[4] for r in rows)

    def summary(sel, label):
        n = len(sel)
        cov = sum(1 for r in sel if r[2])
        multi = [r for r in sel if srcn[r[4]] > 1]
        mcov = sum(1 for r in multi if r[2])
        by = collections.Counter(r[2] for r in sel if r[2])
        print("%s: %d issues, %d links, covered %d (%s) [site %d, status %d, credit %d]; "
              "excluding single-link sources: %d/%d (%s)" % (
                  label, len({r[0] for r in sel}), n, cov, pct(cov, n), by["site"], by["status"],
                  by["credit"], mcov, len(multi), pct(mcov, len(multi))))

    print("feeds file: %s (%d feeds); issues file: %s" % (a.feeds, feeds.n, a.issues))
    nums = [i["issue"] for i in issues]
    print("issues: %s" % ", ".join(str(n) for n in nums))
    incomplete = [str(i["issue"]) for i in issues if i.get("complete") is not True]
    print("issues not known to be complete: %s" % (", ".join(incomplete) or "none"))
    summary(rows, "ALL")
    if a.ranges:
        for rg in a.ranges.split(","):
            lo, hi = (int(x) for x in rg.split("-"))
            sel = [r for r in rows if lo <= r[0] <= hi]
            if sel:
                summary(sel, "#%d-#%d" % (lo, hi))
    print()
    print("%-6s %-11s %5s %7s %7s  %s" % ("issue", "published", "links", "covered", "%", "complete"))
    for i in issues:
        sel = [r for r in rows if r[0] == i["issue"]]
        cov = sum(1 for r in sel if r[2])
        print("%-6s %-11s %5d %7d %7s  %s" % ("#%d" % i["issue"], i.get("published") or "-", len(sel),
                                              cov, pct(cov, len(sel)), i.get("complete")))
    if a.links:
        print()
        for n, l, how, name, src in rows:
            print("#%d %-7s %-28s %s | %s" % (n, how or "-", (name or "")[:28], l["url"][:90], l["credit"].replace("\n", " / ")[:70]))
    if a.uncovered:
        print()
        unc = collections.Counter(r[4] for r in rows if not r[2])
        credits = collections.defaultdict(collections.Counter)
        for r in rows:
            if not r[2]:
                credits[r[4]][r[1]["credit"].split("\n")[0][:60]] += 1
        print("most frequent uncovered sources (links; issues; a credit line seen):")
        for src, c in unc.most_common(a.uncovered):
            iss = sorted({r[0] for r in rows if r[4] == src and not r[2]})
            print("  %3d  %-45s issues %s  e.g. %r" % (c, src, ",".join(map(str, iss)),
                                                      credits[src].most_common(1)[0][0]))


if __name__ == "__main__":
    sys.exit(main())
