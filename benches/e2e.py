#!/usr/bin/env python3
"""End-to-end comparison: gleaner vs the feedparser baseline on the same feed farm.

Generates N synthetic feeds with ../shared/bench/feedfarm.py, serves them from nginx on
127.0.0.1, then runs `gleaner poll` and ../shared/bench/baseline_feedparser.py
alternately, each on its own database, for three cases:

  cold     empty databases: every feed fetched, parsed, stored
  warm     every feed answers 304 Not Modified
  changed  10% of the feeds rewritten with new entries (feedfarm.py touch)

Each case runs --runs times (fresh state each time) and the medians of wall time, CPU
time (user + sys) and peak RSS are printed, with gleaner's speed-up over the baseline.

  python3 benches/e2e.py                 # 1,000 feeds x 20 entries, 5 runs
  python3 benches/e2e.py --feeds 10000 --runs 3 --no-baseline
  python3 benches/e2e.py --floor         # then what SQLite alone needs (sqlite_floor.py)
  python3 benches/e2e.py --also OTHER/gleaner   # a second build, run alternately with this one
Needs: nginx (Debian nginx-light), pip feedparser requests, a release build.
"""
import argparse, os, shutil, statistics, subprocess, sys, time

from farm import HERE, SHARED, farm_arguments, feedfarm, parse, release_build, work_dir, write_config


def run(cmd, env=None):
    """Runs cmd; returns (wall seconds, cpu seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def gleaner_config(path, urls, db, binary):
    # No article pages: the baseline reads none, and the farm's links point at hosts
    # that do not exist (benches/reach.py measures reading them). A build from before
    # article pages (--also) knows no such setting, and reads none anyway.
    with open(path, "w") as f:
        f.write('[settings]\nfetch_articles = "never"\n')
    probe = subprocess.run([binary, "--config", path, "check"], capture_output=True, text=True)
    articles = "" if "unknown key `fetch_articles`" in probe.stderr + probe.stdout else 'fetch_articles = "never"\n'
    # The farm stands in for 1,000 different blogs but lives on one loopback host:
    # lift the per-host politeness limit (2) that would otherwise serialize it.
    write_config(path, urls, f'database = "{db}"\nrequest_timeout_secs = 60\nper_host_concurrency = 32\n{articles}')


class Side:
    def __init__(self, name, work, urls, binary=None):
        self.name, self.dir, self.binary = name, os.path.join(work, name), binary
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "state.db")
        if binary:
            self.config = os.path.join(self.dir, "feeds.toml")
            gleaner_config(self.config, urls, self.db, binary)
        else:
            self.urls = os.path.join(self.dir, "urls.txt")
            open(self.urls, "w").write("\n".join(urls) + "\n")

    def reset(self):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)

    def snapshot(self, tag):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                shutil.copy(self.db + suffix, f"{self.db}.{tag}{suffix}")
        # The copy's writeback must not land in the next timed run (at 10,000 feeds the
        # warm poll took 0.92 s right after a 490 MB copy, 0.5 s on its own).
        os.sync()

    def restore(self, tag):
        self.reset()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{self.db}.{tag}{suffix}"):
                shutil.copy(f"{self.db}.{tag}{suffix}", self.db + suffix)
        os.sync()

    def poll(self):
        if self.binary:
            return run([self.binary, "--config", self.config, "poll", "--force"])
        return run([sys.executable, os.path.join(SHARED, "baseline_feedparser.py"), self.urls, self.db])


def main():
    p = argparse.ArgumentParser()
    farm_arguments(p)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--also", metavar="GLEANER", help="another gleaner build, run alternately with this one")
    p.add_argument("--floor", action="store_true",
                   help="then replay gleaner's cold database with benches/sqlite_floor.py")
    a = parse(p)
    this = release_build(a.gleaner)
    work = work_dir("bench")
    feedfarm("gen", work, "--feeds", str(a.feeds), "--entries", str(a.entries))
    feedfarm("serve", work, "--port", str(a.port))
    try:
        urls = [f"http://127.0.0.1:{a.port}/feeds/{i}.xml" for i in range(a.feeds)]
        sides = [Side("gleaner", work, urls, this)]
        if a.also:
            sides.append(Side("other", work, urls, os.path.abspath(a.also)))
        if not a.no_baseline:
            sides.append(Side("baseline", work, urls))
        results = {}
        for run_i in range(a.runs):
            # Every run starts from the same farm: generation 0 everywhere.
            feedfarm("gen", work, "--feeds", str(a.feeds), "--entries", str(a.entries))
            for side in sides:
                side.reset()
                results.setdefault(("cold", side.name), []).append(side.poll())
                side.snapshot("cold")
                results.setdefault(("warm", side.name), []).append(side.poll())
            feedfarm("touch", work, "--fraction", "0.1", "--generation", str(run_i + 1))
            for side in sides:
                side.restore("cold")
                results.setdefault(("changed", side.name), []).append(side.poll())
        print(f"\n{a.feeds} feeds x {a.entries} entries, median of {a.runs} runs")
        print(f"{'case':8} {'side':9} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  speed-up (wall)")
        for case in ("cold", "warm", "changed"):
            med = {}
            for side in sides:
                rows = results[(case, side.name)]
                med[side.name] = [statistics.median(r[i] for r in rows) for i in range(3)]
            for side in sides:
                wall, cpu, rss = med[side.name]
                ratio = ""
                if side.binary and "baseline" in med:
                    ratio = f"{med['baseline'][0] / wall:6.1f}x"
                print(f"{case:8} {side.name:9} {wall:8.3f} {cpu:8.3f} {rss:9.1f}  {ratio}")
        print(f"\ngleaner's last summary:\n{results[('changed', 'gleaner')][-1][3]}")
        if a.floor:
            print("What SQLite alone needs to insert the cold poll's posts:")
            subprocess.check_call([sys.executable, os.path.join(HERE, "sqlite_floor.py"), sides[0].db + ".cold"])
    finally:
        feedfarm("stop", work)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
