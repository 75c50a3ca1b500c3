"""The whole benchmark: echo reference, intake load, profile, fan-out, database scale."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import telegram

from bench import fanout, gen_db, intake, pg, scale
from bench.people import Inbox
from bench.pg import Db
from bench.procs import ROOT, Child, Sampler, cpu_seconds, tree_cpu_seconds
from bench.profile import summarize
from bench.setup import (
    TOKENS,
    Labels,
    bot_child,
    bot_env,
    echo_child,
    load_bench_settings,
    register_desk,
    start_and_wait_polling,
    write_bench_config,
)
from tests.fakebot import FakeBotApi
from tests.pg import PG_BIN, PgServer

PHASES = ("echo", "echo_aiohttp", "intake", "fanout", "scale")
UNPACED = 1000.0  # messages a second: more than the fake and the bot under test manage
TARGETS = {
    "cpu_ratio_max": 1.5,
    "throughput_ratio_min": 0.67,
    "fanout_ratio_min": 0.9,
    "fanout_429_max": 0,
}


@dataclass
class Options:
    """What to run, and how big."""

    owners: int = 200
    fanout: int = 2000
    fanout_scale: float = 10.0
    db_size: int = 20_000
    profile: bool = True
    step_timeout: float = 600.0
    startup_timeout: float = 900.0
    drain_timeout: float = 900.0
    seed: int = 8
    phases: tuple[str, ...] = PHASES
    storage: str = "sqlite"  # or "postgres": a throwaway PostgreSQL server, a database per phase
    artifacts: Path | None = None  # where to keep logs and profiles (default: dropped)


class BenchError(RuntimeError):
    """A phase could not run (the bot would not start, …)."""


class Databases:
    """A new database for each bot under test: an SQLite file in the temporary folder, or a
    fresh database on the run's PostgreSQL server."""

    def __init__(self, tmp: Path, server: PgServer | None) -> None:
        self.tmp = tmp
        self.server = server

    async def new(self, name: str) -> Db:
        """The database the bot of one phase gets."""
        if self.server is None:
            return self.tmp / f"{name}.sqlite3"
        return await pg.fresh_database(self.server)

    def server_cpu(self) -> float | None:
        """CPU seconds the PostgreSQL server has used so far (None on SQLite)."""
        if self.server is None:
            return None
        return tree_cpu_seconds(pg.server_pid(self.server))


def machine() -> dict[str, Any]:
    """What the figures were measured on, so two runs can be compared."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=10
            ).stdout.strip()
        except OSError:
            return ""

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _pg_version(),
        "python_telegram_bot": telegram.__version__,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--", "bot", "flows", "config.yaml")),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _pg_version() -> str:
    try:
        done = subprocess.run(
            [str(PG_BIN / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except OSError:
        return ""
    return str(done.stdout).strip()


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else ""


async def run_benchmark(opts: Options) -> dict[str, Any]:
    """Run every phase; returns all figures (JSON-ready)."""
    results: dict[str, Any] = {
        "machine": machine(),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="estatedesk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        # The bare bots answer unpaced; so that the intake ratios compare code with code, our
        # bot runs at a test server's pace too (Telegram's pace is what fanout measures).
        config = write_bench_config(
            ROOT / "config.yaml",
            tmp,
            messages_per_second=UNPACED,
            chat_messages_per_second=UNPACED,
        )
        async with contextlib.AsyncExitStack() as stack:
            server = None
            if opts.storage == "postgres":
                try:
                    server = await stack.enter_async_context(pg.server())
                except RuntimeError as exc:
                    raise BenchError(f"--storage postgres: {exc}") from exc
            dbs = Databases(tmp, server)
            fake = await stack.enter_async_context(FakeBotApi(token=TOKENS["intake"]))
            if "echo" in opts.phases:
                results["echo"] = await _echo_phase(fake, config, tmp, opts)
            if "echo_aiohttp" in opts.phases:
                results["echo_aiohttp"] = await _echo_phase(fake, config, tmp, opts, "aiohttp")
            if "intake" in opts.phases:
                results["intake"], profile = await _intake_phase(fake, config, tmp, opts, dbs)
                results["profile"] = {"intake": profile}
            if "fanout" in opts.phases:
                results["fanout"] = await _fanout_phase(fake, config, tmp, opts, dbs)
            if "scale" in opts.phases:
                results["scale"] = await _scale_phase(fake, config, tmp, opts, dbs)
                results.setdefault("profile", {})["startup"] = results["scale"].pop("profile", None)
        if opts.artifacts is not None:
            await asyncio.to_thread(_keep, tmp, opts.artifacts)
    results["ratios"] = _ratios(results)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def _keep(tmp: Path, dest: Path) -> None:
    """Copy the logs, the bench config and the profiles out of the temporary folder."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in tmp.iterdir():
        if path.suffix in (".log", ".txt", ".yaml"):
            shutil.copy(path, dest / path.name)


