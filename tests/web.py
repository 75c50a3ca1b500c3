"""Helpers for dashboard tests: a Desk with the web server on, and signed-in requests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.web.initdata import sign_init_data
from tests.harness import TOKEN, Desk

PUBLIC_URL = "https://desk.example.com"


def with_web(data: dict[str, Any]) -> None:
    """A config edit: the dashboard on an ephemeral port, behind an HTTPS address."""
    data["web"] = {"listen": "127.0.0.1:0", "public_url": PUBLIC_URL}


def base_url(desk: Desk) -> str:
    """Where the running desk's dashboard listens."""
    assert desk.runtime is not None and desk.runtime.web is not None
    return f"http://127.0.0.1:{desk.runtime.web.port}"


def init_data(user_id: int, at: datetime, token: str = TOKEN, **user: Any) -> str:
    """initData as Telegram would hand it to the Mini App of ``user_id``."""
    who = {"id": user_id, "first_name": user.pop("first_name", "Test"), **user}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(who, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(at.timestamp())),
    }
    return sign_init_data(fields, token)


def tma(user_id: int, at: datetime, token: str = TOKEN) -> dict[str, str]:
    """The Authorization header of a Mini App request."""
    return {"Authorization": f"tma {init_data(user_id, at, token)}"}
