#!/usr/bin/env python3
"""Polls under review-page load: does a busy review page slow the daemon's polls?

Serves a farm of synthetic feeds (../shared/bench/feedfarm.py) from nginx, starts
`gleaner daemon` on it (polling every --every seconds), lets its first (cold) poll fill
the database, then before each later poll rewrites 10% of the feeds (so every poll
fetches, parses and writes), and alternates: one poll with the page idle, the next
with --clients concurrent page loads running from the end of the poll before to the
end of this one. Polls' durations come from the daemon's own log ("poll finished"
seconds=...). Prints the median poll idle and under load, their ratio, and the page
loads' p50/p99 latency.

  python3 benches/page_load.py                       # 1,000 feeds x 20 entries, 6 + 6 polls
  python3 benches/page_load.py --polls 10 --clients 50
  python3 benches/page_load.py --gleaner OTHER/target/release/gleaner   # another build
The daemon's clock starts (GLEANER_NOW) in the farm's week, so the page shows a queue:
the farm's 20,000 posts are all that week's candidates (a real week has a few hundred).
  python3 benches/page_load.py --now ''   # the real clock: this week's queue is empty
Needs: nginx (Debian nginx-light) and a release build.
"""
import argparse, asyncio, json, os, shutil, statistics, subprocess, sys, threading, time

from farm import farm_arguments, feedfarm, free_port, parse, release_build, work_dir, write_config


def config(path, urls, db, port, every):
    write_config(path, urls,
                 f'database = "{db}"\nrequest_timeout_secs = 60\nper_host_concurrency = 32\n'
                 f'poll_schedule = "*/{every} * * * * *"\nshortlist_schedule = "0 0 8 1 1 *"',
                 listen=f"127.0.0.1:{port}")


class Load:
    """`clients` page loads always in flight (asyncio, one connection per load)."""

    def __init__(self, port, path, clients):
        self.port, self.path, self.clients = port, path, clients
        self.latencies, self.errors, self.running = [], 0, False
        self.thread = None

    async def one(self):
        request = (f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                   "Connection: close\r\n\r\n").encode()
        while self.running:
            start = time.perf_counter()
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(request)
                await writer.drain()
                head = await reader.readline()
                await reader.read()  # to the end: the whole page
                writer.close()
                if b" 200 " not in head:
                    self.errors += 1
                    continue
            except OSError:
                self.errors += 1
                continue
            self.latencies.append(time.perf_counter() - start)

    def start(self):
        self.running = True

        def run():
            async def all_clients():
                await asyncio.gather(*(self.one() for _ in range(self.clients)))
            asyncio.run(all_clients())
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    p = argparse.ArgumentParser()
    farm_arguments(p)
    p.add_argument("--polls", type=int, default=6, help="polls of each kind (idle, loaded)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--every", type=int, default=10, help="seconds between scheduled polls")
    p.add_argument("--page", default="/", help="what the clients load")
    p.add_argument("--now", default="2024-07-03T12:00:00Z",
                   help="the daemon's clock at its start (GLEANER_NOW; the farm's week by default)")
    p.add_argument("--listen", type=int, default=None, help="the review page's port (default: a free one)")
    a = parse(p)
    a.listen = a.listen or free_port()
    binary = release_build(a.gleaner)
    work = work_dir("pageload")
    daemon, serving = None, False
    try:
        feedfarm("gen", work, "--feeds", str(a.feeds), "--entries", str(a.entries))
        feedfarm("serve", work, "--port", str(a.port))
        serving = True
        urls = [f"http://127.0.0.1:{a.port}/feeds/{i}.xml" for i in range(a.feeds)]
        conf = os.path.join(work, "feeds.toml")
        config(conf, urls, os.path.join(work, "state.db"), a.listen, a.every)
        env = dict(os.environ, GLEANER_NOW=a.now) if a.now else os.environ
        daemon = subprocess.Popen([binary, "--config", conf, "--log-format", "json", "daemon"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)

        def next_poll():
            """Seconds of the next poll the daemon finishes (scheduled polls it skips too)."""
            skipped = 0
            for line in daemon.stderr:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("message") == "poll finished":
                    return event["seconds"], skipped
                if "skipping this scheduled poll" in event.get("message", ""):
                    skipped += 1
            sys.exit("the daemon exited")

        cold, _ = next_poll()
        print(f"cold poll {cold:.2f} s; then {a.polls} idle and {a.polls} loaded polls, alternating", flush=True)
        load = Load(a.listen, a.page, a.clients)
        idle, loaded, skipped_total = [], [], 0
        for i in range(2 * a.polls):
            feedfarm("touch", work, "--fraction", "0.1", "--generation", str(i + 1))
            under_load = i % 2 == 1
            if under_load:
                load.start()
            seconds, skipped = next_poll()
            if under_load:
                load.stop()
            skipped_total += skipped
            (loaded if under_load else idle).append(seconds)
            print(f"poll {i + 1}: {seconds:.3f} s {'under load' if under_load else 'idle'}", flush=True)
        lat = load.latencies
        ratio = statistics.median(loaded) / statistics.median(idle)
        print(f"\n{a.feeds} feeds x {a.entries} entries, 10% changed before each poll; "
              f"{a.clients} concurrent loads of {a.page} (clock from {a.now or 'now'})")
        print(f"poll, idle:        median {statistics.median(idle):.3f} s  ({', '.join(f'{s:.2f}' for s in idle)})")
        print(f"poll, under load:  median {statistics.median(loaded):.3f} s  ({', '.join(f'{s:.2f}' for s in loaded)})")
        print(f"ratio loaded/idle: {ratio:.2f}x   scheduled polls skipped: {skipped_total}")
        if lat:
            print(f"page loads: {len(lat)} ({load.errors} failed), p50 {pct(lat, 50) * 1000:.0f} ms, "
                  f"p99 {pct(lat, 99) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms")
    finally:
        if daemon:
            daemon.terminate()
            daemon.wait()
        if serving:
            feedfarm("stop", work)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
