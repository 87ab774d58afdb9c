"""Tests against a real Frappe 15 + ERPNext 15 bench with shopsync installed.

Set ``SHOPSYNC_BENCH`` (the bench folder), ``SHOPSYNC_SITE`` (a site with ERPNext, its setup
wizard done, shopsync installed) and ``SHOPSYNC_BENCH_URL`` (where that site's web server
answers, e.g. http://127.0.0.1:8001). Without them every test here is skipped.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest
import requests

HERE = pathlib.Path(__file__).resolve().parent


class Bench:
    def __init__(self, path: str, site: str, url: str):
        self.path = pathlib.Path(path)
        self.site = site
        self.url = url.rstrip("/")

    def run(self, check: str, **kwargs):
        out = subprocess.run(
            [str(self.path / "env" / "bin" / "python"), str(HERE / "in_site.py"), self.site, check, json.dumps(kwargs)],
            cwd=self.path / "sites", capture_output=True, text=True, timeout=600,
        )
        if out.returncode != 0:
            raise AssertionError(f"{check} failed in the bench:\n{out.stderr[-4000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


    def cli(self, *args: str) -> str:
        """A bench command on the site, as ``bench --site <site> ...`` runs it."""
        out = subprocess.run(
            [str(self.path / "env" / "bin" / "python"), "-m", "frappe.utils.bench_helper", "frappe", "--site", self.site, *args],
            cwd=self.path / "sites", capture_output=True, text=True, timeout=900,
        )
        if out.returncode != 0:
            raise AssertionError(f"bench {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return out.stdout


@pytest.fixture(scope="session")
def bench():
    path, site, url = (os.environ.get(k) for k in ("SHOPSYNC_BENCH", "SHOPSYNC_SITE", "SHOPSYNC_BENCH_URL"))
    if not (path and site and url):
        pytest.skip("no real bench: set SHOPSYNC_BENCH, SHOPSYNC_SITE and SHOPSYNC_BENCH_URL")
    if not (pathlib.Path(path) / "env" / "bin" / "python").exists():
        pytest.skip(f"SHOPSYNC_BENCH={path} has no env/bin/python")
    try:
        requests.get(f"{url}/api/method/ping", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        pytest.skip(f"the bench's web server at {url} does not answer: {exc}")
    bench = Bench(path, site, url)
    # the simulated shops listen on 127.0.0.1, which a site refuses unless its config allows it
    bench.cli("set-config", "shopsync_allow_private_hosts", "1")
    return bench


@pytest.fixture(scope="module")
def sim():
    """A simulated shop with the default seed (a module that needs another seed defines its own)."""
    from tests.woosim import WooSim

    shop = WooSim().start().seed()
    yield shop
    shop.stop()


@pytest.fixture(scope="session")
def browser_ready():
    """node, for the real-browser checks: skipped without node, Debian's chromium
    (``SHOPSYNC_CHROMIUM``) and the npm package playwright-core (``SHOPSYNC_PLAYWRIGHT_CORE``)."""
    import shutil

    chromium = os.environ.get("SHOPSYNC_CHROMIUM", "/usr/bin/chromium")
    node = shutil.which("node")
    if not (node and pathlib.Path(chromium).exists()):
        pytest.skip("needs node and chromium")
    module = os.environ.get("SHOPSYNC_PLAYWRIGHT_CORE", "playwright-core")
    found = subprocess.run([node, "-e", f"require.resolve({json.dumps(module)})"], capture_output=True, cwd=HERE)
    if found.returncode != 0:
        pytest.skip("needs the npm package playwright-core (set SHOPSYNC_PLAYWRIGHT_CORE to its folder)")
    return node
