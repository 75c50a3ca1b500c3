"""Notices to owners in SQLite: the notices, one delivery per owner, and who turned them off."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from bot.core.announcements import Notice, NoticeCounts
from bot.core.models import Outgoing
from bot.store import sql
from bot.store.sqlite.db import SqliteBase, dt, opt_dt, ts
from bot.store.sqlite.outbox import message_body

NOTICE_COLUMNS = (
    "id, estate, buildings, kind, texts, starts_at, ends_at, send_at, expires_at, created_by,"
    " created_at, status, status_chat, status_message"
)
# Owners with a home in scope: the estate, and either every building or one of the listed
# (a JSON list; an empty one is the whole estate), with no delivery of the notice yet.
AUDIENCE = (
    "SELECT h.owner_id, MAX(u.language) AS language, MAX(u.language_code) AS language_code"
    " FROM homes h LEFT JOIN users u ON u.telegram_id = h.owner_id"
    " WHERE h.estate = ? AND (? = '[]' OR h.building IN (SELECT value FROM json_each(?)))"
    " AND NOT EXISTS (SELECT 1 FROM notice_deliveries d"
    " WHERE d.notice_id = ? AND d.owner_id = h.owner_id)"
    " AND (? = 1 OR NOT EXISTS (SELECT 1 FROM notice_prefs p"
    " WHERE p.telegram_id = h.owner_id AND p.off = 1))"
    " GROUP BY h.owner_id ORDER BY h.owner_id"
)
REACH = (
    "SELECT COUNT(DISTINCT owner_id) AS n FROM homes"
    " WHERE estate = ? AND (? = '[]' OR building IN (SELECT value FROM json_each(?)))"
)
COUNTS = (
    "SELECT COUNT(*) AS queued,"
    " COALESCE(SUM(CASE WHEN o.status = 'sent' THEN 1 ELSE 0 END), 0) AS delivered,"
    " COALESCE(SUM(CASE WHEN o.status = 'failed' AND d.blocked = 1 THEN 1 ELSE 0 END), 0)"
    " AS blocked,"
    " COALESCE(SUM(CASE WHEN o.status = 'failed' AND d.blocked = 0 THEN 1 ELSE 0 END), 0)"
    " AS failed"
    " FROM notice_deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE d.notice_id = ?"
)


class SqliteNotices(SqliteBase):
    """NoticeStore over SQLite."""

    async def add_notice(self, notice: Notice) -> int:
        """Store a draft notice; returns its id."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT INTO notices (estate, buildings, kind, texts, starts_at, ends_at,"
                " send_at, expires_at, created_by, created_at, status, changed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    notice.estate,
                    json.dumps(list(notice.buildings)),
                    notice.kind,
                    json.dumps(dict(notice.texts), ensure_ascii=False),
                    ts(notice.starts_at),
                    ts(notice.ends_at) if notice.ends_at else None,
                    ts(notice.send_at),
                    ts(notice.expires_at),
                    notice.created_by,
                    ts(notice.created_at),
                    notice.status,
                    ts(notice.created_at),
                ),
            )
            return int(cursor.lastrowid or 0)

    async def get_notice(self, notice_id: int) -> Notice | None:
        """A notice by id, or None."""
        row = await self._fetchone(
            f"SELECT {NOTICE_COLUMNS} FROM notices WHERE id = ?", (notice_id,)
        )
        return _notice(row) if row is not None else None

    async def notice_status(
        self, notice_id: int, expect: Collection[str], status: str, now: datetime
    ) -> bool:
        """Compare-and-set a notice's status."""
        marks = ", ".join("?" for _ in expect)
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE notices SET status = ?, changed_at = ? WHERE id = ?"
                f" AND status IN ({marks})",
                (status, ts(now), notice_id, *expect),
            )
            return cursor.rowcount == 1

    async def notice_status_message(self, notice_id: int, chat_id: int, message_id: int) -> None:
        """Remember the sender's status message."""
        await self._write(
            "UPDATE notices SET status_chat = ?, status_message = ? WHERE id = ?",
            (chat_id, message_id, notice_id),
        )

    async def notices_due(self, now: datetime) -> list[Notice]:
        """Scheduled notices whose send time has come."""
        rows = await self._fetchall(
            f"SELECT {NOTICE_COLUMNS} FROM notices WHERE status = 'scheduled' AND send_at <= ?"
            " ORDER BY send_at, id",
            (ts(now),),
        )
        return [_notice(r) for r in rows]

    async def notices_active(self, now: datetime) -> list[Notice]:
        """Active notices not yet expired."""
        rows = await self._fetchall(
            f"SELECT {NOTICE_COLUMNS} FROM notices WHERE status = 'active' AND expires_at > ?"
            " ORDER BY id",
            (ts(now),),
        )
        return [_notice(r) for r in rows]

    async def notices_recent(self, limit: int = 5) -> list[Notice]:
        """The latest notices past the draft, newest first."""
        rows = await self._fetchall(
            f"SELECT {NOTICE_COLUMNS} FROM notices WHERE status <> 'draft'"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [_notice(r) for r in rows]

    async def notice_audience(self, notice: Notice) -> list[tuple[int, str | None, str | None]]:
        """Owners in scope without a delivery of the notice yet."""
        scope = json.dumps(list(notice.buildings))
        rows = await self._fetchall(
            AUDIENCE, (notice.estate, scope, scope, notice.id, int(notice.urgent))
        )
        return [(int(r["owner_id"]), r["language"], r["language_code"]) for r in rows]

    async def notice_reach(self, notice: Notice) -> int:
        """How many owners have a home in scope."""
        scope = json.dumps(list(notice.buildings))
        row = await self._fetchone(REACH, (notice.estate, scope, scope))
        return int(row["n"]) if row else 0

    async def notice_fanout(
        self, notice_id: int, messages: Sequence[Outgoing], now: datetime
    ) -> int:
        """Queue each owner's message with its delivery row, once per owner."""
        queued = 0
        async with self._tx() as db:
            for message in messages:
                cursor = await db.execute(
                    "INSERT INTO notice_deliveries (notice_id, owner_id, outbox_id, queued_at)"
                    " VALUES (?, ?, 0, ?) ON CONFLICT DO NOTHING",
                    (notice_id, message.chat_id, ts(now)),
                )
                if cursor.rowcount != 1:
                    continue  # this owner has it already
                cursor = await db.execute(
                    sql.INSERT_OUTBOX,
                    (message.chat_id, None, message_body(message), ts(now), ts(now),
                     int(message.priority)),
                )  # fmt: skip
                await db.execute(
                    "UPDATE notice_deliveries SET outbox_id = ?"
                    " WHERE notice_id = ? AND owner_id = ?",
                    (cursor.lastrowid, notice_id, message.chat_id),
                )
                queued += 1
        return queued

    async def notice_counts(self, notice_id: int) -> NoticeCounts:
        """A notice's messages by outcome."""
        row = await self._fetchone(COUNTS, (notice_id,))
        return _counts(row)

    async def notice_unreachable(self, outbox_id: int) -> bool:
        """Count a notice's delivery as blocked."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE notice_deliveries SET blocked = 1 WHERE outbox_id = ?", (outbox_id,)
            )
            return cursor.rowcount > 0

    async def set_notices_off(self, telegram_id: int, off: bool, now: datetime) -> None:
        """Remember an owner's choice."""
        await self._write(
            "INSERT INTO notice_prefs (telegram_id, off, changed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (telegram_id) DO UPDATE SET off = excluded.off,"
            " changed_at = excluded.changed_at",
            (telegram_id, int(off), ts(now)),
        )

    async def notices_off(self, telegram_id: int) -> bool:
        """Whether an owner turned non-urgent notices off."""
        row = await self._fetchone(
            "SELECT off FROM notice_prefs WHERE telegram_id = ?", (telegram_id,)
        )
        return bool(row and row["off"])


def _counts(row: Any) -> NoticeCounts:
    """A counts row (either backend) as NoticeCounts."""
    if row is None:
        return NoticeCounts()
    return NoticeCounts(
        int(row["queued"]), int(row["delivered"]), int(row["blocked"]), int(row["failed"])
    )


def _notice(r: Any) -> Notice:
    """A notices row as a Notice (SQLite keeps times as text)."""
    return notice_of(r, dt, opt_dt)


def notice_of(r: Any, when: Any, maybe: Any) -> Notice:
    """A notices row of either backend as a Notice; ``when``/``maybe`` read its times."""
    return Notice(
        id=int(r["id"]),
        estate=r["estate"],
        buildings=tuple(json.loads(r["buildings"])),
        kind=r["kind"],
        texts=json.loads(r["texts"]),
        starts_at=when(r["starts_at"]),
        ends_at=maybe(r["ends_at"]),
        send_at=when(r["send_at"]),
        expires_at=when(r["expires_at"]),
        created_by=int(r["created_by"]),
        created_at=when(r["created_at"]),
        status=r["status"],
        status_chat=r["status_chat"],
        status_message=r["status_message"],
    )


counts_of = _counts
