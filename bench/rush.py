"""The on-sale rush (issue 11): hundreds of buyers race for one small performance at once,
through the whole path, and afterwards the sale must add up.

    python bench/rush.py                       # 300 buyers for 100 seats, 50 new buyers a second
    python bench/rush.py --buyers 500 --spawn-rate 100
    python bench/rush.py --smoke               # 30 buyers for 10 seats: does the rush still run and hold?

It starts everything itself, on free loopback ports with gunicorn.conf.py: a standalone sandbox
(bench/run.py's: gunicorn, 4 workers, every API call delayed by --delay-ms) on a catalogue
written to a temporary folder (one show with the rush performance, --seats seats and at most
--max-per-order tickets per order, and a second, ordinary performance), a redis-server, and the
shop (2 workers, SHOP_REDIS_URL, rate and hold limits set very high, because every simulated
buyer comes from 127.0.0.1). Then Locust, headless (bench/rush_locustfile.py): --buyers buyers
arrive at --spawn-rate a second, and each tries once to buy 1 to --max-per-order tickets of one
ticket type (no more than the ticket page says it may) and pay: programme, performance, add
(and the cart it leads to), checkout page, checkout submit, the sandbox's payment page, pay,
the return to the shop and the order page. It also says how much CPU each server and Locust
used meanwhile.

It prints each step's p50, p90, p99 and maximum (milliseconds, from the buyers' side), then
checks, from the sandbox's SQLite database, the servers' logs and the buyers' own records:

  - exactly the capacity sold: every seat in a paid order, or else fewer left than any losing
    buyer asked for (each buyer tries once, with the number it asked for);
  - no oversell: never more seats in carts and orders together than the performance has;
  - no order without its payment page: every order VdM has was reached by its buyer;
  - one order per cart, and per buyer;
  - every winner's paid order holds the tickets it asked for, and its order page says so;
  - every losing buyer was told why, in words: the add refused with "Not enough tickets
    available" (or, when the page's limit fell meanwhile, "You can buy at most N tickets"), or
    the performance page said "Sold out";
  - every buyer finished (paid, or told it lost), and no 5xx anywhere: not to the buyers, not
    in the shop's request log, not in the sandbox's access log, no traceback or worker time-out.

A PASS or FAIL line per check; the exit status is 1 when a check failed, 2 when the rush could
not run at all (a server did not start, Locust is missing or ended without the buyers' records).
Latencies are measured on the machine that also runs the servers and Locust: on a loaded
machine they say more about the machine than about the shop. The checks do not depend on time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the repository is not
    sys.path.insert(0, str(ROOT))

from bench.run import BenchError, Rig, shop_env, wait_for_prices  # noqa: E402

LOCUSTFILE = Path(__file__).with_name("rush_locustfile.py")
SHOW, RUSH, OTHER = 9100, 9101, 9102  # the show, the rush performance and the ordinary one
CLIENT = "demo"  # VDM_CLIENT_NAME's default: the sandbox keeps the shop's carts and orders under it
STEPS = ("programme", "performance", "add", "cart", "checkout page", "checkout submit", "payment page", "pay",
         "return", "order page")
# What a losing buyer may be told, in English: VdM's refusal quoted on the ticket page (the
# sandbox's wording), the ticket page's own state once the catalogue snapshot knows the
# performance is sold out, or the shop's own limit when a newer snapshot lowered it between the
# buyer's reading the page and sending the form (VdM's event_free is the lower of the per-order
# maximum and what is left, so the shop cannot say which of the two it is).
CLEAR_REASONS = ("Not enough tickets available", "Sold out", "You can buy at most")
LIMIT = re.compile(r"You can buy at most (\d+) tickets? for this performance")
UNLIMITED = "1000000 per minute"
ACCESS_STATUS = re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+" (\d{3}) ')
LEFT = re.compile(r"Not enough tickets available: (\d+) left")


def catalogue(seats: int, max_per_order: int) -> dict:
    """The venue of the rush: one show, the rush performance and an ordinary one, two ticket types."""
    return {
        "venue": "Rush test venue",
        "event_types": ["Muziek"],
        "locations": [{"location_id": 1, "location_name": "Grote Zaal", "capacity": 400,
                       "location_address": "Plein 1", "location_zip": "3511 AA", "location_city": "Utrecht"}],
        "payment_methods": [{"payment_id": 33, "payment_desc": "iDEAL", "payment_cost": "0.00"},
                            {"payment_id": 34, "payment_desc": "Creditcard", "payment_cost": "1.50"}],
        "ticket_types": {"rush": [
            {"discount_id": "RushStd001", "discount_name": "Standard", "base_price": "35.00", "discount_type": "€",
             "discount_value": "0.00"},
            {"discount_id": "RushCjp002", "discount_name": "CJP", "base_price": "35.00", "discount_type": "%",
             "discount_value": "25.00"},
        ]},
        "events": [{
            "event_id": SHOW, "event_name": "The Farewell Concert", "event_type": ["Muziek"],
            "event_short_text": "One night only", "event_text": "<p>The last concert, ever. Tickets go on sale now.</p>",
            "sub_events": [
                {"event_id": RUSH, "days_from_today": 30, "event_time": "20:15:00", "event_end": "22:30:00",
                 "location_id": 1, "ticket_types": "rush", "capacity": seats, "max_per_order": max_per_order},
                {"event_id": OTHER, "days_from_today": 31, "event_time": "20:15:00", "event_end": "22:30:00",
                 "location_id": 1, "ticket_types": "rush", "capacity": 400, "max_per_order": 10},
            ],
        }],
    }


def seconds(value: str) -> int:
    """A Locust time string (90, 90s, 5m, 1h30m) in seconds."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    parts = re.fullmatch(r"(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?", value)
    if not parts or not any(parts.groups()):
        raise argparse.ArgumentTypeError(f"not a time like 90, 90s or 5m: {value!r}")
    h, m, s = (int(g or 0) for g in parts.groups())
    return h * 3600 + m * 60 + s


# --- running ---------------------------------------------------------------------------------


@dataclass
class Run:
    """What the rush left behind, read once the servers have stopped."""

    buyers: list[dict]
    requests: list[dict]
    orders: list[dict]  # the sandbox's orders, with their seats of the rush performance
    seats_in_carts: int  # every seat of the rush performance ever put in a cart (ordered or not)
    seats_unordered: int  # of those, in carts that never became an order
    shop_log: str
    sandbox_log: str
    access_log: str
    locust_log: str
    locust_status: int


def start_servers(rig: Rig, args, catalogue_file: Path) -> tuple[str, str, dict[str, int]]:
    """The servers of the rush: their addresses, and the process id of each."""
    redis_url = rig.redis()
    redis_pid = rig.procs[-1].pid
    # bench/run.py's sandbox (4 workers of 16 threads, the access log in rig.calls_log): wherever
    # the sandbox's app lives, the benchmark and the rush start it the same way.
    sandbox_proc, sandbox = rig.sandbox(args.delay_ms, str(catalogue_file))
    env = shop_env(sandbox, rig.folder / "shop", redis_url,
                   SHOP_RATE_LIMIT_CART=UNLIMITED, SHOP_RATE_LIMIT_ORDER=UNLIMITED,
                   SHOP_RATE_LIMIT_ORDER_LOOKUP=UNLIMITED, SHOP_HOLD_MAX_PER_PERFORMANCE="1000000",
                   SHOP_HOLD_MAX="1000000", SHOP_CATALOGUE_REFRESH=f"{args.refresh:g}",
                   **({"GUNICORN_THREADS": str(args.shop_threads)} if args.shop_threads else {}))
    started = time.monotonic()
    proc, shop = rig.launch("shop", [], env)
    wait_for_prices(rig, "shop", proc, shop, started)
    return sandbox, shop, {"sandbox": sandbox_proc.pid, "shop": proc.pid, "redis": redis_pid}


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a process and its children (a gunicorn master and its workers),
    from /proc; 0 where there is no /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += sum(int(f) for f in fields[11:15])  # utime, stime, and those of its waited-for children
    return total / os.sysconf("SC_CLK_TCK")


def run_locust(args, rig: Rig, sandbox: str, shop: str) -> int:
    out = rig.folder / "rush"
    out.mkdir()
    env = {**os.environ, "RUSH_OUT": str(out), "RUSH_SANDBOX": sandbox, "RUSH_PERFORMANCE": str(RUSH),
           "RUSH_SHOW": str(SHOW), "RUSH_BUYERS": str(args.buyers), "RUSH_MAX": str(args.max_per_order),
           "RUSH_THINK": f"{args.think:g}", "RUSH_SEED": str(args.seed)}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(args.buyers),
               "-r", f"{args.spawn_rate:g}", "--run-time", f"{args.run_time}s", "--stop-timeout", "30",
               "--host", shop, "--only-summary", "--csv", str(out / "locust")]
    with open(rig.folder / "locust.log", "w") as log:
        locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            return locust.wait(timeout=args.run_time + 120)
        except subprocess.TimeoutExpired:
            os.killpg(locust.pid, signal.SIGKILL)
            locust.wait()
            raise BenchError(f"Locust did not end within {args.run_time + 120} s") from None
        finally:
            if locust.poll() is None:  # stopped from outside: do not leave Locust running
                os.killpg(locust.pid, signal.SIGKILL)


