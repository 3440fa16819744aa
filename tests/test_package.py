"""The shop as a venue installs it: the sdist built from the working tree, the wheel built from that
sdist (as `pip install` of a release does), installed away from the checkout, and served by README's
Deploy command (gunicorn with a copy of gunicorn.conf.py) from a folder that is not the checkout."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
import requests
from demo import CREDITCARD, DE_STORM, DE_STORM_FIRST, STANDARD
from helpers import Buyer, text

ROOT = Path(__file__).resolve().parent.parent
# What building must never copy from a developer's working tree (nor write into it).
NOT_SOURCES = (".git", ".venv", "node_modules", "test-artifacts", ".hypothesis", ".pytest_cache", "instance",
               ".env", "build", "dist", "*.egg-info", "__pycache__", "*.pyc")


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def run(command: list[str], **kwargs) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{' '.join(command)[:200]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """sdist -> wheel -> `pip install --target`, all offline and outside the checkout."""
    import setuptools

    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    assert (major, minor) >= (70, 1), ("building a wheel without build isolation needs setuptools>=70.1: "
                                       "pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("package")
    source, dist, site = tmp / "source", tmp / "dist", tmp / "site"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    run([sys.executable, "-c", "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
         str(dist)], cwd=source)
    (sdist,) = dist.glob("vdm_shop-*.tar.gz")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist),
         str(sdist)], cwd=tmp)
    (wheel,) = dist.glob("vdm_shop-*.whl")
    run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)], cwd=tmp)
    return {"sdist": sdist, "wheel": wheel, "site": site, "tmp": tmp}


def test_sdist_and_wheel_carry_the_templates_and_the_stylesheet(built):
    templates, static = files_under(ROOT / "templates"), files_under(ROOT / "static")
    assert "programme.html" in templates and "shop.css" in static
    # The modules and the translations (the .pot is only for translators); the sandbox whole: its
    # modules, demo venue, templates, stylesheet and images.
    code = [name for name in files_under(ROOT / "shop") if not name.endswith(".pot")]
    sandbox = files_under(ROOT / "vdm_sandbox")
    assert {"templates/sandbox/pay.html", "static/sandbox.css", "demo_catalogue.json", "cli.py"} <= set(sandbox)
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = set(wheel.namelist())
        (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        scripts = wheel.read(entry_points).decode()
    expected = ({f"shop/templates/{name}" for name in templates} | {f"shop/static/{name}" for name in static}
                | {f"shop/{name}" for name in code} | {f"vdm_sandbox/{name}" for name in sandbox})
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel: {missing}"
    assert re.search(r"^vdm-sandbox = vdm_sandbox\.cli:main$", scripts, re.M), scripts
    with tarfile.open(built["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = ({f"templates/{name}" for name in templates} | {f"static/{name}" for name in static}
                | {f"vdm_sandbox/{name}" for name in sandbox} | {"gunicorn.conf.py", "pyproject.toml", "README.md"})
    assert not expected - names, f"not in the sdist: {sorted(expected - names)}"


def installed_env(built) -> dict[str, str]:
    """No settings of the developer's, and the installed package first on the path."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VDM_", "SHOP_", "SANDBOX_", "GUNICORN_", "FLASK_")) and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(built["site"])
    return env


CHECK = """
import json, sys
import shop, vdm_sandbox
app = shop.create_app({"TESTING": True}, instance_path=sys.argv[1])
sandbox = vdm_sandbox.create_app({"TESTING": True}, instance_path=sys.argv[1] + "-sandbox")
app.extensions["box_office"].catalogue.stop()
pages = [a.jinja_env.get_template("sandbox/pay.html").filename for a in (app, sandbox)]
print(json.dumps({"shop": shop.__file__, "sandbox": vdm_sandbox.__file__, "sandbox_pages": pages,
                  "sandbox_static": app.blueprints["sandbox_pages"].static_folder,
                  "templates": app.jinja_loader.searchpath, "static": app.static_folder}))
"""


def test_the_installed_package_is_the_one_imported(built):
    """The checkout must not be what runs: the working directory is elsewhere and the installed copy is
    first on the path (ahead of the .venv's editable install)."""
    import json

    elsewhere = built["tmp"] / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    found = json.loads(run([sys.executable, "-c", CHECK, str(built["tmp"] / "instance")], cwd=elsewhere,
                           env=installed_env(built)).splitlines()[-1])
    site = str(built["site"].resolve())
    for where in (found["shop"], found["sandbox"], *found["sandbox_pages"], found["sandbox_static"],
                  *found["templates"], found["static"]):
        assert where.startswith(site), f"{where} is not in the installed package ({site})"