def _ratios(results: dict[str, Any]) -> dict[str, Any]:
    ratios: dict[str, Any] = {"targets": TARGETS, "meets": {}}
    fan = results.get("fanout")
    if fan is not None:
        ratios["meets"]["fanout_rate"] = fan["achieved_over_allowed"] >= TARGETS["fanout_ratio_min"]
        ratios["meets"]["fanout_429"] = fan["http_429"] <= TARGETS["fanout_429_max"]
    if "intake" not in results or "echo" not in results:
        return ratios
    ours, echo = results["intake"], results["echo"]
    cpu_ratio = ours["cpu_ms_per_update"] / max(echo["cpu_ms_per_update"], 1e-9)
    cpu_all = ours["cpu_ms_per_update_incl_delivery"] / max(echo["cpu_ms_per_update"], 1e-9)
    throughput = ours["updates_per_s"] / max(echo["updates_per_s"], 1e-9)
    conversation = ours["conversation_updates_per_s"] / max(
        echo["conversation_updates_per_s"], 1e-9
    )
    conversation_cpu = ours["conversation_cpu_ms_per_update"] / max(
        echo["conversation_cpu_ms_per_update"], 1e-9
    )
    ratios.update(
        {
            "cpu_per_update_vs_bare": round(cpu_ratio, 2),
            "cpu_per_update_incl_delivery_vs_bare": round(cpu_all, 2),
            "throughput_vs_bare": round(throughput, 3),
            "conversation_throughput_vs_bare": round(conversation, 3),
            "conversation_cpu_per_update_vs_bare": round(conversation_cpu, 2),
        }
    )
    if "db_server_cpu_ms_per_update" in ours:
        with_db = ours["cpu_ms_per_update"] + ours["db_server_cpu_ms_per_update"]
        ratios["cpu_with_db_server_vs_bare"] = round(
            with_db / max(echo["cpu_ms_per_update"], 1e-9), 2
        )
    ratios["meets"]["cpu"] = cpu_ratio <= TARGETS["cpu_ratio_max"]
    ratios["meets"]["throughput"] = throughput >= TARGETS["throughput_ratio_min"]
    ratios["meets"]["conversation_cpu"] = conversation_cpu <= TARGETS["cpu_ratio_max"]
    ratios["meets"]["conversation_throughput"] = conversation >= TARGETS["throughput_ratio_min"]
    same = results.get("echo_aiohttp")
    if same is not None:  # the bare bot on our transport: what our own work costs
        ratios["same_transport"] = {
            "conversation_cpu_per_update": round(
                ours["conversation_cpu_ms_per_update"]
                / max(same["conversation_cpu_ms_per_update"], 1e-9),
                2,
            ),
            "cpu_per_update": round(
                ours["cpu_ms_per_update"] / max(same["cpu_ms_per_update"], 1e-9), 2
            ),
            "conversation_throughput": round(
                ours["conversation_updates_per_s"] / max(same["conversation_updates_per_s"], 1e-9),
                3,
            ),
            "throughput": round(ours["updates_per_s"] / max(same["updates_per_s"], 1e-9), 3),
        }
    return ratios


async def _started(child: Child, fake: FakeBotApi, timeout: float, what: str) -> dict[str, Any]:  # noqa: ASYNC109
    seen = await start_and_wait_polling(child, fake, timeout)
    if seen["getUpdates"] is None:
        await child.stop(5)
        raise BenchError(
            f"{what} did not start polling within {timeout:g}s:\n" + child.log_text()[-3000:]
        )
    await intake.until_idle(child)
    return seen


