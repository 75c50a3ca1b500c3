"""bench.board at a tiny size: the figures are there and sane (not a speed test)."""

from __future__ import annotations

from pathlib import Path

from bench import board


def test_the_board_bench_measures_every_kind_of_request(tmp_path: Path) -> None:
    out = tmp_path / "board.json"
    db = tmp_path / "board.sqlite3"
    argv = ["--tickets", "2000", "--db", str(db), "--storage", "sqlite", "--rounds", "1"]
    assert board.main([*argv, "--out", str(out)]) == 0
    import json

    result = json.loads(out.read_text(encoding="utf-8"))
    figures = result["sqlite"]
    assert {"admin: board (6 columns, 20 each)", "supervisor: search", "admin: ticket"} <= set(
        figures
    )
    for kind, f in figures.items():
        assert f["n"] >= 1 and 0 < f["p50_ms"] <= f["p95_ms"] <= f["max_ms"], kind
    assert result["generated"]["open"] > 0
