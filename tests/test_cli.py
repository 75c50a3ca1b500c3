"""The command line as an admin uses it: check-config, run's refusals, qr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.pg import PgServer, pg_url  # noqa: F401  (the fixture)

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
    assert (
        "2 estates" in result.stdout
        and "flows: followup_outcome (1 step), incident (9 steps)" in result.stdout
        and "incident_update (3 steps), intake (14 steps)" in result.stdout
    )


def test_check_config_names_every_error_in_config_and_flows(tmp_path: Path) -> None:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = text.replace(", en: Shared facilities}", "}")
    text = text.replace("    department: security\n", "    department: secrity\n", 1)
    (tmp_path / "config.yaml").write_text(text, "utf-8")
    flows = tmp_path / "flows"
    flows.mkdir()
    intake = (ROOT / "flows" / "intake.yaml").read_text(encoding="utf-8")
    (flows / "intake.yaml").write_text(intake.replace("next: category", "next: categry"), "utf-8")
    result = _run("check-config", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 2
    assert "config.yaml: categories[3].name.en: missing" in result.stderr
    assert (
        "config.yaml: categories[6].department: unknown department 'secrity'"
        " (known: environment, maintenance, security, service)" in result.stderr
    )
    assert "intake.yaml: step 'description': next 'categry' is not a step" in result.stderr
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


def _free_port() -> int:
    import socket

    with socket.socket() as probe:  # a local port with nobody listening
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_migrate_creates_updates_and_reports_the_sqlite_schema(tmp_path: Path) -> None:
    import sqlite3

    from bot.store import MIGRATIONS

    db = tmp_path / "desk.sqlite3"
    env = {"DATABASE_PATH": str(db)}
    result = _run("migrate", "--config", "config.yaml", env=env)
    assert result.returncode == 0, result.stderr
    assert f"database: created {db} at schema version {len(MIGRATIONS)}" in result.stdout
    result = _run("migrate", "--config", "config.yaml", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"database: schema version {len(MIGRATIONS)} (up to date)"
    # A database of the first release: every later step is applied and shown.
    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as conn:
        conn.executescript(f"{MIGRATIONS[0]}; PRAGMA user_version = 1;")
    result = _run("migrate", "--config", "config.yaml", env={"DATABASE_URL": f"sqlite:///{old}"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"database: updating the schema to version 2 of {len(MIGRATIONS)}")
    assert len(lines) == len(MIGRATIONS)  # one line a step, then the summary
    assert lines[-1] == f"database: schema version {len(MIGRATIONS)} (updated)"


def test_a_schema_newer_than_the_code_is_refused_with_exit_5(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "desk.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    for command in ("migrate", "run"):
        env = {"DATABASE_PATH": str(db), "TELEGRAM_BOT_TOKEN": "123:abc", "PTB_TIMEDELTA": "true"}
        result = _run(command, "--config", "config.yaml", env=env)
        assert result.returncode == 5, result.stderr[-2000:]
        assert "the database schema is version 99, newer than this release knows" in result.stderr
        assert "Traceback" not in result.stderr


def test_check_config_names_a_bad_storage_url_without_its_password() -> None:
    result = _run(
        "check-config",
        "--config",
        "config.yaml",
        env={"DATABASE_URL": "postgresql://desk:s3cret@db:54x2/desk"},
    )
    assert result.returncode == 2
    assert (
        "config.yaml: storage.url: 'postgresql://desk:***@db:54x2/desk': the port '54x2' is not"
        in result.stderr
    )
    assert "s3cret" not in result.stderr + result.stdout
    good = {"DATABASE_URL": "postgresql://desk:s3cret@db:5432/desk"}
    result = _run("check-config", "--config", "config.yaml", env=good)
    assert result.returncode == 0, result.stderr
    assert "database: postgresql postgresql://desk:***@db:5432/desk" in result.stdout
    assert "s3cret" not in result.stderr + result.stdout


def test_run_and_migrate_say_so_when_postgresql_cannot_be_reached() -> None:
    port = _free_port()
    url = f"postgresql://desk:s3cret-pw@127.0.0.1:{port}/desk"
    for command in ("run", "migrate"):
        env = {"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": "123:abc", "PTB_TIMEDELTA": "true"}
        result = _run(command, "--config", "config.yaml", env=env)
        assert result.returncode == 4, result.stderr[-2000:]
        assert f"cannot start: cannot reach the database at 127.0.0.1:{port}: " in result.stderr
        assert "s3cret" not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr


def test_migrate_on_postgresql_and_a_foreign_database_is_refused(
    pg_server: PgServer,
    pg_url: str,  # noqa: F811  (the fixture imported above)
) -> None:
    from bot.store.postgres import MIGRATIONS

    env = {"DATABASE_URL": pg_url}
    result = _run("migrate", "--config", "config.yaml", env=env)
    assert result.returncode == 0, result.stderr
    shown = pg_url  # the test server's URL has no password
    assert result.stdout.strip() == f"database: created {shown} at schema version {len(MIGRATIONS)}"
    result = _run("migrate", "--config", "config.yaml", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"database: schema version {len(MIGRATIONS)} (up to date)"
    # Someone else's database: refused before anything is written, exit 5.
    foreign = pg_server.create_database()
    pg_server.psql("CREATE TABLE invoices (id integer)", database=foreign.rsplit("/", 1)[1])
    env = {"DATABASE_URL": foreign, "TELEGRAM_BOT_TOKEN": "123:abc", "PTB_TIMEDELTA": "true"}
    for command in ("migrate", "run"):
        result = _run(command, "--config", "config.yaml", env=env)
        assert result.returncode == 5, result.stderr[-2000:]
        assert "is not an EstateDesk database (it has other tables: invoices)" in result.stderr
        assert "Traceback" not in result.stderr


def test_import_units_checks_every_row_then_fills_the_register(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "desk.sqlite3"
    env = {"DATABASE_PATH": str(db)}
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "estate,building,unit\nharbour_view,3,1502\nharbour_vew,3,1503\nharbour_view,99,1\n"
        "harbour_view,3\n",
        encoding="utf-8",
    )
    result = _run("import-units", str(bad), "--config", "config.yaml", env=env)
    assert result.returncode == 2
    assert "bad.csv:3: unknown estate 'harbour_vew'" in result.stderr
    assert "bad.csv:4: unknown building '99' of estate 'harbour_view'" in result.stderr
    assert "bad.csv:5: expected estate,building,unit" in result.stderr
    assert not db.exists()  # nothing written
    good = tmp_path / "units.csv"
    good.write_text(
        "estate,building,unit\nharbour_view,3,1502\nharbour_view,3,1503\nharbour_view,3,1502\n",
        encoding="utf-8",
    )
    result = _run("import-units", str(good), "--config", "config.yaml", env=env)
    assert result.returncode == 0, result.stderr
    assert "3 units read, 2 new in the register" in result.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM units").fetchone() == (2,)
