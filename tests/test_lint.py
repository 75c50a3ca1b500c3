"""The code stays ruff- and mypy-clean (the settings live in pyproject.toml), in small files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ruff_is_clean() -> None:
    result = _tool("ruff", "check", "bot", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _tool("ruff", "format", "--check", "bot", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _tool("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_file_in_bot_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "bot").rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}, f"split these into modules named for what they hold: {long}"
