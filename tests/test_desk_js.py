"""Nothing from the shop runs in the desk: shopsync's desk scripts, fed the shop's words, hand the
desk only escaped text (msgprint, the Item intro and pills, report cells, field formatters).

The scripts run in node (tests/support/desk_js.js) over a stand-in of the few Frappe calls they
use; Frappe's own Data formatter does not escape, so what they hand over is what the browser gets.
The real browser check on a real site is tests/bench_site/test_desk_xss.py.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest

from shopsync.sync.desk_text import escape

REPO = pathlib.Path(__file__).resolve().parent.parent
PAYLOAD = "<img src=x onerror=alert(document.cookie)>"


@pytest.fixture(scope="module")
def shown():
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    out = subprocess.run([node, str(REPO / "tests" / "support" / "desk_js.js"), str(REPO), PAYLOAD],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _texts(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)
    else:
        yield str(value)


def assert_inert(value):
    texts = list(_texts(value))
    assert texts
    for text in texts:
        assert "<img" not in text and "onerror=" not in text, text
        assert "&amp;lt;" not in text, f"escaped twice (shows &lt; to the user): {text}"


@pytest.mark.parametrize("screen", ["site_fields", "site_messages", "log_fields", "log_list_fields", "link_fields",
                                    "import_fields", "reports", "item_intro", "item_pills"])
def test_the_shops_words_reach_the_desk_as_text(shown, screen):
    assert_inert(shown[screen])
    # and they are still there to read, escaped
    assert any("&lt;img src" in text for text in _texts(shown[screen]))


def test_every_screen_was_reached(shown):
    assert len(shown["site_messages"]) == 2
    assert all(len(cells) == 8 for name, cells in shown["reports"].items() if not name.endswith("messages"))
    assert all(len(msgs) >= 1 for name, msgs in shown["reports"].items() if name.endswith("messages"))
    assert shown["item_intro"] and shown["item_pills"]


@pytest.mark.parametrize("frappe_writes", ["item_pills_by_code", "item_pills_by_code_escape",
                                           "item_pills_by_code_after_redraw"])
def test_every_item_row_gets_its_pill_whatever_its_code(shown, frappe_writes):
    # The Item list finds each row by the code Frappe put in the row checkbox's data-name: as is
    # in Frappe 15.72 (dataset.name = doc.name), escape()d in earlier 15.x releases. Codes with
    # accents, "/", "@", "+", quotes or brackets got no pill when the script encoded them its own way.
    # A realtime update (an Item on screen saved by someone else or a job) redraws the rows without
    # a refresh: the pills come back.
    pills = shown[frappe_writes]
    assert sorted(pills) == sorted(shown["item_codes"])
    missing = [code for code, html in pills.items() if len(html) != 1]
    assert missing == [], f"rows that got no pill (or more than one): {missing}"


def test_the_engine_helper_escapes():
    assert escape(PAYLOAD) == "&lt;img src=x onerror=alert(document.cookie)&gt;"
    assert escape(None) == ""
