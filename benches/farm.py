"""What the Python benches share: this checkout's paths, the synthetic feed farm
(../shared/bench/feedfarm.py), a free loopback port, a release build, and a gleaner
config for a list of feed URLs with the shipped rules."""
import os, socket, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared", "bench")


def feedfarm(*args):
    """Runs feedfarm.py (`gen`, `serve`, `touch`, `stop`), quietly; stops on failure."""
    subprocess.run([sys.executable, os.path.join(SHARED, "feedfarm.py"), *args], check=True,
                   stdout=subprocess.DEVNULL)


def free_port():
    """A loopback port nothing listens on now, so two benches never share one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def release_build(given=None):
    """The gleaner binary to measure: `given`, or this checkout's, built now."""
    if given:
        return os.path.abspath(given)
    subprocess.check_call(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    return os.path.join(ROOT, "target", "release", "gleaner")


def write_config(path, urls, settings, listen="127.0.0.1:0", boost_every=0, extra_rules=""):
    """A feeds.toml polling `urls` with the shipped rules. `settings` are lines of
    [settings]; the farm stands in for many blogs on one loopback host, so callers lift
    the per-host limit there. `boost_every`: every n-th feed gets boost = 1.5."""
    rules = open(os.path.join(ROOT, "feeds.toml")).read().split("# ── Rules", 1)[1]
    with open(path, "w") as f:
        f.write(f'[settings]\n{settings}\n\n[server]\nlisten = "{listen}"\n')
        for i, url in enumerate(urls):
            f.write(f'\n[[feed]]\nname = "feed {i}"\nurl = "{url}"\n')
            if boost_every and i % boost_every == 0:
                f.write("boost = 1.5\n")
        f.write("\n# ── Rules" + rules + extra_rules)


def farm_arguments(p):
    """The options every farm bench takes: its size, the farm's port, the build."""
    p.add_argument("--feeds", type=int, default=1000)
    p.add_argument("--entries", type=int, default=20)
    p.add_argument("--port", type=int, default=None, help="the farm's port (default: a free one)")
    p.add_argument("--gleaner", metavar="GLEANER", help="the build to measure (default: this checkout's, built now)")


def parse(p):
    """`p`'s arguments, the farm's port chosen when none was given."""
    a = p.parse_args()
    a.port = a.port or free_port()
    return a


def work_dir(name):
    """A fresh folder for a bench's farm and databases."""
    work = tempfile.mkdtemp(prefix=f"gleaner-{name}-")
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    return work
