"""The ``telegram:`` section of config.yaml: the token, the Bot API address, the pace, webhook."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.config.webhook import SECRET, Webhook
from bot.redaction import redact

_BOT_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")


def _blank_to_none(value: Any) -> Any:
    """``${VAR:-}`` expands to "", which for an optional setting means "not set"."""
    return None if isinstance(value, str) and not value.strip() else value


class Telegram(BaseModel):
    """How to reach Telegram."""

    # As every section (bot/config/models.py): strict keys, immutable, numbers as text.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    token: str = ""
    api_base_url: str | None = None
    bot_username: str | None = None
    # Messages sent a second, overall: answers, cards and notices alike (and edits in groups).
    # Telegram allows about 30 (more only for paid broadcasts).
    messages_per_second: float = Field(28.0, gt=0, le=1000)
    # New messages to one private chat a second (short bursts pass) and to one group a
    # minute: Telegram's own limits. Raise them only against a test server.
    chat_messages_per_second: float = Field(1.0, gt=0, le=1000)
    group_messages_per_minute: float = Field(20.0, gt=0, le=60000)
    # Webhook mode instead of long polling (bot/config/webhook.py); its secret is set by the
    # environment (TELEGRAM_WEBHOOK_SECRET), never in the file.
    webhook: Webhook | None = None
    webhook_secret: str = ""

    _blank = field_validator("api_base_url", "bot_username", mode="before")(_blank_to_none)

    @model_validator(mode="after")
    def _webhook_secret(self) -> Telegram:
        if self.webhook is not None and not SECRET.fullmatch(self.webhook_secret):
            raise ValueError(
                "telegram.webhook needs TELEGRAM_WEBHOOK_SECRET in the environment: 1-256 of"
                " A-Z a-z 0-9 _ - (Telegram sends it back with every update)"
            )
        return self

    @field_validator("api_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # The token is appended to this URL: a typo must stop here, not in an HTTP error.
        try:
            parts = urlsplit(value)
            good = parts.scheme in ("http", "https") and bool(parts.hostname)
            good = good and (parts.port is None or parts.port > 0)
        except ValueError:  # a bad port or an unclosed [IPv6] bracket
            good = False
        if not good:
            raise ValueError(
                f"{redact(value)!r} is not an http(s) URL with a host (e.g."
                " http://127.0.0.1:8081/bot; leave it empty for Telegram's own servers)"
            )
        return value

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.removeprefix("@")
        if not _BOT_USERNAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a Telegram bot username (5-32 of A-Z a-z 0-9 _)")
        return value
