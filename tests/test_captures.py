"""The real captures travel with the repository: a clone, a bench's apps/shopsync or any CI checks
the contract, runs the benchmarks and the tools, and passes, with nothing from outside it."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
import sys

from tests.conftest import CAPTURES, REPO


def test_the_captures_are_in_the_repository_with_their_readme(captures_dir):
    assert captures_dir == CAPTURES and CAPTURES.is_relative_to(REPO)
    assert (CAPTURES / "README.md").is_file()
    assert len(list((CAPTURES / "woocommerce").glob("*.json"))) >= 100
    assert len(list((CAPTURES / "woocommerce" / "webhooks").glob("*.json"))) >= 10
    assert len(list((CAPTURES / "erpnext" / "meta").glob("*.json"))) == 64  # 63 doctypes and the index
    assert len(list((CAPTURES / "erpnext" / "golden").glob("*.json"))) >= 70


# what may stand where a credential was: redactions, placeholders and the deliberately wrong token
ALLOWED_AUTH = {"token <redacted>:<redacted>", "Basic <consumer_key:consumer_secret base64>", "token wrongkey:wrongsecret"}


def test_no_capture_carries_a_real_key_or_secret():
    """Refreshed captures must be redacted like these (tests/captures/README.md, "Secrets")."""
    found = []
    for path in sorted(CAPTURES.rglob("*.json")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(CAPTURES).as_posix()
        for m in re.finditer(r"\b(?:ck|cs)_[0-9a-f]{20,}", text):  # WooCommerce keys are ck_/cs_ + 40 hex
            found.append(f"{rel}: {m.group(0)[:8]}...")
        for m in re.finditer(r"consumer_secret=([^&\"'\s]+)", text):
            found.append(f"{rel}: consumer_secret={m.group(1)[:3]}...")
        for m in re.finditer(r'"Authorization":\s*"([^"]*)"', text):
            if m.group(1) not in ALLOWED_AUTH:
                found.append(f"{rel}: Authorization {m.group(1)[:10]}...")
        for m in re.finditer(r'"(?:api_key|api_secret|password|new_password)":\s*"([^"]+)"', text):
            found.append(f"{rel}: {m.group(0)[:20]}...")
    assert found == []


def test_every_webhook_secret_kept_is_one_the_readme_names():
    readme = (CAPTURES / "README.md").read_text(encoding="utf-8")
    secrets = {json.loads(p.read_text(encoding="utf-8")).get("secret")
               for p in (CAPTURES / "woocommerce" / "webhooks").glob("*.json")} - {None}
    assert secrets and all(s in readme for s in secrets), secrets


def test_the_benchmarks_cost_model_comes_from_the_repository():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import _timings
    finally:
        sys.path.remove(str(REPO / "bench"))
    assert pathlib.Path(_timings.DEFAULT_TIMINGS).resolve().is_relative_to(REPO)
    per_request, per_item, source = _timings.cost_model()
    assert round(per_request, 1) == 110.8 and 0 < per_item < per_request  # the README's median GET


def test_make_contract_rebuilds_contract_json_from_the_repository_alone(tmp_path):
    out = tmp_path / "contract.json"
    run = subprocess.run([sys.executable, "tools/make_contract.py", "--out", str(out)], cwd=REPO,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.read_text() == (REPO / "shopsync" / "erp" / "contract.json").read_text()


def _copy_of_the_repository(dest: pathlib.Path) -> pathlib.Path:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for rel in files:
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def test_the_suite_passes_in_a_folder_named_shopsync_like_a_clone_or_a_bench_app(tmp_path):
    """`git clone .../shopsync` and a bench's apps/shopsync put the tests under a folder named like
    the package: nothing may take a test's own frame for the app's."""
    for where in (tmp_path / "clone" / "shopsync", tmp_path / "bench" / "apps" / "shopsync"):
        copy = _copy_of_the_repository(where)
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "tests/test_signature.py", "tests/test_captures.py", "-k", "not folder_named_shopsync"],
            cwd=copy, capture_output=True, text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy), "HOME": str(tmp_path)},
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        assert " passed" in run.stdout and "skipped" not in run.stdout
