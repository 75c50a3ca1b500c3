"""Notices to owners in PostgreSQL (the rules are SQLite's: ``bot.store.sqlite.announcements``).

Of several replicas, one claims a due notice (a compare-and-set on its status); a fan-out
takes the notice's advisory lock, so two replicas queueing late joiners at once queue each
owner once.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime

from bot.core.announcements import Notice, NoticeCounts
from bot.core.models import Outgoing
from bot.store.postgres.db import PgBase, rowcount
from bot.store.sqlite.announcements import COUNTS, NOTICE_COLUMNS, counts_of, notice_of
from bot.store.sqlite.outbox import message_body

# The class of the advisory locks a notice's fan-out holds.
NOTICE_LOCK = 0x4E54

AUDIENCE = (
    "SELECT h.owner_id, MAX(u.language) AS language, MAX(u.language_code) AS language_code"
    " FROM homes h LEFT JOIN users u ON u.telegram_id = h.owner_id"
    " WHERE h.estate = $1 AND (cardinality($2::text[]) = 0 OR h.building = ANY($2::text[]))"
    " AND NOT EXISTS (SELECT 1 FROM notice_deliveries d"
    " WHERE d.notice_id = $3 AND d.owner_id = h.owner_id)"
    " AND ($4 OR NOT EXISTS (SELECT 1 FROM notice_prefs p"
    " WHERE p.telegram_id = h.owner_id AND p.off = 1))"
    " GROUP BY h.owner_id ORDER BY h.owner_id"
)


def _same(value: datetime) -> datetime:
    return value


def _maybe(value: datetime | None) -> datetime | None:
    return value


class PgNotices(PgBase):
    """NoticeStore over PostgreSQL."""

    async def add_notice(self, notice: Notice) -> int:
        """Store a draft notice; returns its id."""
        row = await self._pool.fetchrow(
            "INSERT INTO notices (estate, buildings, kind, texts, starts_at, ends_at,"
            " send_at, expires_at, created_by, created_at, status, changed_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10) RETURNING id",
            notice.estate,
            json.dumps(list(notice.buildings)),
            notice.kind,
            json.dumps(dict(notice.texts), ensure_ascii=False),
            notice.starts_at,
            notice.ends_at,
            notice.send_at,
            notice.expires_at,
            notice.created_by,
            notice.created_at,
            notice.status,
        )
        assert row is not None
        return int(row["id"])

    async def get_notice(self, notice_id: int) -> Notice | None:
        """A notice by id, or None."""
        row = await self._fetchrow(f"SELECT {NOTICE_COLUMNS} FROM notices WHERE id = ?", notice_id)
        return notice_of(row, _same, _maybe) if row is not None else None

    async def notice_status(
        self, notice_id: int, expect: Collection[str], status: str, now: datetime
    ) -> bool:
        """Compare-and-set a notice's status."""
        status_line = await self._pool.execute(
            "UPDATE notices SET status = $1, changed_at = $2 WHERE id = $3"
            " AND status = ANY($4::text[])",
            status,
            now,
            notice_id,
            list(expect),
        )
        return rowcount(status_line) == 1

    async def notice_status_message(self, notice_id: int, chat_id: int, message_id: int) -> None:
        """Remember the sender's status message."""
        await self._execute(
            "UPDATE notices SET status_chat = ?, status_message = ? WHERE id = ?",
            chat_id,
            message_id,
            notice_id,
        )

    async def notices_due(self, now: datetime) -> list[Notice]:
        """Scheduled notices whose send time has come."""
        rows = await self._fetch(
            f"SELECT {NOTICE_COLUMNS} FROM notices WHERE status = 'scheduled' AND send_at <= ?"
            " ORDER BY send_at, id",
            now,
        )
        return [notice_of(r, _same, _maybe) for r in rows]

    async def notices_active(self, now: datetime) -> list[Notice]:
        """Active notices not yet expired."""
        rows = await self._fetch(
            f"SELECT {NOTICE_COLUMNS} FROM notices WHERE status = 'active' AND expires_at > ?"
            " ORDER BY id",
            now,
        )
        return [notice_of(r, _same, _maybe) for r in rows]

    async def notices_recent(self, limit: int = 5) -> list[Notice]:
        """The latest notices past the draft, newest first."""
        rows = await self._fetch(
            f"SELECT {NOTICE_COLUMNS} FROM notices WHERE status <> 'draft'"
            " ORDER BY id DESC LIMIT ?",
            limit,
        )
        return [notice_of(r, _same, _maybe) for r in rows]

    async def notice_audience(self, notice: Notice) -> list[tuple[int, str | None, str | None]]:
        """Owners in scope without a delivery of the notice yet."""
        rows = await self._pool.fetch(
            AUDIENCE, notice.estate, list(notice.buildings), notice.id, notice.urgent
        )
        return [(int(r["owner_id"]), r["language"], r["language_code"]) for r in rows]

    async def notice_reach(self, notice: Notice) -> int:
        """How many owners have a home in scope."""
        row = await self._pool.fetchrow(
            "SELECT COUNT(DISTINCT owner_id) AS n FROM homes WHERE estate = $1"
            " AND (cardinality($2::text[]) = 0 OR building = ANY($2::text[]))",
            notice.estate,
            list(notice.buildings),
        )
        return int(row["n"]) if row else 0

    async def notice_fanout(
        self, notice_id: int, messages: Sequence[Outgoing], now: datetime
    ) -> int:
        """Queue each owner's message with its delivery row, once per owner (set-wise: one
        statement for thousands of owners)."""
        if not messages:
            return 0
        async with self._tx() as db:
            await db.execute(
                "SELECT pg_advisory_xact_lock($1::int4, $2::int4)",
                NOTICE_LOCK,
                notice_id % 2**31,
            )
            status = await db.execute(
                "WITH m AS (SELECT * FROM unnest($2::bigint[], $3::text[], $4::int[])"
                " AS m(owner_id, payload, priority) WHERE NOT EXISTS (SELECT 1 FROM"
                " notice_deliveries d WHERE d.notice_id = $1 AND d.owner_id = m.owner_id)),"
                " o AS (INSERT INTO outbox (chat_id, ticket_id, payload, next_attempt_at,"
                " created_at, priority) SELECT owner_id, NULL, payload::jsonb, $5, $5, priority"
                " FROM m RETURNING id, chat_id)"
                " INSERT INTO notice_deliveries (notice_id, owner_id, outbox_id, queued_at)"
                " SELECT $1, chat_id, id, $5 FROM o",
                notice_id,
                [m.chat_id for m in messages],
                [message_body(m) for m in messages],
                [int(m.priority) for m in messages],
                now,
            )
        return rowcount(status)

    async def notice_counts(self, notice_id: int) -> NoticeCounts:
        """A notice's messages by outcome."""
        return counts_of(await self._fetchrow(COUNTS, notice_id))

    async def notice_unreachable(self, outbox_id: int) -> bool:
        """Count a notice's delivery as blocked."""
        touched = await self._execute(
            "UPDATE notice_deliveries SET blocked = 1 WHERE outbox_id = ?", outbox_id
        )
        return touched > 0

    async def set_notices_off(self, telegram_id: int, off: bool, now: datetime) -> None:
        """Remember an owner's choice."""
        await self._execute(
            "INSERT INTO notice_prefs (telegram_id, off, changed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (telegram_id) DO UPDATE SET off = excluded.off,"
            " changed_at = excluded.changed_at",
            telegram_id,
            int(off),
            now,
        )

    async def notices_off(self, telegram_id: int) -> bool:
        """Whether an owner turned non-urgent notices off."""
        row = await self._fetchrow(
            "SELECT off FROM notice_prefs WHERE telegram_id = ?", telegram_id
        )
        return bool(row and row["off"])
