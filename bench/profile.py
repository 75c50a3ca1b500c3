"""Reading py-spy's collapsed stacks: where the bot process spends its CPU time."""

from __future__ import annotations

import linecache
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
OWN_PREFIXES = ("bot/", "bot\\")


@dataclass(frozen=True)
class Frame:
    """One stack frame as py-spy names it."""

    func: str
    file: str
    line: int = 0

    @property
    def where(self) -> str:
        """``file:function``."""
        return f"{self.file}:{self.func}"

    @property
    def own(self) -> bool:
        """Whether the frame is in the bot's own package."""
        path = self.file.replace("\\", "/")
        return path.startswith("bot/") or ("/bot/" in path and "site-packages" not in path)


def _parse(line: str) -> tuple[str, list[Frame], int] | None:
    stack, _, count = line.rstrip().rpartition(" ")
    if not stack or not count.isdigit():
        return None
    parts = stack.split(";")
    thread = parts[0] if parts[0].startswith(("thread", "process")) else ""
    frames = []
    for raw in parts[1:] if thread else parts:
        match = _FRAME.match(raw)
        if match:
            file = match["file"]
            cut = file.find("site-packages/")
            frames.append(
                Frame(
                    match["func"], file[cut + 14 :] if cut >= 0 else file, int(match["line"] or 0)
                )
            )
        else:
            frames.append(Frame(raw, "?"))
    return thread, frames, int(count)


def summarize(path: Path, top: int = 15) -> dict[str, Any]:
    """Top functions by self time, our code by inclusive time, and the deepest own frame.

    Idle samples (the event loop waiting in select, aiosqlite's thread waiting for work) are
    counted apart; shares are of the busy samples. A stack is cut at the event loop's
    ``Handle._run`` so that the entry point (``bot/cli.py:main``) is not charged for everything.
    """
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    attributed: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    busy = idle = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parsed = _parse(line)
        if parsed is None:
            continue
        thread, frames, count = parsed
        if not frames or _idle(frames[-1]):
            idle += count
            continue
        busy += count
        threads[_thread_kind(thread)] += count
        leaf[frames[-1].where] += count
        task = _task_part(frames)
        own = [f for f in task if f.own and f.where not in _ENTRY]
        for where in {f.where for f in own}:
            inclusive[where] += count
        attributed[own[-1].where if own else _outside(task)] += count

    def table(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"where": where, "samples": n, "share": round(n / busy, 4) if busy else 0.0}
            for where, n in counter.most_common(top)
        ]

    return {
        "samples": busy + idle,
        "busy_samples": busy,
        "idle_samples": idle,
        "threads": dict(threads.most_common()),
        "self": table(leaf),
        "own_inclusive": table(inclusive),
        "own_attributed": table(attributed),
    }


_ENTRY = frozenset({"bot/cli.py:main", "bot/__main__.py:<module>"})
_IDLE_FUNCS = frozenset(
    {
        "EpollSelector.select",
        "PollSelector.select",
        "SelectSelector.select",
        "Condition.wait",
        "Event.wait",
        "SimpleQueue.get",
        "Queue.get",
    }
)


def _idle(frame: Frame) -> bool:
    """A frame that waits rather than works."""
    if frame.func in _IDLE_FUNCS:
        return True
    if frame.func == "_connection_worker_thread" and frame.line:
        # aiosqlite's worker blocks in ``tx.get()`` (C code, no frame of its own) between jobs.
        return ".get(" in _source_line(frame)
    return False


def _source_line(frame: Frame) -> str:
    import importlib.util

    module = frame.file.removesuffix(".py").replace("/", ".")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return ""
    origin = spec.origin if spec is not None else None
    return linecache.getline(origin, frame.line) if origin else ""


def _task_part(frames: list[Frame]) -> list[Frame]:
    """The frames of the task or callback the event loop is running (all, outside the loop)."""
    for index in range(len(frames) - 1, -1, -1):
        if frames[index].func == "Handle._run" and frames[index].file.endswith("events.py"):
            return frames[index + 1 :]
    return frames


def _outside(frames: list[Frame]) -> str:
    """Name a stack with no frame of ours by what it is (the sqlite thread, the event loop…)."""
    if not frames:
        return "(asyncio event loop)"
    files = " ".join(f.file for f in frames)
    if "aiosqlite" in files:
        return "(aiosqlite worker thread: sqlite3 calls incl. commits/fsync)"
    if "apscheduler" in files:
        return "(apscheduler)"
    if "telegram" in files:
        return f"(python-telegram-bot: {frames[0].where})"
    if "asyncio" in files or "selectors" in files:
        return "(asyncio event loop)"
    return f"({frames[-1].where})"


def _thread_kind(thread: str) -> str:
    """Which thread a stack is from: the event loop, aiosqlite's worker, or another."""
    name = thread.partition(": ")[2]
    if name == "MainThread" or not name:
        return "main (event loop)"
    if "_connection_worker_thread" in name:
        return "aiosqlite worker"
    return name
