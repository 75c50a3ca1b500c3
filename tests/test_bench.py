"""The benchmark runs end to end at a tiny size and its figures are sane (not a speed test)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pg import PG_BIN

ROOT = Path(__file__).resolve().parent.parent


def _ordered(latency: dict[str, Any]) -> None:
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            *extra,
            "--owners",
            "5",
            "--fanout",
            "50",
            "--db-size",
            "2000",
            "--no-profile",
            "--step-timeout",
            "30",
            "--startup-timeout",
            "30",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = _run(out)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Intake: 5 owners" in result.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))

    machine = figures["machine"]
    assert machine["cpu_count"] >= 1 and machine["python"].startswith("3.")
    assert re.fullmatch(r"[0-9a-f]{40}", machine["git_commit"])

    ours, echo = figures["intake"], figures["echo"]
    for run in (ours, echo, figures["echo_aiohttp"]):
        assert run["owners_completed"] == run["owners"] == 5, run["errors"]
        assert run["updates"] == 35  # 7 steps each
        assert run["updates_per_s"] > 0 and run["completed_per_s"] > 0
        assert run["cpu_ms_per_update"] > 0 and run["peak_rss_mib"] > 0
        assert run["conversation_updates_per_s"] > 0 and run["conversation_cpu_ms_per_update"] > 0
        _ordered(run["latency"])
    assert ours["tickets"] == {
        "confirmed_to_owners": 5,
        "in_database": 5,
        "lost": 0,
        "duplicates": 0,
        "missing": 0,
    }
    assert ours["outbox_drained"]
    assert ours["cpu_ms_per_update_incl_delivery"] >= ours["cpu_ms_per_update"]
    _ordered(ours["latency_by_step"]["submit"])

    ratios = figures["ratios"]
    assert ratios["cpu_per_update_vs_bare"] > 0 and ratios["throughput_vs_bare"] > 0
    assert ratios["conversation_cpu_per_update_vs_bare"] > 0
    assert all(v > 0 for v in ratios["same_transport"].values()), ratios["same_transport"]

    fan = figures["fanout"]
    assert fan["delivered"] == fan["messages"] == 50 and fan["complete"]
    assert fan["achieved_per_s"] > 0 and fan["http_429"] >= 0
    # Both figures are rounded, so the ratio of the rounded rate may differ in the last place.
    assert fan["achieved_over_allowed"] == pytest.approx(
        fan["achieved_per_s"] / fan["fake_global_limit_per_s"], abs=0.002
    )

    scale = figures["scale"]
    db = scale["database"]
    assert db["tickets"] == 2000 and 0.02 < db["open_tickets"] / db["tickets"] < 0.1
    assert 10 <= db["owner_tickets"] <= 30
    start = scale["startup"]
    assert not start["timed_out"] and 0 < start["get_me_s"] <= start["first_get_updates_s"]
    for command in ("my", "queue"):
        assert "error" not in scale[command], scale[command]
        assert 0 < scale[command]["median_ms"] <= scale[command]["max_ms"]
    assert scale["memory_at_rest"]["rss_mib"] > 0
    assert scale["one_report"]["error"] is None
    assert {q["query"].split()[0] for q in scale["queries"]} >= {"open_load", "owner_tickets"}
    assert all(q["best_ms"] >= 0 and q["plan"] for q in scale["queries"])
    month = scale["monthly_report"]
    assert month["opened"] > 0 and 0 < month["best_s"] <= month["first_s"]


def test_benchmark_smoke_on_postgres(tmp_path: Path) -> None:
    """``--storage postgres``: the bot's phases on a throwaway PostgreSQL server."""
    if not (PG_BIN / "initdb").exists():
        reason = f"PostgreSQL server binaries not found in {PG_BIN} (set PG_BIN)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    out = tmp_path / "bench.json"
    result = _run(out, "--storage", "postgres", "--phases", "intake,fanout,scale")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "storage: PostgreSQL" in result.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["options"]["storage"] == "postgres"
    ours = figures["intake"]
    assert ours["owners_completed"] == 5 and ours["updates"] == 35, ours["errors"]
    assert ours["tickets"]["in_database"] == 5 and ours["tickets"]["lost"] == 0
    assert ours["outbox_drained"]
    assert figures["fanout"]["delivered"] == 50
    scale = figures["scale"]
    assert scale["database"]["postgres_copy"]["rows"]["tickets"] == 2000
    assert not scale["startup"]["timed_out"]
    for command in ("my", "queue"):
        assert "error" not in scale[command], scale[command]
    assert scale["one_report"]["error"] is None
    assert scale["monthly_report"]["opened"] > 0
    plans = [p for q in scale["queries"] for p in q["plan"]]
    assert any("tickets" in p for p in plans) and not any("cannot explain" in p for p in plans)
