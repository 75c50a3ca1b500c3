"""``python -m bench``: run the benchmark, print a table, write the figures as JSON.

Quick run (a minute or two):      .venv/bin/python -m bench
Full run (as reported in #8):     .venv/bin/python -m bench --owners 200 --db-size 1000000 \\
                                      --out bench/results/latest.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

# PTB warns about integer time periods unless this is set (the bot processes get it too).
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bench.report import table
from bench.run import PHASES, BenchError, Options, run_benchmark


def parse(argv: list[str] | None = None) -> tuple[Options, Path | None]:
    """Options from the command line."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--owners", type=int, default=200, help="owners filing at once (200)")
    p.add_argument(
        "--fanout", type=int, default=2000, help="outbox messages to distinct chats (2000)"
    )
    p.add_argument(
        "--fanout-scale",
        type=float,
        default=10.0,
        help="multiply the fake's flood limits and the bot's own pace (10: 300/s"
        " allowed, 280/s paced; 1 = Telegram's real limits)",
    )
    p.add_argument(
        "--db-size",
        type=int,
        default=20_000,
        help="tickets in the generated database (20000; the full run uses 1000000)",
    )
    p.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    p.add_argument(
        "--artifacts",
        type=Path,
        default=None,
        help="keep bot logs and py-spy profiles in this folder",
    )
    p.add_argument("--no-profile", action="store_true", help="skip the py-spy rounds")
    p.add_argument(
        "--step-timeout",
        type=float,
        default=600.0,
        help="seconds a person waits for one answer (600)",
    )
    p.add_argument(
        "--startup-timeout",
        type=float,
        default=900.0,
        help="seconds the bot may take to start on the big database (900)",
    )
    p.add_argument(
        "--drain-timeout",
        type=float,
        default=900.0,
        help="seconds to wait for the bot to deliver the staff cards (900)",
    )
    p.add_argument("--seed", type=int, default=8)
    p.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"which parts to run, comma-separated ({','.join(PHASES)})",
    )
    p.add_argument(
        "--storage",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the bot's database: an SQLite file (default) or a throwaway PostgreSQL server"
        " started by the benchmark, a fresh database per phase",
    )
    a = p.parse_args(argv)
    artifacts = a.artifacts
    if artifacts is None and a.out is not None:
        artifacts = a.out.parent / (a.out.stem + "-artifacts")
    opts = Options(
        owners=a.owners,
        fanout=a.fanout,
        fanout_scale=a.fanout_scale,
        db_size=a.db_size,
        profile=not a.no_profile,
        step_timeout=a.step_timeout,
        startup_timeout=a.startup_timeout,
        drain_timeout=a.drain_timeout,
        seed=a.seed,
        artifacts=artifacts,
        phases=_phases(p, a.phases),
        storage=a.storage,
    )
    return opts, a.out


def _phases(parser: argparse.ArgumentParser, text: str) -> tuple[str, ...]:
    chosen = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in chosen if p not in PHASES]
    if unknown or not chosen:
        parser.error(f"--phases: unknown {unknown}; choose from {', '.join(PHASES)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Run, print, write."""
    opts, out = parse(argv)
    try:
        results = asyncio.run(run_benchmark(opts))
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(table(results))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
