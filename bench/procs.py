"""Child processes under test: start, stop, and read their CPU time and memory from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process (all its threads) has used so far."""
    raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, its children now alive and those it has reaped (a
    PostgreSQL server: the postmaster and every backend, gone ones included)."""
    raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = raw[raw.rindex(")") + 2 :].split()
    total = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            raw = stat.read_text(encoding="ascii")
            child = raw[raw.rindex(")") + 2 :].split()
            if int(child[1]) == pid:  # the parent's pid (field 4)
                total += int(child[11]) + int(child[12])
    return total / _TICKS


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure from /proc/<pid>/status in KiB (VmRSS now, VmHWM the peak)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(f"{field} not in /proc/{pid}/status")


def own_cpu_seconds() -> float:
    """CPU seconds this (the harness) process has used so far."""
    return cpu_seconds(os.getpid())


class Child:
    """A Python module run as its own process (``python -m module args``), output to a log."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.argv = [sys.executable, "-m", module, *args]
        self.env = {**os.environ, **env}
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at = 0.0

    @property
    def pid(self) -> int:
        """The process id (the process must be running)."""
        assert self.proc is not None, "not started"
        return self.proc.pid

    async def start(self) -> None:
        """Spawn the process; ``started_at`` is the loop time just before the spawn."""
        self.started_at = asyncio.get_running_loop().time()
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=out,
            )

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.proc is not None and self.proc.returncode is None

    async def stop(self, timeout: float = 30.0) -> int | None:  # noqa: ASYNC109
        """SIGTERM, wait, SIGKILL if it will not go; returns the exit code."""
        if self.proc is None:
            return None
        return await signal_then_kill(self.proc, signal.SIGTERM, timeout)

    def log_text(self) -> str:
        """What the process wrote so far."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


class Sampler:
    """py-spy sampling a process (non-blocking) into a collapsed-stack file, if py-spy is here."""

    def __init__(self, pid: int, out: Path, rate: int = 200) -> None:
        self.pid = pid
        self.out = out
        self.rate = rate
        self.proc: asyncio.subprocess.Process | None = None
        self.error: str | None = None

    @staticmethod
    def available() -> str | None:
        """The py-spy executable beside this Python, or None."""
        candidate = Path(sys.executable).parent / "py-spy"
        return str(candidate) if candidate.exists() else None

    async def start(self) -> bool:
        """Begin sampling; False (with ``error``) when py-spy is missing or cannot attach."""
        exe = self.available()
        if exe is None:
            self.error = "py-spy is not installed in this venv (pip install py-spy)"
            return False
        log = self.out.with_suffix(".log")
        with log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                exe,
                "record",
                "--pid",
                str(self.pid),
                "--format",
                "raw",
                "--rate",
                str(self.rate),
                "--nonblocking",
                "--threads",
                "--output",
                str(self.out),
                stdout=out,
                stderr=out,
            )
        await asyncio.sleep(0.3)
        if self.proc.returncode is not None:
            self.error = log.read_text(encoding="utf-8", errors="replace")[-500:]
            return False
        return True

    async def stop(self) -> Path | None:
        """Stop sampling (SIGINT makes py-spy write its file); the file, if written."""
        if self.proc is None:
            return None
        await signal_then_kill(self.proc, signal.SIGINT, 30.0)
        return self.out if self.out.exists() and self.out.stat().st_size else None


async def signal_then_kill(
    proc: asyncio.subprocess.Process,
    sig: signal.Signals,
    timeout: float,  # noqa: ASYNC109
) -> int | None:
    """Ask a process to end with ``sig``, SIGKILL it if it has not within ``timeout``; its
    exit code."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    return proc.returncode
