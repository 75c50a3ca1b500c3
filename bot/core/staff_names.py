"""How owners see a staff member: the configured display name, never the internal label."""

from __future__ import annotations

import re

from bot.config import Settings

# "王强 (王师傅)": the part in brackets is how colleagues and owners call the person.
_NICKNAME = re.compile(r"[(（]([^()（）]+)[)）]\s*$")


def shown_name(settings: Settings, telegram_id: int | None, lang: str) -> str:
    """The display name ("工程部 王师傅"), else the nickname in brackets, else the name."""
    member = settings.staff_member(telegram_id) if telegram_id is not None else None
    if member is None:
        return ""
    if member.display_name:
        return settings.text(member.display_name, lang)
    nick = _NICKNAME.search(member.name)
    return nick.group(1).strip() if nick else member.name
