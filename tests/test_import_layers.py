"""The engine and the adapter stand alone: they never reach into the Frappe edge, and the adapter's
client and connection test depend on each other one way only.

A bench imports ``shopsync.jobs`` (and through it frappe) for every job; if an engine module
imported it back, the engine could no longer run in the sandbox, the tests or a worker without
frappe, and a change in the edge could break an import inside the engine at run time.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
LAYERS = ("shopsync/sync", "shopsync/woocommerce")
#: what the engine and the adapter must never import (the edge, and Frappe itself)
FORBIDDEN = ("shopsync.jobs", "shopsync.api", "shopsync.events", "shopsync.commands", "frappe", "erpnext")


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer_files() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for layer in LAYERS for p in sorted((REPO / layer).rglob("*.py"))}


def imports_of(path: pathlib.Path, module: str | None = None) -> set[str]:
    """Every module a file imports, anywhere in it (a lazy import inside a function counts):
    ``import a.b``, ``from a import b`` (as ``a`` and ``a.b``), relative imports resolved, and
    ``importlib.import_module("a.b")`` / ``__import__("a.b")`` with a literal name."""
    module = module or _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - (node.level - 1)] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_the_checker_sees_every_way_of_importing(tmp_path):
    # the static check is only worth something if it sees lazy, relative and dynamic imports
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib\n"
        "def f():\n    from shopsync import jobs\n"
        "def g():\n    from .. import api\n"
        "def h():\n    return importlib.import_module('shopsync.events')\n"
        "def i():\n    import frappe.utils\n"
    )
    found = {name for name in imports_of(probe, "shopsync.sync.probe") if _forbidden(name)}
    assert {"shopsync.jobs", "shopsync.api", "shopsync.events", "frappe.utils"} <= found


def test_engine_and_adapter_never_import_the_frappe_edge():
    files = _layer_files()
    assert "shopsync.sync.runtime" in files and "shopsync.woocommerce.client" in files
    offenders = {
        name: sorted(n for n in imports_of(path) if _forbidden(n))
        for name, path in files.items()
    }
    offenders = {name: found for name, found in offenders.items() if found}
    assert offenders == {}, f"the engine/adapter reach into the Frappe edge: {offenders}"


def test_client_and_connection_depend_one_way():
    files = _layer_files()
    client, connection = "shopsync.woocommerce.client", "shopsync.woocommerce.connection"
    assert client in imports_of(files[connection]), "the connection test works on a client"
    assert connection not in imports_of(files[client]), "the client must not import the connection test back"


def test_every_engine_and_adapter_module_imports_without_frappe_or_the_edge():
    # In a fresh interpreter with no frappe: import every module (sub-packages too) and check that
    # nothing of the edge came along.
    code = (
        "import importlib, pkgutil, sys\n"
        "try:\n    import frappe\nexcept ImportError:\n    pass\nelse:\n    sys.exit('frappe is installed here')\n"
        "import shopsync.sync, shopsync.woocommerce\n"
        "names = []\n"
        "for pkg in (shopsync.sync, shopsync.woocommerce):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "        names.append(m.name)\n"
        f"edge = sorted(m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in {FORBIDDEN!r}))\n"
        "assert not edge, edge\n"
        "print(len(names))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr or out.stdout
    assert int(out.stdout.strip()) >= len(_layer_files()) - 2  # the two package __init__ files


def test_a_job_without_a_runtime_says_how_to_get_one():
    # Without the Frappe edge (which hands its factory over when a bench imports it) or an
    # installed runtime, a job fails with a sentence, not an ImportError about frappe.
    from shopsync.sync import runtime

    saved = (runtime._current, runtime._factory)
    runtime.install(None)
    runtime.provide(None)
    try:
        try:
            runtime.current()
        except runtime.NoRuntime as exc:
            assert "install()" in str(exc) and "shopsync.jobs.run_job" in str(exc)
        else:
            raise AssertionError("a runtime came from nowhere")
        built = []
        runtime.provide(lambda: built.append(object()) or built[-1])
        first, second = runtime.current(), runtime.current()
        assert first is not second and len(built) == 2, "a fresh runtime per job (each job its own ERP session)"
    finally:
        runtime._current, runtime._factory = saved
