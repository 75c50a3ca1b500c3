"""The ``web:`` section of config.yaml: where the dashboard listens and how long logins last."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.durations import Duration


def _blank_to_none(value: object) -> object:
    """``${WEB_LISTEN:-}`` expands to "", which means "not set"."""
    return None if isinstance(value, str) and not value.strip() else value


def parse_listen(value: str) -> tuple[str, int]:
    """ "127.0.0.1:8080" → ("127.0.0.1", 8080); "[::1]:8080" → ("::1", 8080); ValueError else."""
    host, sep, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:8080)")
    return host, int(port)


class Web(BaseModel):
    """The supervisor dashboard / Telegram Mini App (off unless ``listen`` is set)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # host:port the web server binds; the WEB_LISTEN environment variable wins over it.
    listen: str | None = None
    # The HTTPS address people open (the reverse proxy in front of ``listen``); Telegram's
    # Mini App button needs https, the one-time login links use it too.
    public_url: str | None = None
    # How old a Mini App's signed initData may be (Telegram's auth_date).
    init_data_max_age: Duration = timedelta(hours=24)
    # A browser session ends after this long without a request.
    session_idle: Duration = timedelta(hours=8)
    # A one-time login link from /dashboard works once, for this long.
    login_link_ttl: Duration = timedelta(minutes=10)
    # How often an open board asks for changes (seconds).
    refresh_seconds: int = Field(4, ge=1, le=5)

    _blank = field_validator("listen", "public_url", mode="before")(_blank_to_none)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            good = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            good = False
        if not good or parts.query or parts.fragment:
            raise ValueError(f"{value!r} is not an http(s) URL (e.g. https://desk.example.com)")
        return value.rstrip("/")

    @field_validator("init_data_max_age", "session_idle", "login_link_ttl")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=1) <= value <= timedelta(days=30):
            raise ValueError("must be between 1m and 30d")
        return value

    @property
    def https(self) -> bool:
        """Whether people reach the dashboard over HTTPS (Mini App button, Secure cookies)."""
        return bool(self.public_url and self.public_url.startswith("https://"))
