"""The sandbox as a user runs it: it says what it does, its bars say what they count, it explains
its webhook figures, a Ctrl-C stops it with one line and a failing exit status, and it leaves no
temporary folder behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import REPO

ARGS = ["--products", "12", "--orders", "2", "--customers", "3"]


def _start(tmp_path, *extra):
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "sandbox", *ARGS, *extra], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_run_explains_itself_and_cleans_up(tmp_path):
    proc = _start(tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.splitlines()[0].startswith("Starting a Redis of its own, the simulated shop")
    bars = {line.split("[")[0].strip() for line in out.replace("\r", "\n").splitlines() if "] " in line and "[#" in line}
    assert {"products: erp", "orders imported", "items pushed"} <= bars
    why = next(line for line in out.splitlines() if line.strip().startswith("why "))
    assert "9 deliveries made 6 entries: 3 repeated a stored one (order.updated" in why
    assert "Skipped: product.updated" in why
    assert "== Summary" in out
    assert list(tmp_path.iterdir()) == []  # Redis's working folder is gone


def test_ctrl_c_during_the_workers_stops_with_one_line_and_a_failing_status(tmp_path):
    proc = _start(tmp_path, "--latency-ms", "150")  # each job's shop calls take a while
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "the shop delivered" in line:  # the next thing is the RQ worker running the jobs
            break
    time.sleep(0.6)
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    out = "".join(seen) + rest
    assert proc.returncode == 130, (proc.returncode, out[-1500:], err)
    assert err.strip().splitlines() == [
        'sandbox: interrupted during "Live: three new orders in the shop, delivered by signed webhooks, '
        'run by RQ workers"; stopped there, so its figures are incomplete']
    assert "== Stock" not in out and "== Summary" not in out
    assert list(tmp_path.iterdir()) == []
