"""Time comes from one clock: nothing in bot/ reads the wall clock behind its back."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Calendar time from anywhere but bot/clock.py would disagree with an injected clock.
# time.monotonic() is allowed: it measures elapsed time (pacing, timeouts), never a due moment.
WALL_CLOCK = re.compile(r"\b(datetime\.(now|today|utcnow)|date\.today|time\.time)\(")


def test_only_bot_clock_reads_the_wall_clock() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if path != ROOT / "bot" / "clock.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert not offenders, "use the injected clock (bot.clock):\n" + "\n".join(offenders)


def test_the_check_catches_a_wall_clock_read() -> None:
    assert WALL_CLOCK.search("now = datetime.now(UTC)")
    assert WALL_CLOCK.search("stamp = time.time()")
    assert not WALL_CLOCK.search("start = time.monotonic()")
