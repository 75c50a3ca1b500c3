"""Mini App initData is checked exactly as Telegram documents it (bot.web.initdata)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.web.initdata import InitDataError, sign_init_data, validate_init_data

TOKEN = "123456:TEST-token"
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def fields(user_id: int = 6021834457, at: datetime = NOW) -> dict[str, str]:
    """What Telegram puts in initData for a user opening the Mini App."""
    user = {"id": user_id, "first_name": "李建国", "language_code": "zh-hans"}
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(at.timestamp())),
    }


def test_a_genuine_init_data_names_its_user() -> None:
    user = validate_init_data(sign_init_data(fields(), TOKEN), TOKEN, NOW, DAY)
    assert (user.telegram_id, user.first_name, user.language_code) == (
        6021834457,
        "李建国",
        "zh-hans",
    )
    assert user.auth_date == NOW


def test_the_documented_algorithm_by_hand() -> None:
    # secret = HMAC_SHA256("WebAppData", token); hash = HMAC_SHA256(secret, data_check_string)
    import hashlib
    import hmac

    data = fields()
    check = "\n".join(f"{k}={data[k]}" for k in sorted(data))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    raw = urlencode({**data, "hash": digest})
    assert validate_init_data(raw, TOKEN, NOW, DAY).telegram_id == 6021834457


def tampered(raw: str, key: str, value: str) -> str:
    pairs = [(k, value if k == key else v) for k, v in parse_qsl(raw)]
    return urlencode(pairs)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (tampered(sign_init_data(fields(), TOKEN), "user", '{"id":5713096628}'), "bad signature"),
        (tampered(sign_init_data(fields(), TOKEN), "auth_date", "1900000000"), "bad signature"),
        (sign_init_data(fields(), "654321:OTHER-token"), "bad signature"),
        (sign_init_data(fields(at=NOW - DAY - timedelta(seconds=1)), TOKEN), "expired"),
        (urlencode(fields()), "no hash"),
        (sign_init_data(fields(), TOKEN) + "&hash=" + "0" * 64, "duplicated key 'hash'"),
        (sign_init_data(fields(), TOKEN) + "&user=x", "duplicated key 'user'"),
        ("", "empty or oversized initData"),
        ("x" * 5000, "empty or oversized initData"),
        ("%%%&&&==", "initData is not a query string"),
    ],
    ids=[
        "tampered-user",
        "tampered-date",
        "wrong-token",
        "expired",
        "missing-hash",
        "duplicated-hash",
        "duplicated-user",
        "empty",
        "oversized",
        "garbage",
    ],
)
def test_anything_else_is_refused(raw: str, why: str) -> None:
    with pytest.raises(InitDataError) as refused:
        validate_init_data(raw, TOKEN, NOW, DAY)
    assert str(refused.value) == why


def test_the_maximum_age_is_configurable() -> None:
    raw = sign_init_data(fields(at=NOW - timedelta(hours=2)), TOKEN)
    assert validate_init_data(raw, TOKEN, NOW, timedelta(hours=3)).telegram_id == 6021834457
    with pytest.raises(InitDataError, match="expired"):
        validate_init_data(raw, TOKEN, NOW, timedelta(hours=1))
