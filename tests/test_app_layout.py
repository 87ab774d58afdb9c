"""The app's shape: what a bench needs to install it, and Frappe kept at the edge."""

from __future__ import annotations

import ast
import json
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
APP = REPO / "shopsync"

# The only modules allowed to import frappe (the edge).
FRAPPE_EDGE = {"api.py", "desk.py", "jobs.py", "events.py", "commands.py", "erp/frappe_erp.py"}


def _imports_frappe(path: pathlib.Path) -> bool:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in ("frappe", "erpnext") for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("frappe", "erpnext"):
            return True
    return False


def test_frappe_is_imported_only_at_the_edge():
    offenders = []
    for path in APP.rglob("*.py"):
        rel = path.relative_to(APP).as_posix()
        if rel in FRAPPE_EDGE or rel.startswith(("shopsync/doctype/", "shopsync/report/")):
            continue
        if _imports_frappe(path):
            offenders.append(rel)
    assert offenders == [], f"these engine modules import frappe: {offenders}"


def test_engine_imports_without_frappe_installed():
    code = (
        "import importlib, pkgutil, sys\n"
        "try:\n    import frappe\nexcept ImportError:\n    pass\nelse:\n    sys.exit('frappe is installed here')\n"
        "import shopsync, shopsync.sync, shopsync.woocommerce, shopsync.erp\n"
        "mods = ['shopsync.hooks', 'shopsync.erp.port', 'shopsync.erp.errors', 'shopsync.erp.contract']\n"
        "mods += [m.name for m in pkgutil.iter_modules(shopsync.sync.__path__, 'shopsync.sync.')]\n"
        "mods += [m.name for m in pkgutil.iter_modules(shopsync.woocommerce.__path__, 'shopsync.woocommerce.')]\n"
        "for m in mods:\n    importlib.import_module(m)\n"
        "assert 'frappe' not in sys.modules\n"
        "print(len(mods))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr or out.stdout
    assert int(out.stdout.strip()) >= 8


def test_frappe_app_files_are_where_a_bench_looks():
    import shopsync

    assert shopsync.__version__
    for rel in ("hooks.py", "modules.txt", "patches.txt", "patches/__init__.py", "shopsync/__init__.py",
                "shopsync/doctype/__init__.py", "translations/fr.csv"):
        assert (APP / rel).exists(), rel
    assert (APP / "modules.txt").read_text().split() == ["ShopSync"]
    for rel in ("setup.py", "requirements.txt", "MANIFEST.in", "README.md"):
        assert (REPO / rel).exists(), rel


def test_hooks_declare_erpnext_and_point_at_real_functions():
    from shopsync import hooks

    assert hooks.app_name == "shopsync"
    assert hooks.required_apps == ["frappe/erpnext"]
    targets = [t for events in hooks.doc_events.values() for t in events.values()]
    targets += [t for ts in hooks.scheduler_events.get("cron", {}).values() for t in ts]
    targets += hooks.scheduler_events.get("hourly", [])
    for target in targets:
        module, _, func = target.rpartition(".")
        path = REPO / (module.replace(".", "/") + ".py")
        tree = ast.parse(path.read_text())
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert func in names, f"{target} does not exist"


def test_requirements_do_not_fight_frappe_15_pins():
    pinned_by_frappe = {"rq", "redis", "requests", "werkzeug"}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name = line.split("=")[0].split("<")[0].split(">")[0].split("~")[0].strip().lower()
        assert name not in pinned_by_frappe, f"{line}: leave {name} to Frappe's own pin"
    assert "woocommerce==3.0.0" in (REPO / "requirements.txt").read_text()


# What Frappe 15 itself installs and pins: the app may import it without declaring it.
PROVIDED_BY_FRAPPE = {"frappe", "erpnext", "click", "redis", "requests", "rq", "urllib3", "werkzeug"}


def _declared_requirements() -> set[str]:
    """The distribution names setup.py's install_requires gets from requirements.txt."""
    import re

    names = set()
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")):
            names.add(re.split(r"[<>=~!\[; ]", line, maxsplit=1)[0].lower())
    return names


def test_every_package_the_app_imports_is_declared_or_comes_with_frappe():
    """A bench installs only what install_requires names: a package imported by the app and
    brought by neither Frappe nor the declaration fails on an ERPNext without it."""
    imported: dict[str, str] = {}
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "shopsync":
                    imported.setdefault(top.lower(), path.relative_to(REPO).as_posix())
    undeclared = {m: where for m, where in imported.items()
                  if m not in PROVIDED_BY_FRAPPE and m not in _declared_requirements()}
    assert undeclared == {}, f"imported but not in requirements.txt (install_requires): {undeclared}"
    assert "rapidfuzz" in imported  # the check sees the engine's own imports


def test_doctypes_are_consistent():
    from shopsync.erp.contract import load_contract

    contract = load_contract()
    docs = {}
    for path in (APP / "shopsync" / "doctype").glob("*/*.json"):
        data = json.loads(path.read_text())
        assert data["doctype"] == "DocType" and data["module"] == "ShopSync", path
        assert path.stem == data["name"].lower().replace(" ", "_"), path
        assert (path.parent / f"{path.stem}.py").exists(), f"{path.stem}.py controller missing"
        docs[data["name"]] = data
    for name, data in docs.items():
        assert data["field_order"] == [f["fieldname"] for f in data["fields"]], name
        for field in data["fields"]:
            if field["fieldtype"] in ("Link", "Table", "Table MultiSelect"):
                target = field["options"]
                assert target in docs or target in contract.doctypes or target in ("User", "DocType"), (name, field)
            if field["fieldtype"] in ("Table", "Table MultiSelect"):
                assert docs[field["options"]]["istable"] == 1, (name, field)


def test_the_readme_map_names_every_module_and_folder():
    """A reader finds any module from the README's map: a module or folder added without its line fails here."""
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Architecture: where things are")
    block = readme[start:readme.index("```", readme.index("```", start) + 3)]
    named = set(re.findall(r"[\w.]+(?:\.py|/)", block))
    missing = []
    for path in sorted(APP.rglob("*.py")):
        rel = path.relative_to(APP)
        if path.name == "__init__.py" or rel.parts[0] in ("shopsync", "patches") or "__pycache__" in rel.parts:
            continue  # doctypes, reports and patches are named by their folders
        if path.name not in named:
            missing.append(rel.as_posix())
    for folder in ("scripts", "sandbox", "tools", "bench", "tests/woosim", "tests/erp_stand_in",
                   "tests/support", "tests/captures", "tests/bench_site", "shopsync/patches",
                   "shopsync/fixtures", "shopsync/public/js", "shopsync/sync/products"):
        if (REPO / folder).is_dir() and folder.rsplit("/", 1)[-1] + "/" not in named:
            missing.append(folder + "/")
    assert missing == [], f"the README's map leaves out: {missing}"
