"""Benchmark: the shop under gunicorn on the sandbox with a slow VdM, against a bare Flask app.

    python bench/run.py [--duration 10] [--connections 50] [--delay-ms 50]

Starts three gunicorn servers on free loopback ports: the sandbox (with an added delay on
every API call), the shop (gunicorn.conf.py, 2 workers) and a bare Flask app under the same
settings. Drives each page with wrk and prints requests per second, p50 and p99 latency,
throughput against the bare app, VdM calls per page view (from the sandbox's access log)
and the peak memory of each shop worker. Needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name: str, args: list[str], env: dict, folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    log = open(folder / f"{name}.log", "w")
    proc = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", *args], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/", timeout=5)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"{name} did not start; see {folder / (name + '.log')}")


def wrk(url: str, duration: int, connections: int, cookie: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rate, "requests": total, "non2xx": int(errors.group(1)) if errors else 0,
            "p50": latency(out, "50%"), "p99": latency(out, "99%")}


def latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def peak_memory_mb(master: subprocess.Popen) -> list[float]:
    children = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return peaks


def prepare(shop: str, sandbox: str) -> tuple[str, str, str]:
    """A browsing visitor's session, a buyer's session with tickets in the cart, and the key of
    an order left pending. Browsers keep the session cookie after their first page; wrk would
    otherwise be a brand-new visitor on every request."""
    visitor = requests.Session()
    visitor.get(shop + "/", timeout=10)
    visitor_cookie = f"session={visitor.cookies['session']}"
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
    return visitor_cookie, cart_cookie, pay_url.rsplit("/", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--delay-ms", type=int, default=50, help="added delay of every VdM call")
    parser.add_argument("--cache", choices=["redis", "memory"], default="redis",
                        help="the shop's shared state: a redis-server started here (the multi-worker setup), "
                             "or each worker's own memory")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    folder = Path(tempfile.mkdtemp(prefix="vdm-bench-"))
    servers = []
    try:
        sandbox_proc, sandbox = start("sandbox", ["--access-logfile", str(folder / "vdm-calls.log"),
                                                  "shop.sandbox:create_app()"],
                                      {"SHOP_INSTANCE_PATH": str(folder / "sandbox"), "GUNICORN_WORKERS": "4",
                                       "GUNICORN_THREADS": "16", "SANDBOX_DELAY_MS": str(args.delay_ms),
                                       "SANDBOX_PENDING_SECONDS": "86400"}, folder)
        servers.append(sandbox_proc)
        shop_env = {"VDM_API_URL": sandbox + "/v1", "SHOP_SECRET_KEY": "bench-" + "x" * 40,
                    "SHOP_INSTANCE_PATH": str(folder / "shop"), "GUNICORN_WORKERS": "2",
                    "SHOP_RATE_LIMIT_CART": "100000 per minute", "SHOP_RATE_LIMIT_ORDER": "100000 per minute"}
        if args.cache == "redis":
            if not shutil.which("redis-server"):
                raise SystemExit("redis-server is not installed: apt-get install redis-server (or --cache memory)")
            port = free_port()
            servers.append(subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL,
                                            start_new_session=True))
            shop_env["SHOP_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            time.sleep(0.5)
        shop_proc, shop = start("shop", [], shop_env, folder)
        servers.append(shop_proc)
        bare_proc, bare = start("bare", ["bench.bare:app"], {"GUNICORN_WORKERS": "2"}, folder)
        servers.append(bare_proc)

        visitor, cart_cookie, order_key = prepare(shop, sandbox)
        pages = [
            ("bare Flask page", bare + "/", None),
            ("programme", shop + "/", visitor),
            ("show", shop + "/shows/100", visitor),
            ("performance", shop + "/performances/101", visitor),
            ("programme, new visitor", shop + "/", None),
            ("cart", shop + "/cart/", cart_cookie),
            ("order page (pending)", shop + f"/order/{order_key}", None),
        ]
        for _, url, cookie in pages:  # warm the caches
            requests.get(url, headers={"Cookie": cookie} if cookie else {}, timeout=30)

        calls_log = folder / "vdm-calls.log"
        results = []
        for name, url, cookie in pages:
            before = len(calls_log.read_text().splitlines())
            result = wrk(url, args.duration, args.connections, cookie)
            time.sleep(0.5)  # let the access log catch up
            result["vdm_calls"] = len(calls_log.read_text().splitlines()) - before
            results.append((name, result))

        base = results[0][1]["rps"]
        print(f"\n{args.connections} connections, {args.duration} s per page, VdM delay {args.delay_ms} ms, "
              f"shared state in {args.cache}, {os.cpu_count()} cores\n")
        print(f"{'page':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'VdM/view':>9} {'VdM calls':>9}")
        for name, r in results:
            per_view = r["vdm_calls"] / r["requests"] if r["requests"] else 0
            print(f"{name:<22} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['rps'] / base:>8.0%} "
                  f"{per_view:>9.4f} {r['vdm_calls']:>9}" + (f"  ({r['non2xx']} non-2xx)" if r["non2xx"] else ""))
        order = results[-1][1]
        print(f"\norder page: {order['vdm_calls']} status calls to VdM in {args.duration} s of load "
              f"(at most one per 10 s allowed: {args.duration // 10 + 1})")
        print("peak memory per shop worker: " + ", ".join(f"{mb:.0f} MB" for mb in peak_memory_mb(shop_proc)))
    finally:
        for proc in servers:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in servers:
            proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
