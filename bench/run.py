"""Benchmark: the shop under gunicorn on the sandbox with a slow VdM.

    python bench/run.py                      # the classic part (below), as it always was
    python bench/run.py --part all           # every part: classic, scale and cluster
    python bench/run.py --part scale --duration 5
    python bench/run.py --smoke              # every part, very briefly: does the benchmark still run?

Every server runs on a free loopback port with the settings in gunicorn.conf.py; VdM is a
standalone sandbox (4 workers) whose every API call is delayed (--delay-ms, 50) and whose
access log counts the calls the shop makes. Needs `wrk` and `redis-server`
(apt-get install wrk redis-server).

classic   The demo venue (7 shows, 16 performances), one shop (2 workers, Redis, or each
          worker's memory with --cache memory) and a bare Flask app. Each page under wrk:
          requests per second, p50 and p99, throughput against the bare app, VdM calls per
          view, and the peak memory of each shop worker.
scale     The demo venue and the large one (--venue, `large`: 150 shows, 450 performances),
          each with a fresh shop (2 workers, Redis): the cold start (from starting gunicorn
          until the programme shows prices), the full refresh time from the shop's
          "catalogue: ... loaded in X s" line, and the programme, show and performance pages
          under wrk side by side, with p99(large)/p99(demo).
cluster   Two shops (2 workers each, separate instance folders, one Redis, as two hosts) on
          the large venue with a short SHOP_CATALOGUE_REFRESH (--cluster-refresh, 20 s), both
          loaded with catalogue pages for --cluster-duration (60 s). VdM calls from the
          sandbox's access log per kind and per refresh round, against 1 + performances on
          sale + 1 per round.

Every part also checks the shop's JSON request log: catalogue pages (GET /, /shows/…,
/performances/…) made after the first snapshot must not have waited on VdM (vdm_calls 0).

Performance targets are printed, never asserted. The exit status is 1 only when a part
could not run (a server did not start, wrk failed, no prices appeared, no refresh was logged).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the repository is not
    sys.path.insert(0, str(ROOT))

from bench.logs import (  # noqa: E402
    Waits,
    catalogue_waits,
    on_sale,
    pages_on_sale,
    refreshes,
    rounds,
    seconds_between,
    vdm_calls,
)

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SECRET = "bench-" + "x" * 40
PRICES = "from €"  # the programme in English once the lowest prices are known
PARTS = ("classic", "scale", "cluster")


class BenchError(Exception):
    """A part could not run (as opposed to a target that was missed)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now() -> datetime:
    return datetime.now(timezone.utc)


