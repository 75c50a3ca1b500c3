"""The storage section: a database URL (an SQLite file or a PostgreSQL server), or a file path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")
DEFAULT_PATH = "estatedesk.sqlite3"
_EXAMPLES = "use sqlite:///estatedesk.sqlite3 or postgresql://user:password@host:5432/dbname"

Backend = Literal["sqlite", "postgresql"]


def mask_password(url: str) -> str:
    """The URL with its password shown as ``***``, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    # The last "@" ends the user info: a password may hold an unescaped "@" of its own.
    at = rest.rfind("@")
    if at < 0 or ":" not in rest[:at]:
        return url
    user = rest[:at].split(":", 1)[0]
    return f"{scheme}://{user}:***@{rest[at + 1 :]}"


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed storage URL: the backend and where it lives."""

    backend: Backend
    path: str = ""  # the SQLite file ("" for PostgreSQL)
    host: str = ""
    port: int | None = None
    database: str = ""


def _port(hostport: str) -> str | None:
    """The text after the host's colon (None without one); IPv6 hosts are in brackets."""
    tail = hostport.rsplit("]", 1)[-1]
    return tail.rsplit(":", 1)[1] if ":" in tail else None


def parse_database_url(url: str) -> DatabaseUrl:
    """Check and split a storage URL; ValueError names the problem (never the password)."""
    shown = repr(mask_password(url))
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        if not url.startswith(SQLITE_PREFIX):
            raise ValueError(f"{shown} is not sqlite:///path (three slashes, then the file)")
        path = url[len(SQLITE_PREFIX) :]
        if not path:
            raise ValueError(f"{shown} names no database file (e.g. sqlite:///estatedesk.sqlite3)")
        return DatabaseUrl("sqlite", path=path)
    if scheme not in POSTGRES_SCHEMES:
        what = f"unknown scheme {scheme!r}" if scheme else "no scheme"
        raise ValueError(f"{shown} has {what} ({_EXAMPLES})")
    rest = url.split("://", 1)[1]
    authority = rest.split("/", 1)[0] if "/" in rest else rest
    hostport = authority.rsplit("@", 1)[-1]
    port_text = _port(hostport)
    host = hostport[: len(hostport) - len(port_text) - 1] if port_text is not None else hostport
    host = host.strip("[]")
    if not host:
        raise ValueError(f"{shown} has no host (e.g. postgresql://desk:password@localhost/desk)")
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{shown}: the port {port_text!r} is not a number from 1 to 65535")
        port = int(port_text)
    database = rest[len(authority) :].lstrip("/").split("?", 1)[0]
    if not database:
        raise ValueError(f"{shown} has no database name (e.g. postgresql://…@{host}/desk)")
    return DatabaseUrl("postgresql", host=host, port=port, database=database)


class Storage(BaseModel):
    """Where the database lives: ``url`` (SQLite or PostgreSQL) or, as before, a file ``path``.

    After loading both are set: ``path`` is the SQLite file (empty for PostgreSQL), ``url`` says
    the same as a URL, so readers of either keep working.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    url: str = SQLITE_PREFIX + DEFAULT_PATH
    path: str = DEFAULT_PATH

    @model_validator(mode="before")
    @classmethod
    def _url_or_path(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if "url" in data and "path" in data:
            # Which one the bot would use is a guess either way: the person must choose.
            raise ValueError(
                "storage.url and storage.path are both set: keep one"
                " (path: FILE is the same as url: sqlite:///FILE)"
            )
        if "path" in data:
            return {**data, "url": f"{SQLITE_PREFIX}{data['path']}"}
        return data

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        parse_database_url(value)
        return value

    @model_validator(mode="after")
    def _path_from_url(self) -> Storage:
        # Frozen model: the file path is set once, here, from the URL it was given.
        object.__setattr__(self, "path", self.parsed.path)
        return self

    @property
    def parsed(self) -> DatabaseUrl:
        """The URL split into backend, file or host, port and database."""
        return parse_database_url(self.url)

    @property
    def backend(self) -> Backend:
        """``sqlite`` or ``postgresql``."""
        return self.parsed.backend

    @property
    def shown(self) -> str:
        """Where the database is, fit for logs: the SQLite file, or the URL without password."""
        return self.path if self.backend == "sqlite" else mask_password(self.url)
