"""The on-sale rush (issue 11) must not rot: `bench/rush.py --smoke` races 30 Locust buyers for
10 seats through the whole path (gunicorn, 2 workers, Redis, the sandbox's payment page) and
every check of the sale passes. And the checks themselves must be able to fail."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from helpers import run_smoke
from tools import redis_server, require

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.rush import Run, checks, percentile, seconds  # noqa: E402

CHECKS = ("exactly the capacity sold", "no oversell", "no order without its payment page", "one order per cart",
          "every winner got the tickets asked for", "every losing buyer told why", "every buyer finished",
          "no 5xx anywhere")
STEPS = ("programme", "performance", "add", "cart", "checkout page", "checkout submit", "payment page", "pay",
         "return", "order page")


def test_smoke_rush_passes_every_check(tmp_path):
    redis_server()
    require(importlib.util.find_spec("locust"), "Locust", "pip install -e '.[test]'")
    out = run_smoke("bench/rush.py", 400, tmp_path)  # about 10 s on an idle machine; a loaded one is slow, not broken
    lines = out.splitlines()
    for check in CHECKS:
        assert any(line.startswith(f"PASS  {check}: ") for line in lines), f"{check!r} did not pass:\n{out}"
    assert not any(line.startswith("FAIL") for line in lines), out
    for step in STEPS:  # the table has a row for every step of the path
        assert any(line.startswith(f"{step:<16} ") for line in lines), f"no row for {step!r}:\n{out}"


# --- the checks on made-up outcomes: each one can fail ------------------------------------------


class Args:
    buyers, seats = 3, 4


def buyer(n: int, outcome: str, wanted: int, **extra) -> dict:
    return {"buyer": n, "outcome": outcome, "wanted": wanted, "asked": wanted, "step": "order page", **extra}


def order(key: str, cart: str, email: str, seats: int, status: str = "paid") -> dict:
    return {"order_key": key, "cart_id": cart, "status": status, "email": email, "seats": seats, "other_seats": 0}


def good_run() -> Run:
    return Run(
        buyers=[buyer(1, "won", 3, order_key="K1", cart_id="C1", payment_page=True),
                buyer(2, "won", 1, order_key="K2", cart_id="C2", payment_page=True),
                buyer(3, "lost", 2, step="add", final_text="The box office said: Not enough tickets available: 0 left")],
        requests=[{"step": "add", "ms": 10.0, "status": 303, "t": 1.0}],
        orders=[order("K1", "C1", "buyer1@rush.example.org", 3), order("K2", "C2", "buyer2@rush.example.org", 1)],
        seats_in_carts=4, seats_unordered=0, shop_log='{"status":200}\n', sandbox_log="", access_log="",
        locust_log="", locust_status=0)


def verdicts(run: Run) -> dict[str, bool]:
    return {check.name: check.passed for check in checks(run, Args)}


def test_a_good_sale_passes_every_check():
    assert verdicts(good_run()) == {name: True for name in CHECKS}


def failing(run: Run) -> set[str]:
    return {name for name, passed in verdicts(run).items() if not passed}


def test_each_check_fails_on_what_it_guards():
    run = good_run()
    run.seats_in_carts = 5
    assert "no oversell" in failing(run)

    run = good_run()
    run.orders[1]["seats"] = 0  # a seat left over, and a loser who wanted no more than that
    run.buyers[2]["asked"] = 1
    assert {"exactly the capacity sold", "every winner got the tickets asked for"} <= failing(run)

    run = good_run()
    run.orders.append(order("K3", "C3", "buyer3@rush.example.org", 0, status="none"))  # nobody reached it
    assert "no order without its payment page" in failing(run)

    run = good_run()
    run.orders.append(order("K3", "C1", "buyer1@rush.example.org", 0, status="none"))
    run.buyers[0]["payment_page"] = run.buyers[1]["payment_page"] = True
    assert "one order per cart" in failing(run)

    run = good_run()
    run.buyers[2]["final_text"] = "Please check the following: These tickets could not be added."
    assert failing(run) == {"every losing buyer told why"}

    run = good_run()
    run.buyers[2].update(outcome="error", error="checkout page: HTTP 503")
    assert "every buyer finished" in failing(run)

    run = good_run()
    run.shop_log += '{"method":"POST","path":"/checkout/","status":502}\n'
    assert failing(run) == {"no 5xx anywhere"}
    run = good_run()
    run.access_log = '127.0.0.1 - - [27/Nov/2026:18:09:38 +0000] "POST /v1/demo/order/create HTTP/1.1" 500 12 "-" "-"'
    assert failing(run) == {"no 5xx anywhere"}


def test_figures():
    assert percentile([5, 1, 4, 2, 3], 50) == 3 and percentile(list(range(1, 101)), 99) == 99
    assert percentile([7], 99) == 7
    assert seconds("90") == 90 and seconds("90s") == 90 and seconds("5m") == 300 and seconds("1h2m3s") == 3723