def clean_environment() -> dict:
    """This shell's environment without the shop's, the sandbox's and gunicorn's own settings:
    a developer's exported SHOP_REDIS_URL or SANDBOX_CATALOGUE must not change the figures."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("VDM_", "SHOP_", "SANDBOX_", "GUNICORN_"))}


class Rig:
    """The servers of one measurement, on free loopback ports, their logs in one folder,
    stopped together."""

    def __init__(self, folder: Path, name: str):
        self.folder = folder / name
        self.folder.mkdir(parents=True)
        self.procs: list[subprocess.Popen] = []

    def launch(self, name: str, args: list[str], env: dict) -> tuple[subprocess.Popen, str]:
        """Start a gunicorn (gunicorn.conf.py) and return at once, with its address."""
        port = free_port()
        env = {**clean_environment(), **env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        with open(self.folder / f"{name}.log", "w") as log:
            proc = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", *args], cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc, f"http://127.0.0.1:{port}"

    def wait_up(self, name: str, proc: subprocess.Popen, url: str, path: str = "/healthz") -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BenchError(f"{name} exited at start:\n{self.tail(name)}")
            try:
                requests.get(url + path, timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise BenchError(f"{name} did not start in 30 s:\n{self.tail(name)}")

    def start(self, name: str, args: list[str], env: dict) -> tuple[subprocess.Popen, str]:
        proc, url = self.launch(name, args, env)
        self.wait_up(name, proc, url)
        return proc, url

    def redis(self) -> str:
        if not shutil.which("redis-server"):
            raise BenchError("redis-server is not installed: apt-get install redis-server")
        port = free_port()
        self.procs.append(subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, start_new_session=True))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return f"redis://127.0.0.1:{port}/0"
            except OSError:
                time.sleep(0.05)
        raise BenchError("redis-server did not start")

    def sandbox(self, delay_ms: int, catalogue: str | None = None) -> tuple[subprocess.Popen, str]:
        """The stand-in for VdM: 4 workers so it is never the bottleneck, every call delayed,
        every call in vdm-calls.log."""
        env = {"SANDBOX_INSTANCE_PATH": str(self.folder / "sandbox"), "GUNICORN_WORKERS": "4",
               "GUNICORN_THREADS": "16", "SANDBOX_DELAY_MS": str(delay_ms), "SANDBOX_PENDING_SECONDS": "86400"}
        if catalogue:
            env["SANDBOX_CATALOGUE"] = catalogue
        return self.start("sandbox", ["--access-logfile", str(self.calls_log), "vdm_sandbox:create_app()"], env)

    @property
    def calls_log(self) -> Path:
        return self.folder / "vdm-calls.log"

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tail(self, name: str, lines: int = 15) -> str:
        return "\n".join(self.log(name).splitlines()[-lines:])

    def stop(self) -> None:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def shop_env(sandbox: str, instance: Path, redis_url: str | None, **extra: str) -> dict:
    env = {"VDM_API_URL": sandbox + "/v1", "SHOP_SECRET_KEY": SECRET, "SHOP_INSTANCE_PATH": str(instance),
           "GUNICORN_WORKERS": "2", "SHOP_RATE_LIMIT_CART": "100000 per minute",
           "SHOP_RATE_LIMIT_ORDER": "100000 per minute", **extra}
    if redis_url:
        env["SHOP_REDIS_URL"] = redis_url
    return env


@dataclass
class ColdStart:
    answered: float  # seconds from starting gunicorn until the programme answered 200
    priced: float  # … until it showed prices
    ready_at: datetime  # when prices were first seen: "after the first snapshot" starts here


def wait_for_prices(rig: Rig, name: str, proc: subprocess.Popen, url: str, started: float,
                    timeout: float = 90) -> ColdStart:
    """Poll the programme in English until it shows a lowest price ("from €…")."""
    answered = None
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited at start:\n{rig.tail(name)}")
        try:
            page = requests.get(url + "/", headers={"Accept-Language": "en"}, timeout=15)
        except requests.ConnectionError:
            time.sleep(0.05)
            continue
        if page.status_code == 200:
            answered = answered or time.monotonic() - started
            if PRICES in page.text:
                return ColdStart(answered, time.monotonic() - started, now())
        time.sleep(0.05)
    raise BenchError(f"{name}: the programme showed no prices within {timeout:.0f} s:\n{rig.tail(name)}")


def cold_start(rig: Rig, name: str, env: dict) -> tuple[subprocess.Popen, str, ColdStart]:
    started = time.monotonic()
    proc, url = rig.launch(name, [], env)
    return proc, url, wait_for_prices(rig, name, proc, url, started)


class CpuShare:
    """How busy the machine's cores were while a part ran, and how much of that was not this
    benchmark (itself and every process it started and has reaped): other work on the machine
    takes cores from the servers and skews every figure."""

    def __init__(self):
        self.wall, self.busy, self.ours = time.monotonic(), self._busy(), self._ours()

    @staticmethod
    def _busy() -> float:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _ours() -> float:
        return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))

    def report(self) -> str:
        wall = time.monotonic() - self.wall
        available = wall * (os.cpu_count() or 1)
        busy, ours = self._busy() - self.busy, self._ours() - self.ours
        other = max(0.0, busy - ours)
        return (f"{wall:.0f} s; the {os.cpu_count()} cores were {busy / available:.0%} busy, "
                f"{other / available:.0%} of their time with work other than this benchmark")


# --- wrk -----------------------------------------------------------------------------------


def wrk_command(url: str, duration: int, connections: int, cookie: str | None = None,
                script: Path | None = None, threads: int = 2) -> list[str]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script:
        command += ["-s", str(script)]
    return command + [url]


def wrk_parse(out: str) -> dict:
    try:
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        total = int(re.search(r"(\d+) requests in", out).group(1))
    except AttributeError:
        raise BenchError(f"wrk gave no figures:\n{out}") from None
    if total == 0:
        raise BenchError(f"wrk made no requests:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    result = {"rps": rate, "requests": total, "non2xx": int(errors.group(1)) if errors else 0,
              "socket_errors": sockets.group(1).strip() if sockets else "",
              "p50": latency(out, "50%"), "p99": latency(out, "99%")}
    if result["non2xx"] > total / 2:
        raise BenchError(f"most answers were errors ({result['non2xx']} of {total}):\n{out}")
    return result


def wrk(url: str, duration: int, connections: int, cookie: str | None = None) -> dict:
    done = subprocess.run(wrk_command(url, duration, connections, cookie), capture_output=True, text=True)
    if done.returncode:
        raise BenchError(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    return wrk_parse(done.stdout)


def latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def rotating_script(folder: Path, paths: list[str]) -> Path:
    """A wrk script that asks for `paths` in turn (each thread from its own place in the list)."""
    script = folder / "pages.lua"
    listed = ", ".join(json.dumps(p) for p in paths)
    script.write_text(f"local paths = {{{listed}}}\nlocal i = math.random(#paths)\n"
                      "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n")
    return script


# --- shared helpers ------------------------------------------------------------------------


def peak_memory_mb(master: subprocess.Popen) -> list[float]:
    children = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    peaks = []
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return peaks


def visitor_cookie(shop: str, performance: int = 101) -> str:
    """A browsing visitor's session: browsers keep the session cookie once a page with a form
    (a ticket page, of a performance on sale) gave one; wrk would otherwise be a brand-new
    visitor on every request."""
    visitor = requests.Session()
    visitor.get(f"{shop}/performances/{performance}", timeout=15).raise_for_status()
    return f"session={visitor.cookies['session']}"


def upcoming(sandbox: str) -> list:
    """VdM's events/upcoming, asked under another client name than the shop's, so that the
    benchmark's own question is not counted among the shop's calls."""
    return requests.get(sandbox + "/v1/bench/events/upcoming", timeout=30).json()


def first_refresh(rig: Rig, name: str):
    found = refreshes(rig.log(name))
    if not found:
        raise BenchError(f"{name} logged no 'catalogue: ... loaded in' line:\n{rig.tail(name)}")
    return found


def print_waits(label: str, waits: Waits) -> None:
    settling = (f", {waits.settling} of them in the first second after the first prices were seen"
                if waits.settling else "")
    print(f"{label}: {waits.after} catalogue requests after the first snapshot, "
          f"{waits.after_waiting} with vdm_calls > 0 (target 0){settling}; before it "
          f"{waits.before} requests, {waits.before_waiting} of them waited on VdM (allowed)")
    for entry in waits.examples:
        print(f"    waited: {json.dumps(entry)}")


def waits_target(part: str, waits: Waits) -> tuple[str, str, bool]:
    later = waits.after_waiting - waits.settling
    detail = (f" ({waits.settling} in the first second after the first prices, {later} later)"
              if waits.settling else "")
    return (f"{part}: zero catalogue requests waiting on VdM after the first snapshot",
            f"{waits.after_waiting} of {waits.after}{detail}", waits.after_waiting == 0)


def verdict(met: bool | None) -> str:
    return "not measured" if met is None else "met" if met else "NOT met"


# --- classic: every page of the demo venue -------------------------------------------------


def prepare(shop: str) -> tuple[str, str, str]:
    """A browsing visitor's session, a buyer's session with tickets in the cart, and the key of
    an order left pending."""
    visitor = visitor_cookie(shop)
    buyer = requests.Session()
    page = buyer.get(shop + "/performances/101", timeout=10).text
    buyer.post(shop + "/performances/101", data={"csrf_token": TOKEN.search(page).group(1), "qty_2ePdA8q3BN": "2"},
               timeout=10)
    cart_cookie = f"session={buyer.cookies['session']}"
    payer = requests.Session()
    page = payer.get(shop + "/performances/201", timeout=10).text
    payer.post(shop + "/performances/201", data={"csrf_token": TOKEN.search(page).group(1), "qty_2ePdA8q3BN": "1"},
               timeout=10)
    html = payer.get(shop + "/checkout/", timeout=10).text
    form = {"csrf_token": TOKEN.search(html).group(1), "email": "bench@example.org", "firstname": "B",
            "lastname": "Bench", "payment_id": "33",
            **{k: re.search(rf'name="{k}" type="hidden" value="([^"]*)"', html).group(1)
               for k in ("cart_id", "cart_version")}}
    pay_url = payer.post(shop + "/checkout/", data=form, allow_redirects=False, timeout=10).headers["Location"]
    pay_page = payer.get(pay_url, timeout=10).text
    payer.post(pay_url, data={"csrf_token": TOKEN.search(pay_page).group(1), "pending": "x"}, allow_redirects=False,
               timeout=10)
    return visitor, cart_cookie, pay_url.rsplit("/", 1)[1]


def part_classic(args, folder: Path, summary: list) -> None:
    print(f"\n=== classic: every page of the demo venue (16 performances), shared state in {args.cache} ===")
    rig = Rig(folder, "classic")
    try:
        redis_url = rig.redis() if args.cache == "redis" else None
        _, sandbox = rig.sandbox(args.delay_ms)
        shop_proc, shop, cold = cold_start(rig, "shop", shop_env(sandbox, rig.folder / "shop", redis_url))
        _, bare = rig.start("bare", ["bench.bare:app"], {"GUNICORN_WORKERS": "2"})

        visitor, cart_cookie, order_key = prepare(shop)
        pages = [
            ("bare Flask page", bare + "/", None),
            ("programme", shop + "/", visitor),
            ("show", shop + "/shows/100", visitor),
            ("performance", shop + "/performances/101", visitor),
            ("programme, new visitor", shop + "/", None),
            ("cart", shop + "/cart/", cart_cookie),
            ("order page (pending)", shop + f"/order/{order_key}", None),
        ]
        for _, url, cookie in pages:  # warm up
            requests.get(url, headers={"Cookie": cookie} if cookie else {}, timeout=30)

        results = []
        for name, url, cookie in pages:
            before = len(rig.calls_log.read_text().splitlines())
            result = wrk(url, args.duration, args.connections, cookie)
            time.sleep(args.settle)  # let the access log catch up
            result["vdm_calls"] = len(rig.calls_log.read_text().splitlines()) - before
            results.append((name, result))
        memory = peak_memory_mb(shop_proc)
        waits = catalogue_waits(rig.log("shop"), cold.ready_at)
    finally:
        rig.stop()

    base, base_p99 = results[0][1]["rps"], results[0][1]["p99"]
    print(f"{args.connections} connections, {args.duration:g} s per page, VdM delay {args.delay_ms} ms, "
          f"{os.cpu_count()} cores; programme with prices {cold.priced:.1f} s after starting the shop\n")
    print(f"{'page':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'p99/bare':>9} {'VdM/view':>9} "
          f"{'VdM calls':>9}")
    for name, r in results:
        per_view = r["vdm_calls"] / r["requests"] if r["requests"] else 0
        print(f"{name:<22} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['rps'] / base:>8.0%} "
              f"{r['p99'] / base_p99:>8.1f}× {per_view:>9.4f} {r['vdm_calls']:>9}"
              + (f"  ({r['non2xx']} non-2xx)" if r["non2xx"] else ""))
    order = results[-1][1]
    allowed = int(args.duration // 10) + 1
    print(f"\norder page: {order['vdm_calls']} status calls to VdM in {args.duration:g} s of load "
          f"(at most one per 10 s allowed: {allowed})")
    print("peak memory per shop worker: " + ", ".join(f"{mb:.0f} MB" for mb in memory))
    # Issue 15's targets, from this one run: each catalogue page at least half the bare page's
    # throughput, with p99 at most twice the bare page's; under 100 MB per worker.
    for name, r in results[1:4]:
        summary.append((f"classic: {name} ≥ 50% of the bare page's req/s, p99 ≤ 2× its p99",
                        f"{r['rps'] / base:.0%}, p99 {r['p99']:.1f} ms = {r['p99'] / base_p99:.1f}× {base_p99:.1f} ms",
                        r["rps"] >= base / 2 and r["p99"] <= 2 * base_p99))
    summary.append(("classic: peak memory per shop worker < 100 MB", ", ".join(f"{mb:.0f} MB" for mb in memory),
                    bool(memory) and max(memory) < 100))
    print_waits("zero waits (classic)", waits)
    summary.append(("classic: order page at most one VdM call per 10 s", f"{order['vdm_calls']} calls, "
                    f"{allowed} allowed", order["vdm_calls"] <= allowed))
    summary.append(waits_target("classic", waits))


# --- scale: the demo venue against the large one -------------------------------------------


def venue(args, rig: Rig, label: str, catalogue: str | None) -> dict:
    """A fresh shop (2 workers, Redis) on a fresh sandbox serving `catalogue`, started cold:
    its cold start, and the three catalogue pages to measure."""
    redis_url = rig.redis()
    _, sandbox = rig.sandbox(args.delay_ms, catalogue)
    events = upcoming(sandbox)
    shop_proc, shop, cold = cold_start(rig, "shop", shop_env(sandbox, rig.folder / "shop", redis_url))
    if catalogue is None:
        show, performance = 100, 101  # the demo venue's, as in the classic part
    else:
        shows, performance_ids = pages_on_sale(events, now(), 1)
        if not shows:
            raise BenchError(f"{catalogue}: no show with a performance on sale")
        show, performance = shows[0], performance_ids[0]
    visitor = visitor_cookie(shop, performance)
    pages = [("programme", "/"), ("show", f"/shows/{show}"), ("performance", f"/performances/{performance}")]
    for _, path in pages:  # warm up
        requests.get(shop + path, headers={"Cookie": visitor}, timeout=30).raise_for_status()
    return {"label": label, "rig": rig, "shop": shop, "proc": shop_proc, "visitor": visitor, "pages": pages,
            "shows": len(events), "performances": sum(len(e.get("sub_events") or []) for e in events),
            "on_sale": on_sale(events, now()), "cold": cold, "runs": {name: [] for name, _ in pages}}


def median_run(runs: list[dict]) -> dict:
    """The run with the median p99 (of an odd number; the higher middle one of an even number)."""
    return sorted(runs, key=lambda r: r["p99"])[len(runs) // 2]


def part_scale(args, folder: Path, summary: list) -> None:
    print(f"\n=== scale: the demo venue against the large one ({args.venue}), a fresh shop each "
          f"(2 workers, Redis), VdM delay {args.delay_ms} ms ===")
    rigs = [Rig(folder, "demo"), Rig(folder, "large")]
    try:
        # One after the other, so that each cold start has the machine to itself; then both
        # stay up and every page is measured on each in turn, so that a change in the
        # machine's load between two runs does not end up as a difference between the venues.
        small = venue(args, rigs[0], "demo", None)
        large = venue(args, rigs[1], "large", args.venue)
        for _ in range(args.repeat):
            for n, (name, _) in enumerate(small["pages"]):
                for v in (small, large):
                    url = v["shop"] + v["pages"][n][1]
                    v["runs"][name].append(wrk(url, args.duration, args.connections, v["visitor"]))
        time.sleep(args.settle)
        for v in (small, large):
            v["results"] = {name: median_run(runs) for name, runs in v["runs"].items()}
            v["refreshes"] = first_refresh(v["rig"], "shop")
            v["waits"] = catalogue_waits(v["rig"].log("shop"), v["cold"].ready_at)
            v["memory"] = peak_memory_mb(v["proc"])
    finally:
        for rig in rigs:
            rig.stop()
    for v in (small, large):
        first = v["refreshes"][0]
        print(f"\n{v['label']} venue: {v['shows']} shows, {v['performances']} upcoming performances, {v['on_sale']} on sale")
        print(f"  cold start: the programme answered {v['cold'].answered:.2f} s after starting gunicorn, "
              f"showed prices after {v['cold'].priced:.2f} s")
        print(f"  full refresh (the first; it also loads halls and genres): {first.shows} shows, {first.prices} "
              f"prices loaded in {first.seconds:.2f} s")
        print("  peak memory per shop worker: " + ", ".join(f"{mb:.0f} MB" for mb in v["memory"]))
        print_waits("  zero waits", v["waits"])

    print(f"\n{args.connections} connections, {args.duration:g} s per page"
          + (f", each {args.repeat} times (the run with the median p99 shown)" if args.repeat > 1 else "")
          + ", the two venues in turn, a visitor with a session cookie\n")
    head = f"{'page':<12} {'path (' + small['label'] + ')':<22} {'path (' + large['label'] + ')':<24}"
    print(f"{head} {'req/s':>7} {'req/s':>7} {'p50':>7} {'p50':>7} {'p99':>7} {'p99':>7} {'p99 ratio':>9}")
    sizes = f"{small['performances']:>7} {large['performances']:>7} "
    print(f"{'':<12} {'':<22} {'':<24} {sizes * 3}{'(≤ 1.20)':>9}   (performances)")
    ratios = {}
    for (name, small_path), (_, large_path) in zip(small["pages"], large["pages"], strict=True):
        a, b = small["results"][name], large["results"][name]
        ratios[name] = b["p99"] / a["p99"]
        errors = "".join(f"  ({r['non2xx']} non-2xx at {v['performances']})" for r, v in ((a, small), (b, large))
                         if r["non2xx"])
        print(f"{name:<12} {small_path:<22} {large_path:<24} {a['rps']:>7.0f} {b['rps']:>7.0f} {a['p50']:>7.1f} "
              f"{b['p50']:>7.1f} {a['p99']:>7.1f} {b['p99']:>7.1f} {ratios[name]:>9.2f}{errors}")
        if args.repeat > 1:
            print(f"{'':<12} p99 of each run: demo " + " ".join(f"{r['p99']:.0f}" for r in small["runs"][name])
                  + ", large " + " ".join(f"{r['p99']:.0f}" for r in large["runs"][name]))

    refresh = large["refreshes"][0].seconds
    print(f"\ncold start on the large venue: prices after {large['cold'].priced:.2f} s; "
          f"full refresh of {large['refreshes'][0].prices} prices in {refresh:.2f} s "
          f"(target under 5 s: {verdict(refresh < 5)})")
    print("p99(large)/p99(demo): " + ", ".join(f"{n} {r:.2f}" for n, r in ratios.items())
          + f" (target within 20%: {verdict(all(r <= 1.2 for r in ratios.values()))})")
    summary.append(("scale: full refresh of the large venue under 5 s", f"{refresh:.2f} s", refresh < 5))
    for name, ratio in ratios.items():
        summary.append((f"scale: {name} p99 at {large['performances']} performances within 20% of "
                        f"{small['performances']}", f"ratio {ratio:.2f}", ratio <= 1.2))
    waits = small["waits"] + large["waits"]
    summary.append(waits_target("scale", waits))


# --- cluster: two hosts of two workers on one Redis -----------------------------------------


def part_cluster(args, folder: Path, summary: list) -> None:
    refresh = args.cluster_refresh
    print(f"\n=== cluster: 2 shops × 2 workers, one Redis, large venue ({args.venue}), "
          f"SHOP_CATALOGUE_REFRESH={refresh:g}, {args.cluster_duration:g} s of catalogue pages, "
          f"VdM delay {args.delay_ms} ms ===")
    rig = Rig(folder, "cluster")
    try:
        redis_url = rig.redis()
        _, sandbox = rig.sandbox(args.delay_ms, args.venue)
        events = upcoming(sandbox)
        selling = on_sale(events, now())
        started_at = now()
        started = time.monotonic()
        shops = []
        for name in ("shop-a", "shop-b"):
            env = shop_env(sandbox, rig.folder / name, redis_url, SHOP_CATALOGUE_REFRESH=f"{refresh:g}")
            shops.append((name, *rig.launch(name, [], env)))
        colds = [wait_for_prices(rig, name, proc, url, started) for name, proc, url in shops]

        show_ids, performance_ids = pages_on_sale(events, now(), 10)
        paths = ["/", "/?page=2", "/?page=3"] + [f"/shows/{i}" for i in show_ids] + \
                [f"/performances/{i}" for i in performance_ids]
        script = rotating_script(rig.folder, paths)
        cookie = visitor_cookie(shops[0][2], performance_ids[0])  # one secret key: the session is good on both hosts
        load_from = now()
        loads = [subprocess.Popen(wrk_command(url, args.cluster_duration, max(1, args.connections // 2), cookie,
                                              script, threads=1), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for _, _, url in shops]
        outs = [load.communicate()[0] for load in loads]
        load_to = now()
        for load, out in zip(loads, outs, strict=True):
            if load.returncode:
                raise BenchError(f"wrk failed:\n{out}")
        results = [wrk_parse(out) for out in outs]
        finish_refreshes(rig, [name for name, _, _ in shops])  # a refresh under way is counted whole
        logs = {name: rig.log(name) for name, _, _ in shops}
        calls = vdm_calls(rig.calls_log.read_text())
        selling_after = on_sale(upcoming(sandbox), now())
    finally:
        rig.stop()

    print(f"{len(paths)} pages in turn ({len(show_ids)} shows, {len(performance_ids)} performances, the "
          f"programme's first 3 pages), {max(1, args.connections // 2)} connections per shop")
    for (name, _, _), cold, r in zip(shops, colds, results, strict=True):
        print(f"  {name}: prices {cold.priced:.2f} s after starting; {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, "
              f"p99 {r['p99']:.1f} ms, {r['requests']} requests" + (f", {r['non2xx']} non-2xx" if r["non2xx"] else ""))
    per_shop = {name: refreshes(log) for name, log in logs.items()}
    times = [r.seconds for found in per_shop.values() for r in found]
    print("refreshes done, from the shops' logs: " + ", ".join(f"{n} {len(f)}" for n, f in per_shop.items())
          + (f"; each took {min(times):.2f} to {max(times):.2f} s (median {statistics.median(times):.2f})"
             if times else ""))
    if not times:
        raise BenchError("no shop logged a refresh")

    found, outside = rounds(calls)
    waits = sum((catalogue_waits(logs[name], cold.ready_at) for (name, _, _), cold in zip(shops, colds, strict=True)),
                Waits())
    expected = 1 + selling + 1
    print(f"\nperformances on sale (status pub, event_free > 0, in the future): {selling}"
          + (f" at the start, {selling_after} at the end" if selling_after != selling else "")
          + f"; expected VdM calls per refresh: 1 + {selling} + 1 = {expected}. The first round also asks for "
            f"halls and genres (+ 2), and pages asked for {waits.calls} ticket types themselves while the first "
            "snapshot had no prices yet")
    print(f"\n{'round':>5} {'starts at':>9} {'after last':>10} {'upcoming':>9} {'tickettypes':>11} "
          f"{'paymentmethods':>14} {'locations':>9} {'eventtypes':>10} {'total':>6} {'expected':>8}  when")
    previous = None
    overlaps = 0
    later = []  # (measured, expected) of every round after the cold start
    for n, rnd in enumerate(found, 1):
        want = expected + (2 + waits.calls if n == 1 else 0)
        at = seconds_between(started_at, rnd.start)
        gap = seconds_between(previous, rnd.start) if previous else None
        if gap is not None and gap < refresh / 2:
            overlaps += 1
        when = "cold start" if n == 1 else "under load" if rnd.start <= load_to else "after the load"
        if n > 1:
            later.append((rnd.total, want))
        c = rnd.counts
        print(f"{n:>5} {at:>8.0f}s {(f'{gap:.0f}s' if gap is not None else '-'):>10} {c['events/upcoming']:>9} "
              f"{c['tickettypes']:>11} {c['paymentmethods']:>14} {c['locations']:>9} {c['eventtypes']:>10} "
              f"{rnd.total:>6} {want:>8}  {when}")
        previous = rnd.start
    if outside:
        print("other VdM calls: " + ", ".join(f"{kind} {count}" for kind, count in outside.items()))
    print(f"{len(found)} refresh rounds from {len(calls)} calls; the shops started at 0 s, the load ran from "
          f"{seconds_between(started_at, load_from):.0f} s to {seconds_between(started_at, load_to):.0f} s; "
          f"rounds starting less than {refresh / 2:g} s apart (two refreshers at once): {overlaps}")
    print_waits("zero waits (cluster)", waits)
    ok = None if not later else all(m == w for m, w in later) and overlaps == 0 and not outside
    print(f"VdM calls per refresh after the cold start = 1 + on sale + 1, once for the whole cluster: {verdict(ok)}"
          + (" (no refresh after the cold start: load for longer than the refresh interval)" if ok is None else ""))
    summary.append(("cluster: VdM calls per refresh = 1 + on sale + 1, cluster-wide",
                    f"{len(later)} refreshes after the cold start"
                    + (", calls " + ", ".join(str(m) for m, _ in later) if later else "")
                    + f", expected {expected} each; two refreshers at once: {overlaps}", ok))
    summary.append(waits_target("cluster", waits))


def finish_refreshes(rig: Rig, names: list[str], longest: float = 60) -> None:
    """Wait until every refresh that VdM saw start (an events/upcoming call) has been logged as
    loaded by one of the shops, at most `longest` seconds: a refresh under way when the load
    ends is counted whole, not cut off by stopping the servers."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        started = sum(call.kind == "events/upcoming" for call in vdm_calls(rig.calls_log.read_text()))
        if sum(len(refreshes(rig.log(name))) for name in names) >= started:
            time.sleep(0.5)  # the access log of the last calls
            return
        time.sleep(0.2)
    print(f"(a refresh was still not finished {longest:.0f} s after the load)")


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=[*PARTS, "all"], default=None,
                        help="which part to run (default: classic; all with --smoke)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page (classic, scale)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--delay-ms", type=int, default=50, help="added delay of every VdM call")
    parser.add_argument("--cache", choices=["redis", "memory"], default="redis",
                        help="classic only: the shop's shared state in a redis-server started here, "
                             "or each worker's own memory")
    parser.add_argument("--repeat", type=int, default=1,
                        help="scale: measure each page this many times on each venue, in turn; the median p99 counts")
    parser.add_argument("--venue", default="large", help="the large venue for scale and cluster: large or large:<shows>")
    parser.add_argument("--cluster-duration", type=int, default=60, help="seconds of load in the cluster part")
    parser.add_argument("--cluster-refresh", type=float, default=20,
                        help="SHOP_CATALOGUE_REFRESH in the cluster part (at least 10)")
    parser.add_argument("--smoke", action="store_true",
                        help="every part very briefly (1 s of load, large:20, a 10 s refresh): checks that "
                             "the benchmark runs; its figures mean little")
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs (the folder is printed)")
    args = parser.parse_args(argv)
    args.settle = 0.5
    if args.smoke:
        args.duration, args.connections, args.venue = 1, 10, "large:20"
        args.cluster_duration, args.cluster_refresh, args.settle = 2, 10, 0.2
    part = args.part or ("all" if args.smoke else "classic")
    # Stopped from outside: stop the servers on the way out (they run in sessions of their own).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 1

    summary: list[tuple[str, str, bool]] = []
    failed: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="vdm-bench-"))
    print(f"bench: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {now():%Y-%m-%d %H:%M} UTC, "
          f"load average {os.getloadavg()[0]:.2f} before starting" + (", smoke run" if args.smoke else ""))
    try:
        for name, run in (("classic", part_classic), ("scale", part_scale), ("cluster", part_cluster)):
            if part not in (name, "all"):
                continue
            share = CpuShare()
            try:
                run(args, folder, summary)
            except Exception as error:  # a part that cannot run must not hide the others
                failed.append(name)
                print(f"\n!!! part {name} could not run: {error}", file=sys.stderr)
                if not isinstance(error, BenchError):
                    traceback.print_exc()
            print(f"(part {name}: {share.report()})")
    finally:
        if args.keep:
            print(f"\nlogs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    if summary:
        print("\n=== targets ===")
        for target, result, met in summary:
            print(f"{verdict(met):>12}  {target}: {result}")
    if failed:
        print(f"\nparts that could not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
