"""The command line as an admin uses it: check-config, run's refusals, qr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_check_config_passes_on_the_shipped_config() -> None:
    result = _run("check-config", "--config", "config.yaml")
    assert result.returncode == 0, result.stderr
    assert "config.yaml: OK" in result.stdout
    assert "2 estates" in result.stdout and "flows: intake (13 steps)" in result.stdout


def test_check_config_names_every_error_in_config_and_flows(tmp_path: Path) -> None:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = text.replace(", en: Shared facilities}", "}")
    text = text.replace("    department: security\n", "    department: secrity\n", 1)
    (tmp_path / "config.yaml").write_text(text, "utf-8")
    flows = tmp_path / "flows"
    flows.mkdir()
    intake = (ROOT / "flows" / "intake.yaml").read_text(encoding="utf-8")
    (flows / "intake.yaml").write_text(intake.replace("next: photos", "next: fotos"), "utf-8")
    result = _run("check-config", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 2
    assert "config.yaml: categories[3].name.en: missing" in result.stderr
    assert (
        "config.yaml: categories[6].department: unknown department 'secrity'"
        " (known: environment, maintenance, security, service)" in result.stderr
    )
    assert "intake.yaml: step 'description': next 'fotos' is not a step" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_refuses_invalid_config_and_missing_token(tmp_path: Path) -> None:
    broken = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("timezone: Asia/Shanghai", "timezone: Asia/Shangai"), "utf-8")
    (tmp_path / "flows").symlink_to(ROOT / "flows")
    result = _run("run", "--config", str(broken))
    assert result.returncode == 2
    assert "config.yaml: timezone: unknown timezone 'Asia/Shangai'" in result.stderr
    result = _run("run", "--config", "config.yaml", env={"TELEGRAM_BOT_TOKEN": ""})
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_qr_writes_one_png_per_area(tmp_path: Path) -> None:
    result = _run("qr", "--config", "config.yaml", "--out", str(tmp_path / "qr"))
    assert result.returncode == 0, result.stderr
    pngs = sorted(p.name for p in (tmp_path / "qr").glob("*.png"))
    assert len(pngs) == 19 and "hv-3-lifts.png" in pngs
    assert (tmp_path / "qr" / "hv-3-lifts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_says_so_when_telegram_cannot_be_reached(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a local port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run(
        "run",
        "--config",
        "config.yaml",
        env={
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
            "DATABASE_PATH": str(tmp_path / "desk.sqlite3"),
            "PTB_TIMEDELTA": "true",
        },
    )
    assert result.returncode == 4, result.stderr[-2000:]
    assert "cannot reach Telegram's Bot API" in result.stderr
    assert "Traceback" not in result.stderr and "123:abc" not in result.stderr


def test_check_config_names_answers_a_flow_no_longer_collects(tmp_path: Path) -> None:
    """An edited flow that loses a field the bot reads at submit fails the check, not an owner."""
    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text("utf-8"), "utf-8")
    flows = tmp_path / "flows"
    flows.mkdir()
    for path in (ROOT / "flows").glob("*.yaml"):
        (flows / path.name).write_text(path.read_text("utf-8"), "utf-8")
    intake = (flows / "intake.yaml").read_text("utf-8")
    assert "  - id: urgency\n" in intake
    (flows / "intake.yaml").write_text(
        intake.replace("  - id: urgency\n", "  - id: urgency\n    field: priority\n"), "utf-8"
    )
    note = (flows / "note.yaml").read_text("utf-8")
    (flows / "note.yaml").write_text(note.replace("type: text", "type: message"), "utf-8")
    resolve = (flows / "resolve.yaml").read_text("utf-8")
    assert "    type: text\n" in resolve
    (flows / "resolve.yaml").write_text(
        resolve.replace("    type: text\n", "    type: text\n    optional: true\n", 1), "utf-8"
    )
    result = _run("check-config", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 2, result.stdout
    assert "intake.yaml: flow 'intake': no step collects 'urgency' (choice)" in result.stderr
    assert (
        "note.yaml: flow 'note': step 'text' collects 'text' as message; the bot needs text"
        in result.stderr
    )
    assert (
        "resolve.yaml: flow 'resolve': step 'note' collects 'note', which the bot needs:"
        " it cannot be optional" in result.stderr
    )
    assert "Traceback" not in result.stderr
