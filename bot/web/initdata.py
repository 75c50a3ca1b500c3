"""Checking a Mini App's ``Telegram.WebApp.initData`` exactly as Telegram documents it.

secret_key = HMAC-SHA256(key="WebAppData", msg=bot_token); the data-check-string is every
received field but ``hash`` as ``key=value``, sorted by key, joined by newlines; the
``hash`` must equal hex(HMAC-SHA256(key=secret_key, msg=data_check_string)).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

# initData is a short query string; anything much longer is not Telegram's.
MAX_LENGTH = 4096


class InitDataError(Exception):
    """initData that does not prove who sent it; the message says why (for the log)."""


@dataclass(frozen=True)
class InitDataUser:
    """The Telegram user a valid initData names."""

    telegram_id: int
    first_name: str
    language_code: str | None
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields))


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would send it for ``fields`` (tests, and tools that sign in)."""
    digest = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    return urlencode({**fields, "hash": digest.hexdigest()})


def validate_init_data(raw: str, bot_token: str, now: datetime, max_age: timedelta) -> InitDataUser:
    """The user of a genuine, fresh initData; InitDataError for anything else."""
    if not raw or len(raw) > MAX_LENGTH:
        raise InitDataError("empty or oversized initData")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("initData is not a query string") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            # Which of two values was signed is ambiguous: refuse rather than pick one.
            raise InitDataError(f"duplicated key {key!r}")
        fields[key] = value
    received = fields.pop("hash", None)
    if not received:
        raise InitDataError("no hash")
    expected = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), received.lower()):
        raise InitDataError("bad signature")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        telegram_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError):
        raise InitDataError("signed, but without auth_date or user") from None
    if now - auth_date > max_age:
        raise InitDataError("expired")
    if auth_date - now > timedelta(minutes=5):
        raise InitDataError("auth_date in the future")
    language = user.get("language_code")
    return InitDataUser(
        telegram_id,
        str(user.get("first_name") or ""),
        language if isinstance(language, str) else None,
        auth_date,
    )