def cpu_of_children() -> float:
    """CPU seconds of the processes this one started and has waited for (gunicorn's workers
    count in their master's, once it has waited for them)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_sandbox(db_path: Path) -> tuple[list[dict], int, int]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    try:
        orders = []
        for row in db.execute("SELECT * FROM orders WHERE client = ? ORDER BY created_at", (CLIENT,)):
            seats = db.execute("SELECT COUNT(*) FROM seats WHERE cart_id = ? AND event_id = ?",
                               (row["cart_id"], RUSH)).fetchone()[0]
            others = db.execute("SELECT COUNT(*) FROM seats WHERE cart_id = ? AND event_id != ?",
                                (row["cart_id"], RUSH)).fetchone()[0]
            orders.append({"order_key": row["order_key"], "cart_id": row["cart_id"], "status": row["status"],
                           "email": json.loads(row["customer"]).get("email"), "seats": seats, "other_seats": others})
        in_carts = db.execute("SELECT COUNT(*) FROM seats WHERE event_id = ?", (RUSH,)).fetchone()[0]
        unordered = db.execute(
            "SELECT COUNT(*) FROM seats s JOIN carts c ON c.cart_id = s.cart_id "
            "WHERE s.event_id = ? AND c.order_key IS NULL", (RUSH,)).fetchone()[0]
    finally:
        db.close()
    return orders, in_carts, unordered


def rush(args, folder: Path) -> Run:
    catalogue_file = folder / "catalogue.json"
    catalogue_file.write_text(json.dumps(catalogue(args.seats, args.max_per_order), indent=1))
    rig = Rig(folder, "rush")
    try:
        sandbox, shop, pids = start_servers(rig, args, catalogue_file)
        print(f"servers up: sandbox {sandbox} (VdM delay {args.delay_ms} ms), "
              f"shop {shop} (2 workers × {args.shop_threads or 'the configured'} threads, Redis, catalogue refresh "
              f"{args.refresh:g} s); Locust starts the buyers")
        began, before = time.monotonic(), cpu_of_children()
        servers_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        status = run_locust(args, rig, sandbox, shop)
        wall, locust_cpu = time.monotonic() - began, cpu_of_children() - before
        used = {name: cpu_seconds(pid) - servers_before[name] for name, pid in pids.items()}
        print(f"Locust ended after {wall:.0f} s (exit status {status}). CPU seconds used meanwhile: "
              + ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items())
              + f", Locust {locust_cpu:.1f}, of the {os.cpu_count() * wall:.0f} the {os.cpu_count()} cores had")
    finally:
        rig.stop()
    out = rig.folder / "rush"
    orders, in_carts, unordered = read_sandbox(rig.folder / "sandbox" / "sandbox.sqlite3")
    return Run(buyers=jsonl(out / "buyers.jsonl"), requests=jsonl(out / "requests.jsonl"), orders=orders,
               seats_in_carts=in_carts, seats_unordered=unordered, shop_log=rig.log("shop"),
               sandbox_log=rig.log("sandbox"), access_log=rig.calls_log.read_text(),
               locust_log=rig.log("locust"), locust_status=status)


# --- the figures -----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def step_table(requests: list[dict]) -> list[str]:
    by_step: dict[str, list[dict]] = defaultdict(list)
    for r in requests:
        by_step[r["step"]].append(r)
    lines = [f"{'step':<16} {'requests':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  answers"]
    for step in [*STEPS, *sorted(set(by_step) - set(STEPS))]:
        rows = by_step.get(step)
        if not rows:
            continue
        ms = [r["ms"] for r in rows]
        answers = Counter(str(r["status"] or "no answer") for r in rows)
        lines.append(f"{step:<16} {len(rows):>8} {percentile(ms, 50):>8.0f} {percentile(ms, 90):>8.0f} "
                     f"{percentile(ms, 99):>8.0f} {max(ms):>8.0f}  "
                     + " ".join(f"{status}×{n}" for status, n in sorted(answers.items())))
    return lines


def reason(record: dict) -> str:
    """How a losing buyer was told, in a few words."""
    text = record.get("final_text", "")
    left = LEFT.search(text)
    if left:
        return f'add refused: "Not enough tickets available: {left.group(1)} left"'
    if "Sold out" in text:
        return 'performance page: "Sold out"'
    limit = LIMIT.search(text)
    if limit:
        return f'add refused by the ticket page: "{limit.group(0)}"'
    return "no clear reason: " + text[:200]


# --- the checks ------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


def five_hundreds(run: Run) -> list[str]:
    found = []
    to_buyers = [r for r in run.requests if r["status"] >= 500]
    if to_buyers:
        found.append(f"{len(to_buyers)} answers to buyers ({Counter(r['step'] for r in to_buyers)})")
    shop = []
    for line in run.shop_log.splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry.get("status"), int) and entry["status"] >= 500:
                shop.append(f"{entry.get('method')} {entry.get('path')} {entry['status']}")
    if shop:
        found.append(f"{len(shop)} in the shop's request log ({Counter(shop).most_common(3)})")
    sandbox = [int(s) for s in ACCESS_STATUS.findall(run.access_log) if int(s) >= 500]
    if sandbox:
        found.append(f"{len(sandbox)} in the sandbox's access log")
    for name, log in (("shop", run.shop_log), ("sandbox", run.sandbox_log)):
        for marker in ("Traceback", "WORKER TIMEOUT", "[ERROR]", "[CRITICAL]"):
            if marker in log:
                found.append(f"{log.count(marker)} × {marker!r} in the {name}'s log")
    return found


def checks(run: Run, args) -> list[Check]:
    capacity = args.seats
    records = run.buyers
    won = [r for r in records if r["outcome"] == "won"]
    lost = [r for r in records if r["outcome"] == "lost"]
    failed = [r for r in records if r["outcome"] not in ("won", "lost")]
    paid = [o for o in run.orders if o["status"] == "paid"]
    sold = sum(o["seats"] for o in paid)
    result = []

    # Exactly the capacity sold, or as near as the buyers' own numbers allow.
    left = capacity - sold
    smallest = min((r.get("asked", r["wanted"]) for r in lost), default=None)
    if left == 0:
        detail, ok = f"{sold} of {capacity} seats in {len(paid)} paid orders", True
    else:
        ok = left > 0 and run.seats_unordered == 0 and not failed and (smallest is None or smallest > left)
        detail = (f"{sold} of {capacity} seats in {len(paid)} paid orders; {left} left"
                  + (f", fewer than any losing buyer asked for (the least was {smallest})" if ok and smallest
                     else f", and a losing buyer asked for only {smallest}" if smallest is not None and smallest <= left
                     else "")
                  + (f"; {run.seats_unordered} seats held in carts that were never ordered" if run.seats_unordered
                     else ""))
    result.append(Check("exactly the capacity sold", ok, detail))

    result.append(Check(
        "no oversell", run.seats_in_carts <= capacity,
        f"{run.seats_in_carts} seats ever put in carts and orders, for {capacity} (no seat is removed, no cart "
        "expires and no order is cancelled during the rush, so this is the most there ever were)"))

    reached = {r["order_key"] for r in records if r.get("payment_page") and r.get("order_key")}
    unreached = [o["order_key"] for o in run.orders if o["order_key"] not in reached]
    unpaid = Counter(o["status"] for o in run.orders if o["status"] != "paid")
    result.append(Check(
        "no order without its payment page", not unreached and not unpaid,
        f"{len(run.orders)} orders at VdM, {len(run.orders) - len(unreached)} of them reached and paid by their "
        f"buyer" + (f"; never reached: {unreached[:5]}" if unreached else "")
        + (f"; not paid: {dict(unpaid)}" if unpaid else "")))

    per_cart = Counter(o["cart_id"] for o in run.orders)
    per_buyer = Counter(o["email"] for o in run.orders)
    cart_of = {o["order_key"]: o["cart_id"] for o in run.orders}
    mismatched = [r["buyer"] for r in records if r.get("order_key") and cart_of.get(r["order_key"]) != r.get("cart_id")]
    shared_carts = [c for c, n in Counter(r["cart_id"] for r in records if r.get("cart_id")).items() if n > 1]
    twice = [c for c, n in per_cart.items() if n > 1] + [e for e, n in per_buyer.items() if n > 1]
    result.append(Check(
        "one order per cart", not twice and not mismatched and not shared_carts,
        f"{len(per_cart)} carts ordered, {len(run.orders)} orders, {len(per_buyer)} buyers with an order"
        + (f"; more than one order: {twice[:5]}" if twice else "")
        + (f"; buyers whose order is not the cart they checked out: {mismatched[:5]}" if mismatched else "")
        + (f"; carts shared by buyers: {shared_carts[:5]}" if shared_carts else "")))

    wanted = {f"buyer{r['buyer']}@rush.example.org": r.get("asked") for r in records}
    short = [o["order_key"] for o in paid if o["seats"] != wanted.get(o["email"]) or o["other_seats"]]
    result.append(Check(
        "every winner got the tickets asked for", not short and len(won) == len(paid),
        f"{len(won)} buyers saw their order page say paid with their tickets; {len(paid)} paid orders"
        + (f"; orders without exactly the tickets asked for: {short[:5]}" if short else "")))

    unclear = [r for r in lost if not any(phrase in r.get("final_text", "") for phrase in CLEAR_REASONS)]
    told = Counter(reason(r) for r in lost)
    result.append(Check(
        "every losing buyer told why", not unclear,
        f"{len(lost)} lost: " + ("; ".join(f"{n} × {why}" for why, n in told.most_common()) or "none")
        + (f"; unclear, e.g. buyer {unclear[0]['buyer']} at {unclear[0]['step']}: "
           f"{unclear[0].get('final_text', '')[:300]!r}" if unclear else "")))

    missing = args.buyers - len(records)
    result.append(Check(
        "every buyer finished", not failed and missing == 0,
        f"{len(records)} of {args.buyers} buyers finished: {len(won)} paid, {len(lost)} told they lost, "
        f"{len(failed)} failed"
        + "".join(f"; buyer {r['buyer']} at {r['step']}: {r.get('error')}" for r in failed[:5])
        + (f"; {missing} never finished (Locust's --run-time too short?)" if missing else "")))

    errors = five_hundreds(run)
    result.append(Check("no 5xx anywhere", not errors,
                        "; ".join(errors) if errors else
                        f"{len(run.requests)} answers to buyers, the shop's request log, the sandbox's access log: "
                        "no 5xx, no traceback, no worker time-out"))
    return result


def report(run: Run, args) -> list[Check]:
    print()
    for line in step_table(run.requests):
        print(line)
    if run.requests:
        stamps = [r["t"] for r in run.requests if "t" in r]
        if stamps:
            span = max(stamps) - min(stamps)
            print(f"\n{len(run.requests)} requests in {span:.1f} s ({len(run.requests) / max(span, 0.001):.0f} a second)")
    adds = sorted(r["t"] for r in run.requests if r["step"] == "add" and r["status"] == 303 and "t" in r)
    firsts = [r["t"] for r in run.requests if r["step"] == "add" and "t" in r]
    if adds and firsts:
        print(f"the last seat went into a cart {adds[-1] - min(firsts):.1f} s after the first add was answered")
    if "CPU usage above" in run.locust_log:
        print("Locust warned that its CPU use was above 90 %: the latencies include the load generator's own waits")
    found = checks(run, args)
    print("\n=== checks ===")
    for check in found:
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=300, help="simulated buyers, each trying once (300)")
    parser.add_argument("--seats", type=int, default=100, help="the rush performance's capacity (100)")
    parser.add_argument("--max-per-order", type=int, default=4,
                        help="its most tickets per order; each buyer wants 1 to this many (4)")
    parser.add_argument("--spawn-rate", type=float, default=50, help="new buyers a second (50)")
    parser.add_argument("--run-time", type=seconds, default=None,
                        help="the longest the rush may take, as 300, 300s or 5m (default 600 s; the run ends "
                             "as soon as every buyer is done)")
    parser.add_argument("--think", type=float, default=0.5,
                        help="a buyer's average pause between two steps in seconds, drawn from 0 to twice it (0.5)")
    parser.add_argument("--delay-ms", type=int, default=50, help="added delay of every VdM call (50)")
    parser.add_argument("--refresh", type=float, default=10,
                        help="SHOP_CATALOGUE_REFRESH in seconds, at least 10 (10: the ticket page learns "
                             "soon that the performance is sold out)")
    parser.add_argument("--shop-threads", type=int, default=None,
                        help="GUNICORN_THREADS of each of the shop's 2 workers (default: gunicorn.conf.py's)")
    parser.add_argument("--seed", type=int, default=11, help="the buyers' wishes and pauses (11)")
    parser.add_argument("--smoke", action="store_true",
                        help="a small rush: 30 buyers for 10 seats, under a minute; checks that it runs and holds")
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs and the records (always kept "
                        "when a check fails; the folder is printed)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.buyers, args.seats, args.spawn_rate, args.think = 30, 10, 10, 0.2
        args.run_time = args.run_time or 180
    args.run_time = args.run_time or 600
    if args.buyers < 1 or args.seats < 1 or args.max_per_order < 1 or args.spawn_rate <= 0 or args.refresh < 10:
        parser.error("--buyers, --seats and --max-per-order must be at least 1, --spawn-rate above 0, "
                     "--refresh at least 10")
    # Stopped from outside: stop the servers on the way out (they run in sessions of their own).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print(f"=== the on-sale rush: {args.buyers} buyers for {args.seats} seats (1 to {args.max_per_order} each), "
          f"{args.spawn_rate:g} new buyers a second, pauses of {args.think:g} s on average"
          + (", smoke run" if args.smoke else "") + " ===")
    print(f"rush: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f} "
          "(other work on the machine skews every latency)")
    if importlib.util.find_spec("locust") is None:  # not imported here: it monkey-patches the standard library
        print("Locust is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="vdm-rush-"))
    keep = args.keep
    try:
        try:
            run = rush(args, folder)
        except BenchError as error:
            keep = True
            print(f"\n!!! the rush could not run: {error}", file=sys.stderr)
            return 2
        if not run.buyers:
            keep = True
            print("\n!!! Locust ended without any buyer's record; its output:\n" + run.locust_log[-3000:],
                  file=sys.stderr)
            return 2
        found = report(run, args)
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (1 min), {os.getloadavg()[1]:.2f} (5 min)")
        failed = [c.name for c in found if not c.passed]
        if failed:
            keep = True
            print(f"\nFAILED: {', '.join(failed)}")
            return 1
        print(f"\nall {len(found)} checks passed")
        return 0
    finally:
        if keep:
            print(f"logs and records kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
