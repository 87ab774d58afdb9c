"""The real shop's timings (tests/captures/woocommerce/timings.json) as the benchmarks' cost model.

Per request: the median of ``GET products/<id>``; per batch item: the median 100-update batch less
one request, divided by 100 (webhooks paused, WP_DEBUG on: the steadiest of the captured modes)."""

from __future__ import annotations

import json
import pathlib

DEFAULT_TIMINGS = pathlib.Path(__file__).resolve().parent.parent / "tests" / "captures" / "woocommerce" / "timings.json"


def cost_model(path: pathlib.Path = DEFAULT_TIMINGS, mode: str = "webhooks_paused") -> tuple[float, float, dict]:
    """(ms per request, ms per batch item, the medians they come from)."""
    results = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["results"][mode]
    single = results["GET products/<id>"]["median_ms"]
    batch100 = results["POST products/batch update 100 stock"]["median_ms"]
    return single, max(0.0, (batch100 - single) / 100), {
        "GET products/<id> median": single,
        "PUT products/<id> median": results["PUT products/<id> stock_quantity"]["median_ms"],
        "batch 100 median": batch100,
    }
