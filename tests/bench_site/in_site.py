"""Runs one check of ``site_checks`` inside a real bench, with frappe connected to the site.

Called by the tests in this folder as
``<bench>/env/bin/python tests/bench_site/in_site.py <site> <check> '<json kwargs>'`` from
``<bench>/sites``; prints the check's JSON result on the last line of stdout.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def main() -> int:
    site, check, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3] if len(sys.argv) > 3 else "{}")
    import frappe

    from importlib import import_module

    module, _, name = check.rpartition(":")  # "rules_checks:some_check" runs a check of another module
    checks = import_module(f"tests.bench_site.{module or 'site_checks'}")

    frappe.init(site=site, sites_path=".")
    frappe.connect()
    frappe.set_user("Administrator")
    try:
        result = getattr(checks, name)(**kwargs)
        frappe.db.commit()
    finally:
        frappe.destroy()
    print("\n" + json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
