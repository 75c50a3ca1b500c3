"""A throwaway PostgreSQL server for tests: started once per session, a fresh database per test.

Register the fixtures in a conftest or test module with
``from tests.pg import pg_server, pg_url  # noqa: F401``. Without the server binaries the tests
that use them are skipped, except under ``CI=true``, where a missing server is a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD_ROLE = "estatedesk_pw"
"""The one role that must log in with a password (everyone else is trusted): create it with
``CREATE ROLE estatedesk_pw LOGIN PASSWORD '…'`` to test a refused login."""


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgServer:
    """A running server in a temporary directory, reached at 127.0.0.1:``port``."""

    root: Path
    port: int
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def datadir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    def run(self, *args: str) -> str:
        """Run a server binary as the cluster's owner (postgres, when we are root)."""
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root.
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one statement through psql (CREATE DATABASE must be alone in its call)."""
        return self.run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
            "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql,
        )  # fmt: skip

    def url(self, database: str, password: str | None = None) -> str:
        """The connection URL of a database on this server."""
        login = "postgres" if password is None else f"postgres:{password}"
        return f"postgresql://{login}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"t_{next(self._numbers)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        try:
            self.run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    """initdb a new cluster in a temporary directory and start it (about 1.5 s)."""
    root = Path(tempfile.mkdtemp(prefix="estatedesk-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    server = PgServer(root, _free_port())
    try:
        server.run("initdb", "-A", "trust", "-U", "postgres", "-D", str(server.datadir), "-N")
        # First match wins: this line, before initdb's trust lines, makes one role's login
        # checkable (a wrong password is refused) while every other role stays trusted.
        hba = server.datadir / "pg_hba.conf"
        rule = f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
        hba.write_text(rule + hba.read_text())
        options = (
            f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=200"
        )
        server.run(
            "pg_ctl", "-D", str(server.datadir), "-l", str(root / "log"), "-o", options,
            "start", "-w",
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session (skipped without the binaries)."""
    if not (PG_BIN / "initdb").exists():
        reason = f"PostgreSQL server binaries not found in {PG_BIN} (set PG_BIN)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh empty database on the session's server: ``postgresql://postgres@…/t_<n>``."""
    return pg_server.create_database()