async def _echo_phase(
    fake: FakeBotApi, config: Path, tmp: Path, opts: Options, transport: str = "httpx"
) -> dict[str, Any]:
    """The bare PTB bot under the same load (same people, same steps, same update count)."""
    token = TOKENS["echo" if transport == "httpx" else f"echo_{transport}"]
    inbox = Inbox(fake, token)
    settings = load_bench_settings(config, fake, TOKENS["intake"], tmp / "unused.sqlite3")
    labels = Labels(settings)
    scripts = {
        uid: intake.echo_steps(steps)
        for uid, steps in intake.scripts_for(
            labels, opts.owners, intake.OWNER_BASE, opts.seed
        ).items()
    }
    env = {**bot_env(fake, token, tmp / "unused.sqlite3"), "ECHO_TRANSPORT": transport}
    child = echo_child(env, tmp / f"echo-bot-{transport}.log")
    startup = await _started(child, fake, opts.startup_timeout, "the echo bot")
    try:
        load = await intake.drive(inbox, child, scripts, opts.step_timeout)
        summary = intake.summarize_load(load, child)
    finally:
        code = await child.stop()
    summary["startup_s"] = round(startup["getUpdates"] or 0.0, 3)
    summary["exit_code"] = code
    return summary


async def _intake_phase(
    fake: FakeBotApi, config: Path, tmp: Path, opts: Options, dbs: Databases
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Our bot: the measured intake load, then a profiled second round."""
    token = TOKENS["intake"]
    db = await dbs.new("intake")
    inbox = Inbox(fake, token)
    settings = load_bench_settings(config, fake, token, db)
    labels = Labels(settings)
    register_desk(inbox, settings)
    child = bot_child(config, bot_env(fake, token, db), tmp / "bot-intake.log")
    startup = await _started(child, fake, opts.startup_timeout, "the bot")
    profile: dict[str, Any] | None = None
    try:
        scripts = intake.scripts_for(labels, opts.owners, intake.OWNER_BASE, opts.seed)
        db_cpu0 = dbs.server_cpu()
        load = await intake.drive(inbox, child, scripts, opts.step_timeout)
        cpu_answered = cpu_seconds(child.pid)
        db_cpu1 = dbs.server_cpu()
        drained = await intake.wait_outbox_drained(db, opts.drain_timeout)
        drained_at = time.monotonic()
        cpu_delivered = cpu_seconds(child.pid)
        summary = intake.summarize_load(load, child)
        updates = max(load.updates, 1)
        if db_cpu0 is not None and db_cpu1 is not None:
            # The database server works for the bot too: counted apart, so the bot's own
            # figure stays comparable with SQLite's (where the database is in the bot's CPU).
            summary["db_server_cpu_ms_per_update"] = round(1000 * (db_cpu1 - db_cpu0) / updates, 3)
        summary.update(
            {
                "startup_s": round(startup["getUpdates"] or 0.0, 3),
                "outbox_drained": drained,
                "outbox_drained_s": round(drained_at - load.started, 3),
                "cpu_s_incl_delivery": round(load.cpu_s + cpu_delivered - cpu_answered, 3),
                "cpu_ms_per_update_incl_delivery": round(
                    1000 * (load.cpu_s + cpu_delivered - cpu_answered) / updates, 3
                ),
            }
        )
        shown = intake.confirmation_numbers(load.runs, settings.ticket_prefix)
        stored = set(await intake.stored_numbers(db))
        summary["tickets"] = {
            "confirmed_to_owners": len(shown),
            "in_database": len(stored),
            "lost": len(set(shown) - stored),  # shown a number that is not in the database
            "duplicates": len(shown) - len(set(shown)),
            "missing": len(load.runs) - len(stored),  # owners without a stored ticket
        }
        if opts.profile:
            profile = await _profiled_round(inbox, child, labels, tmp, opts)
    finally:
        summary_exit = await child.stop()
    summary["exit_code"] = summary_exit
    return summary, profile


async def _fanout_phase(
    fake: FakeBotApi, config: Path, tmp: Path, opts: Options, dbs: Databases
) -> dict[str, Any]:
    """A fresh bot whose outbox gets ``fanout`` messages at once, under the fake's flood limits."""
    token = TOKENS["fanout"]
    db = await dbs.new("fanout")
    inbox = Inbox(fake, token)
    # The bot's own pace scales with the fake's limits, as an admin would set it for a
    # higher allowance (telegram.messages_per_second).
    rate = fanout.DEFAULT_RATE * opts.fanout_scale
    config = write_bench_config(
        ROOT / "config.yaml", tmp, messages_per_second=rate, name="bench-config-fanout.yaml"
    )
    child = bot_child(config, bot_env(fake, token, db), tmp / "bot-fanout.log")
    await _started(child, fake, opts.startup_timeout, "the bot")
    try:
        return await fanout.fan_out(
            fake,
            inbox,
            child,
            db,
            opts.fanout,
            opts.fanout_scale,
            rate,
            timeout=max(60.0, 4 * opts.fanout / rate),
        )
    finally:
        await child.stop()


async def _profiled_round(
    inbox: Inbox, child: Child, labels: Labels, tmp: Path, opts: Options
) -> dict[str, Any]:
    """The same load again, fresh owners, with py-spy sampling the bot process."""
    sampler = Sampler(child.pid, tmp / "intake-pyspy.txt")
    if not await sampler.start():
        return {"error": sampler.error}
    scripts = intake.scripts_for(labels, opts.owners, intake.OWNER_BASE + 100_000, opts.seed + 1)
    load = await intake.drive(inbox, child, scripts, opts.step_timeout)
    path = await sampler.stop()
    if path is None:
        return {"error": "py-spy wrote no samples"}
    result = summarize(path)
    result["owners"] = len(load.ok)
    result["file"] = path.name
    return result


async def _sample_for(pid: int, out: Path, seconds: float) -> dict[str, Any]:
    """py-spy a process for a while (e.g. one stuck starting up)."""
    sampler = Sampler(pid, out)
    if not await sampler.start():
        return {"error": sampler.error}
    await asyncio.sleep(seconds)
    path = await sampler.stop()
    return summarize(path) if path else {"error": "py-spy wrote no samples"}


async def _scale_phase(
    fake: FakeBotApi, config: Path, tmp: Path, opts: Options, dbs: Databases
) -> dict[str, Any]:
    """A generated database of ``db_size`` tickets: start-up, /my, /queue, memory, queries.
    On PostgreSQL the database is generated in SQLite and copied over (COPY)."""
    token = TOKENS["scale"]
    generated = tmp / "scale.sqlite3"
    db: Db = generated
    inbox = Inbox(fake, token)
    settings = load_bench_settings(config, fake, token, db)
    labels = Labels(settings)
    info = await gen_db.generate(generated, opts.db_size, settings, seed=opts.seed)
    copy: dict[str, Any] | None = None
    if dbs.server is not None:
        db = await dbs.new("scale")
        assert isinstance(db, str)  # a PostgreSQL URL
        copy = await pg.copy_sqlite_into(generated, db)
        await asyncio.to_thread(gen_db._remove, generated)
    register_desk(inbox, settings)
    inbox.user(info.owner_id, first_name="Busy owner")
    env = bot_env(fake, token, db)
    child = bot_child(config, env, tmp / "bot-scale.log")
    result: dict[str, Any] = {"database": info.as_dict()}
    if copy is not None:
        result["database"]["postgres_copy"] = copy
    seen = await start_and_wait_polling(child, fake, opts.startup_timeout)
    jobs = re.findall(r"scheduler: (\d+) jobs", child.log_text())
    started = seen["getUpdates"] is not None
    result["startup"] = {
        "get_me_s": None if seen["getMe"] is None else round(seen["getMe"], 3),
        "first_get_updates_s": None if seen["getUpdates"] is None else round(seen["getUpdates"], 3),
        "timed_out": not started,
        "timeout_s": opts.startup_timeout,
        "jobs_rebuilt": int(jobs[-1]) if jobs else None,
    }
    try:
        if started:
            await intake.until_idle(child, timeout=60)
            result["my"] = await scale.command_latency(
                inbox, info.owner_id, "/my", 5, opts.step_timeout
            )
            result["queue"] = await scale.command_latency(
                inbox, info.staff_id, "/queue", 5, opts.step_timeout
            )
            await intake.until_idle(child, timeout=30)
            result["memory_at_rest"] = scale.rss_at_rest(child)
            result["one_report"] = await scale.submit_one(
                inbox, labels, intake.OWNER_BASE + 900_000, opts.step_timeout
            )
        elif opts.profile and child.alive():
            result["profile"] = await _sample_for(child.pid, tmp / "startup-pyspy.txt", 30)
    finally:
        result["exit_code"] = await child.stop()
    if started and opts.profile:
        # Start once more with py-spy attached from the first moment, so the measured start
        # above ran without a profiler.
        again = bot_child(config, env, tmp / "bot-scale-profiled.log")
        sampler = Sampler(0, tmp / "startup-pyspy.txt")

        async def attach() -> None:
            sampler.pid = again.pid
            await sampler.start()

        try:
            await start_and_wait_polling(again, fake, opts.startup_timeout, attach)
        finally:
            path = await sampler.stop()
            await again.stop()
        result["profile"] = (
            summarize(path) if path else {"error": sampler.error or "py-spy wrote no samples"}
        )
    result["queries"] = await scale.query_timings(db, info)
    result["monthly_report"] = await scale.report_timings(
        load_bench_settings(config, fake, token, db)
    )
    return result
