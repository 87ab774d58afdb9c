"""Every message shopsync hands to Frappe's translation (``_()`` in Python, ``__()`` in the desk's
JavaScript) has a French row in shopsync/translations/fr.csv: a French user never meets an English
sentence in the desk that the app could have translated.

(The engine's own outcomes and errors, stored in English, are not ``_()`` strings: they are out of
this check.)
"""

from __future__ import annotations

import ast
import csv
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parent.parent
APP = REPO / "shopsync"
FR = APP / "translations" / "fr.csv"

# __("literal") or __('literal') in JavaScript; a template literal without ${...} counts too
JS_CALL = re.compile(r"""(?<![\w$.])__\(\s*(?:"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)'|`((?:\\.|[^`\\$])*)`)""")
JS_ESCAPES = re.compile(r"\\(.)", re.S)


def python_messages(path: pathlib.Path) -> set[str]:
    """The literal first argument of every ``_(...)`` call (implicit concatenation included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "_lt")
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


def js_messages(path: pathlib.Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found = set()
    for match in JS_CALL.finditer(text):
        literal = next(g for g in match.groups() if g is not None)
        found.add(JS_ESCAPES.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), literal))
    return found


def app_messages() -> dict[str, str]:
    """message -> the first file that uses it"""
    out: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        for message in python_messages(path):
            out.setdefault(message, path.relative_to(REPO).as_posix())
    for path in sorted(APP.rglob("*.js")):
        for message in js_messages(path):
            out.setdefault(message, path.relative_to(REPO).as_posix())
    return out


def french_rows() -> dict[str, str]:
    with FR.open(newline="", encoding="utf-8") as f:
        return {row[0]: row[1] for row in csv.reader(f) if row}


def test_the_extraction_finds_what_frappe_would(tmp_path):
    py = tmp_path / "x.py"
    py.write_text('from frappe import _\nx = _("One {0}").format(1)\ny = _(\n    "Two "\n    "lines"\n)\nz = _(name)\n')
    assert python_messages(py) == {"One {0}", "Two lines"}
    js = tmp_path / "x.js"
    js.write_text("""__("Say \\"hi\\"");\nfrappe.__("no");\n__('it\\'s', [1]);\n__(`plain`);\n__(`${x} not`);\nmy__("no");\n""")
    assert js_messages(js) == {'Say "hi"', "it's", "plain"}


def test_every_message_has_a_french_row():
    messages = app_messages()
    assert len(messages) > 60, "the extraction found too little to be looking in the right place"
    french = french_rows()
    missing = {m: where for m, where in messages.items() if not french.get(m, "").strip()}
    assert missing == {}, "messages with no French row in shopsync/translations/fr.csv:\n" + "\n".join(
        f"  {where}: {m!r}" for m, where in sorted(missing.items(), key=lambda kv: kv[1]))


def test_the_french_rows_keep_their_placeholders():
    # a row that loses "{0}" shows the user a sentence with a hole; one that gains one, a stray brace
    for source, target in french_rows().items():
        assert sorted(re.findall(r"\{\d+\}", source)) == sorted(re.findall(r"\{\d+\}", target)), (source, target)
