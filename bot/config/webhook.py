"""``telegram.webhook``: Telegram pushes updates to ``url``; each replica listens on ``listen``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Telegram's rule for setWebhook's secret_token.
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Webhook(BaseModel):
    """Webhook mode (instead of long polling); the secret comes from TELEGRAM_WEBHOOK_SECRET."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    listen: str = "0.0.0.0:8443"
    # Telegram's updates are a few kilobytes; anything far larger is not Telegram.
    max_body: int = Field(1_048_576, ge=1024, le=64 * 1024 * 1024)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            good = parts.scheme == "https" and bool(parts.hostname)
        except ValueError:
            good = False
        if not good:
            raise ValueError(
                f"{value!r} is not an https URL with a host (Telegram pushes only to HTTPS,"
                " e.g. https://desk.example.com/telegram)"
            )
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:8443)")
        return value

    @property
    def host(self) -> str:
        """The address to listen on."""
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        """The port to listen on."""
        return int(self.listen.rpartition(":")[2])

    @property
    def path(self) -> str:
        """The path Telegram posts to (the URL's, behind any reverse proxy)."""
        return urlsplit(self.url).path or "/"