def test_installed_shop_serves_the_buyers_path_under_the_deploy_command(built):
    """README's Deploy: `gunicorn -c gunicorn.conf.py` with a copy of the config, run from another folder."""
    conf, workdir = built["tmp"] / "etc" / "gunicorn.conf.py", built["tmp"] / "srv"
    conf.parent.mkdir(exist_ok=True)
    workdir.mkdir(exist_ok=True)
    shutil.copy(ROOT / "gunicorn.conf.py", conf)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    shop = f"http://127.0.0.1:{port}"
    env = installed_env(built)
    env.update(SHOP_INSTANCE_PATH=str(built["tmp"] / "shop-instance"), GUNICORN_BIND=f"127.0.0.1:{port}",
               GUNICORN_WORKERS="1")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen([gunicorn, "-c", str(conf)], cwd=workdir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    failure: Exception | None = None
    try:
        deadline = time.monotonic() + 30
        while True:  # up, and the catalogue (prices included) loaded from the built-in sandbox
            try:
                ready = requests.get(f"{shop}/readyz", timeout=2)
                if ready.status_code == 200 and ready.json().get("catalogue_complete"):
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the installed shop did not start"
            time.sleep(0.2)
        buyer = Buyer.at(shop)

        def page(url: str, contains: str) -> requests.Response:
            answer = buyer.opens(url)
            assert answer.status_code == 200 and contains in text(answer), f"{url}: {answer.status_code}"
            return answer

        page("/", "De Storm")
        page(f"/shows/{DE_STORM}", "De Storm")
        css = page("/static/shop.css", "--accent")
        assert css.content == (ROOT / "static" / "shop.css").read_bytes()
        page("/branding.css", "--accent")
        page(f"/performances/{DE_STORM_FIRST}", "De Storm")
        added = buyer.follows(buyer.adds(DE_STORM_FIRST, **{STANDARD: 2}))
        assert added.status_code == 200 and added.url == f"{shop}/cart/" and "De Storm" in added.text
        page("/cart/", "De Storm")
        page("/checkout/", "De Storm")
        buyer.places_order(payment_id=str(CREDITCARD))
        page(buyer.payment_url, "De Storm")  # the sandbox's payment page, on the shop's address
        order = buyer.pays()
        assert order.status_code == 200 and "Your order is paid" in order.text
        links = re.findall(r'<a class="button[^"]*" href="([^"]+)">(?:Show my tickets|Receipt)</a>', order.text)
        assert len(links) == 2
        for url in links:
            page(url, "De Storm")
    except (AssertionError, requests.RequestException) as error:
        failure = error
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert failure is None, f"{failure}\n--- gunicorn:\n{output[-3000:]}"
    assert "TemplateNotFound" not in output and "Traceback" not in output, output[-3000:]


def test_the_sandbox_runs_from_its_console_script_in_a_fresh_virtualenv(built, tmp_path):
    """An integrator in any language: a new virtualenv, the wheel installed into it, and the
    `vdm-sandbox` command it brings, started from a folder that is not the checkout. (Its
    dependencies come from this test's own environment, so that the test needs no network.)"""
    import sysconfig

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    deps = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}  # pip itself, from this environment
    # --ignore-installed: pip sees this environment's own (editable) install through PYTHONPATH,
    # and must neither uninstall it nor count it as already there.
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", str(built["wheel"])],
        env=deps)
    command = venv / "bin" / "vdm-sandbox"
    assert command.exists(), "the wheel brings no vdm-sandbox command"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VDM_", "SHOP_", "SANDBOX_", "FLASK_"))}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]  # flask and the rest, from this environment
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(command), "--port", str(port)], cwd=tmp_path, env={**env, "HOME": str(tmp_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                events = requests.get(f"http://127.0.0.1:{port}/v1/demo/events/upcoming", timeout=2)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail("vdm-sandbox did not start:\n" + proc.communicate(timeout=10)[0][-3000:])
                time.sleep(0.2)
        assert events.status_code == 200 and any(e["event_name"] == "De Storm" for e in events.json())
        cart = requests.post(f"http://127.0.0.1:{port}/v1/demo/cart/", timeout=5)
        assert cart.status_code == 201 and cart.json()["cart_id"]
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert f"http://127.0.0.1:{port}/v1/demo/" in output  # it says where to point your code
