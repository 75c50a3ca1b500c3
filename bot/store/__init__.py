"""SQLite storage (aiosqlite): schema migrations and every query. The only package with SQL.

One connection, serialised by a lock: a transaction of one task never interleaves with another
task's statements, and each state change commits together with its events and outbox messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.models import (
    OutboxItem,
    Outgoing,
    Person,
    Priority,
    Status,
    Survey,
    Ticket,
    TicketDraft,
    TicketEvent,
)

log = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE users (
        telegram_id   INTEGER PRIMARY KEY,
        first_name    TEXT NOT NULL,
        last_name     TEXT,
        username      TEXT,
        language_code TEXT,
        language      TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE TABLE conversations (
        chat_id    INTEGER PRIMARY KEY,
        user_id    INTEGER NOT NULL,
        flow       TEXT NOT NULL,
        token      TEXT NOT NULL,
        state      TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE tickets (
        id              INTEGER PRIMARY KEY,
        number          TEXT NOT NULL UNIQUE,
        owner_id        INTEGER NOT NULL,
        kind            TEXT NOT NULL,
        category        TEXT NOT NULL,
        subcategory     TEXT,
        department      TEXT NOT NULL,
        estate          TEXT NOT NULL,
        building        TEXT,
        unit            TEXT,
        area            TEXT,
        location_detail TEXT,
        urgency         TEXT NOT NULL,
        description     TEXT NOT NULL,
        photos          TEXT NOT NULL,
        language        TEXT NOT NULL,
        status          TEXT NOT NULL,
        assignee_id     INTEGER,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        accept_due      TEXT NOT NULL,
        resolve_due     TEXT NOT NULL,
        version         INTEGER NOT NULL DEFAULT 0,
        overdue         INTEGER NOT NULL DEFAULT 0,
        resolution_note TEXT,
        resolution_photo TEXT,
        paused_at       TEXT
    );
    CREATE INDEX tickets_assignee ON tickets (assignee_id, status);
    CREATE INDEX tickets_owner ON tickets (owner_id, id DESC);
    CREATE INDEX tickets_status ON tickets (status, created_at);
    CREATE TABLE ticket_events (
        id        INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        at        TEXT NOT NULL,
        kind      TEXT NOT NULL,
        actor_id  INTEGER,
        data      TEXT NOT NULL
    );
    CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
    CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        chat_id         INTEGER NOT NULL,
        ticket_id       INTEGER,
        payload         TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'pending',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        sent_at         TEXT,
        message_id      INTEGER,
        last_error      TEXT
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
    CREATE INDEX outbox_chat ON outbox (status, chat_id, id);
    CREATE TABLE cards (
        ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
        chat_id    INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        audience   TEXT NOT NULL,
        PRIMARY KEY (ticket_id, chat_id)
    );
    CREATE INDEX cards_message ON cards (chat_id, message_id);
    CREATE INDEX outbox_message ON outbox (chat_id, message_id);
    CREATE TABLE staff_status (
        telegram_id INTEGER PRIMARY KEY,
        available   INTEGER NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE surveys (
        id              INTEGER PRIMARY KEY,
        ticket_id       INTEGER NOT NULL REFERENCES tickets (id),
        round           INTEGER NOT NULL,
        staff_id        INTEGER,
        status          TEXT NOT NULL,
        due_at          TEXT NOT NULL,
        sent_at         TEXT,
        reminded_at     TEXT,
        answered_at     TEXT,
        rating          INTEGER,
        problems        TEXT,
        comment         TEXT,
        praise          TEXT,
        followup_status TEXT,
        followup_due    TEXT,
        UNIQUE (ticket_id, round)
    );
    CREATE INDEX surveys_status ON surveys (status, due_at);
    CREATE INDEX surveys_staff ON surveys (staff_id, answered_at);
    CREATE TABLE handled_updates (
        update_id  INTEGER PRIMARY KEY,
        handled_at TEXT NOT NULL
    );
    """,
    # Reports over a period read tickets and events by time, and surveys by when they were sent.
    """
    CREATE INDEX IF NOT EXISTS tickets_created ON tickets (created_at);
    CREATE INDEX IF NOT EXISTS ticket_events_kind_at ON ticket_events (kind, at, ticket_id);
    CREATE INDEX IF NOT EXISTS surveys_sent ON surveys (sent_at);
    """,
    # Routing counts open tickets per assignee; the scheduler reads open follow-ups.
    """
    CREATE INDEX IF NOT EXISTS tickets_status_assignee ON tickets (status, assignee_id);
    CREATE INDEX IF NOT EXISTS surveys_followup ON surveys (followup_status)
        WHERE followup_status IS NOT NULL;
    """,
    # Outbox messages carry a priority (core.models.Priority): a chat's most important message
    # goes first. Existing rows are notices.
    """
    ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 2;
    DROP INDEX IF EXISTS outbox_chat;
    CREATE INDEX IF NOT EXISTS outbox_chat_priority ON outbox (status, chat_id, priority, id);
    """,
)

_TICKET_COLUMNS = (
    "id, number, owner_id, kind, category, subcategory, department, estate, building, unit,"
    " area, location_detail, urgency, description, photos, language, status, assignee_id,"
    " created_at, updated_at, accept_due, resolve_due, version, overdue, resolution_note,"
    " resolution_photo, paused_at"
)


@dataclass(frozen=True)
class SurveyChange:
    """What a ticket change does to its survey: ``new`` (a resolution: cancel what is pending,
    schedule the next round), ``cancel`` (reopened), ``sooner`` (the owner confirmed the fix:
    ask at ``due_at`` if that is earlier than planned)."""

    kind: str
    due_at: datetime | None = None
    staff_id: int | None = None


class ConversationGone(Exception):
    """The conversation a change was to end is gone: it was already submitted or cancelled."""


def _ts(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO strings, which sort as time does."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(text: str) -> datetime:
    """Read a stored timestamp back (aware, UTC)."""
    return datetime.fromisoformat(text)


class Store:
    """The database: open with ``await Store.open(path)``, close with ``await store.close()``."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) the database file and bring its schema up to date."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = FULL")  # a shown ticket number survives power loss
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 5000")
        store = cls(db)
        await store._migrate()
        return store

    async def close(self) -> None:
        """Close the connection."""
        async with self._lock:
            await self._db.close()

    async def _migrate(self) -> None:
        """Apply the migrations the file has not seen yet (tracked in ``user_version``)."""
        async with self._lock:
            row = await (await self._db.execute("PRAGMA user_version")).fetchone()
            version = int(row[0]) if row else 0
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                if version > 0:  # a new file is quick; an old one may build indexes on millions
                    log.info(
                        "database: updating the schema to version %d of %d (on a large"
                        " database this can take minutes; do not stop the bot)",
                        number,
                        len(MIGRATIONS),
                    )
                await self._db.executescript(
                    f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;"
                )

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, alone on the connection."""
        async with self._lock:
            try:
                # A statement runs on the connection's thread even when the task awaiting it is
                # cancelled, in the order it was queued: so a cancelled BEGIN (or COMMIT) is
                # always followed by this ROLLBACK, and the next writer finds no open transaction.
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # nothing open if BEGIN or COMMIT ended it
                    await self._db.execute("ROLLBACK")
                raise

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement, committed on its own: SQLite makes a lone statement atomic, and it
        costs one trip to the connection's thread where BEGIN … COMMIT costs three."""
        async with self._lock:
            await self._db.execute(sql, params)

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            cursor = await self._db.execute(sql, params)
            return list(await cursor.fetchall())

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    # ----- updates ------------------------------------------------------------------------

    async def update_handled(self, update_id: int) -> bool:
        """True if this Telegram update was handled before (it is being delivered again)."""
        row = await self._fetchone(
            "SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,)
        )
        return row is not None

    async def last_handled_update(self) -> int:
        """The highest update id handled so far (0 for none)."""
        row = await self._fetchone("SELECT MAX(update_id) AS n FROM handled_updates")
        return int(row["n"]) if row and row["n"] is not None else 0

    async def mark_update_handled(self, update_id: int, now: datetime, keep: int = 10_000) -> None:
        """Remember a handled update id (only about the last ``keep`` are kept)."""
        await self._write(
            "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
            (update_id, _ts(now)),
        )
        if update_id % 1000 == 0:  # pruning now and then is enough
            await self._write(
                "DELETE FROM handled_updates WHERE update_id <= ?", (update_id - keep,)
            )

    # ----- people -------------------------------------------------------------------------

    async def upsert_person(self, person: Person, now: datetime) -> Person:
        """Record a user's current Telegram profile; returns it with the chosen language."""
        async with self._tx() as db:
            await db.execute(
                """
                INSERT INTO users (telegram_id, first_name, last_name, username, language_code,
                                   created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (telegram_id) DO UPDATE SET
                    first_name = excluded.first_name, last_name = excluded.last_name,
                    username = excluded.username, language_code = excluded.language_code,
                    updated_at = excluded.updated_at
                """,
                (
                    person.telegram_id,
                    person.first_name,
                    person.last_name,
                    person.username,
                    person.language_code,
                    _ts(now),
                    _ts(now),
                ),
            )
            row = await (
                await db.execute(
                    "SELECT language FROM users WHERE telegram_id = ?", (person.telegram_id,)
                )
            ).fetchone()
        return replace(person, language=row["language"] if row else None)

    async def get_person(self, telegram_id: int) -> Person | None:
        """A stored user, or None."""
        row = await self._fetchone("SELECT * FROM users WHERE telegram_id = ?", (telegram_id,))
        if row is None:
            return None
        return Person(
            telegram_id=row["telegram_id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            username=row["username"],
            language_code=row["language_code"],
            language=row["language"],
        )

    async def set_language(self, telegram_id: int, language: str, now: datetime) -> None:
        """Remember the language a user chose."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE users SET language = ?, updated_at = ? WHERE telegram_id = ?",
                (language, _ts(now), telegram_id),
            )

    # ----- conversations ------------------------------------------------------------------

    async def get_conversation(self, chat_id: int) -> dict[str, Any] | None:
        """The flow state saved for a chat, or None."""
        row = await self._fetchone("SELECT state FROM conversations WHERE chat_id = ?", (chat_id,))
        return None if row is None else dict(json.loads(row["state"]))

    async def save_conversation(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Write a chat's flow state (called after every step)."""
        await self._write(
            """
            INSERT INTO conversations (chat_id, user_id, flow, token, state, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (chat_id) DO UPDATE SET
                user_id = excluded.user_id, flow = excluded.flow, token = excluded.token,
                state = excluded.state, updated_at = excluded.updated_at
            """,
            (
                chat_id,
                user_id,
                state["flow"],
                state["token"],
                json.dumps(state, ensure_ascii=False),
                _ts(now),
            ),
        )

    async def delete_conversation(self, chat_id: int, token: str | None = None) -> bool:
        """End a chat's flow (only the one with ``token``, when given); True if one ended."""
        async with self._tx() as db:
            cursor = await db.execute(
                "DELETE FROM conversations WHERE chat_id = ? AND (? IS NULL OR token = ?)",
                (chat_id, token, token),
            )
            return cursor.rowcount > 0

    # ----- tickets ------------------------------------------------------------------------

    async def create_ticket(
        self,
        draft: TicketDraft,
        *,
        number_for: Callable[[int], str],
        chat_id: int,
        token: str,
        effects: Callable[[Ticket], tuple[Ticket, Sequence[TicketEvent], Sequence[Outgoing]]],
        day_key: str,
    ) -> Ticket | None:
        """Open a ticket from a finished conversation, in one transaction.

        The conversation (``chat_id``/``token``) is deleted in the same transaction, so pressing
        Submit twice, or handling the same update twice, opens one ticket: the second call finds
        no conversation and returns None. ``number_for(n)`` turns the day's n-th ticket into its
        number; ``effects`` (called inside the transaction, so it must not touch the store)
        gives the ticket after its first transition (routing), that transition's events, and
        the outbox messages the new ticket causes.
        """
        now = _ts(draft.created_at)
        async with self._tx() as db:
            cursor = await db.execute(
                "DELETE FROM conversations WHERE chat_id = ? AND token = ?", (chat_id, token)
            )
            if cursor.rowcount == 0:
                return None
            row = await (
                await db.execute(
                    """
                    INSERT INTO counters (name, value) VALUES (?, 1)
                    ON CONFLICT (name) DO UPDATE SET value = value + 1
                    RETURNING value
                    """,
                    (f"ticket:{day_key}",),
                )
            ).fetchone()
            assert row is not None
            number = number_for(int(row["value"]))
            cursor = await db.execute(
                f"""
                INSERT INTO tickets ({_TICKET_COLUMNS})
                VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?,
                        0, 0, NULL, NULL, NULL)
                """,
                (
                    number,
                    draft.owner_id,
                    draft.kind,
                    draft.category,
                    draft.subcategory,
                    draft.department,
                    draft.estate,
                    draft.building,
                    draft.unit,
                    draft.area,
                    draft.location_detail,
                    draft.urgency,
                    draft.description,
                    json.dumps(list(draft.photos)),
                    draft.language,
                    Status.NEW.value,
                    now,
                    now,
                    _ts(draft.accept_due),
                    _ts(draft.resolve_due),
                ),
            )
            ticket_id = cursor.lastrowid
            assert ticket_id is not None
            ticket = Ticket(
                **{f: getattr(draft, f) for f in draft.__dataclass_fields__},
                id=ticket_id,
                number=number,
                status=Status.NEW,
                updated_at=draft.created_at,
            )
            await self._add_event(
                db,
                TicketEvent(
                    ticket_id,
                    draft.created_at,
                    "created",
                    draft.owner_id,
                    {"urgency": draft.urgency},
                ),
            )
            after, events, messages = effects(ticket)
            if after != ticket:
                await self._write_ticket(db, after)
                ticket = replace(after, version=after.version + 1)
            for event in events:
                await self._add_event(db, event)
            for message in messages:
                await self._enqueue(db, replace(message, ticket_id=ticket_id), draft.created_at)
        return ticket

    @staticmethod
    async def _write_ticket(db: aiosqlite.Connection, ticket: Ticket) -> None:
        await db.execute(
            """
            UPDATE tickets SET status = ?, assignee_id = ?, department = ?, updated_at = ?,
                accept_due = ?, resolve_due = ?, overdue = ?, resolution_note = ?,
                resolution_photo = ?, paused_at = ?, version = version + 1
            WHERE id = ?
            """,
            (
                ticket.status.value,
                ticket.assignee_id,
                ticket.department,
                _ts(ticket.updated_at or ticket.created_at),
                _ts(ticket.accept_due),
                _ts(ticket.resolve_due),
                int(ticket.overdue),
                ticket.resolution_note,
                ticket.resolution_photo,
                _ts(ticket.paused_at) if ticket.paused_at else None,
                ticket.id,
            ),
        )

    async def transition(
        self,
        before: Ticket,
        after: Ticket,
        event: TicketEvent,
        messages: Sequence[Outgoing],
        conversation: tuple[int, str] | None = None,
        survey: SurveyChange | None = None,
    ) -> bool:
        """Write a ticket's change, its timeline event and the messages it causes, together.

        Refused (False, nothing written) when the ticket changed since ``before`` was read:
        of two people pressing Accept at once, exactly one wins. A ``conversation``
        (chat id, token) that led to the change ends in the same transaction; if it is
        already gone, ConversationGone is raised and nothing is written (a double submit).
        A ``survey`` change (a resolution schedules one, a reopening cancels the pending one)
        commits with it too, so every resolution gets exactly one survey.
        """
        async with self._tx() as db:
            row = await (
                await db.execute("SELECT version FROM tickets WHERE id = ?", (before.id,))
            ).fetchone()
            if row is None or int(row["version"]) != before.version:
                return False
            if conversation is not None:
                cursor = await db.execute(
                    "DELETE FROM conversations WHERE chat_id = ? AND token = ?", conversation
                )
                if cursor.rowcount == 0:
                    raise ConversationGone
            await self._write_ticket(db, after)
            await self._add_event(db, event)
            for message in messages:
                await self._enqueue(db, replace(message, ticket_id=before.id), event.at)
            if survey is not None:
                await self._survey_change(db, before.id, survey)
        return True

    @staticmethod
    async def _survey_change(
        db: aiosqlite.Connection, ticket_id: int, change: SurveyChange
    ) -> None:
        if change.kind == "sooner" and change.due_at is not None:
            await db.execute(
                "UPDATE surveys SET due_at = MIN(due_at, ?) WHERE ticket_id = ?"
                " AND status = 'scheduled'",
                (_ts(change.due_at), ticket_id),
            )
            return
        # Whatever was pending belongs to an earlier round now.
        await db.execute(
            "UPDATE surveys SET status = 'cancelled' WHERE ticket_id = ?"
            " AND status IN ('scheduled', 'sent')",
            (ticket_id,),
        )
        if change.kind == "new" and change.due_at is not None:
            await db.execute(
                "INSERT INTO surveys (ticket_id, round, staff_id, status, due_at)"
                " VALUES (?, (SELECT COUNT(*) + 1 FROM surveys WHERE ticket_id = ?), ?,"
                " 'scheduled', ?)",
                (ticket_id, ticket_id, change.staff_id, _ts(change.due_at)),
            )

    # ----- surveys ------------------------------------------------------------------------

    async def get_survey(self, survey_id: int) -> Survey | None:
        """A survey by id."""
        row = await self._fetchone("SELECT * FROM surveys WHERE id = ?", (survey_id,))
        return None if row is None else _survey(row)

    async def surveys_pending(self, ticket_id: int | None = None) -> list[Survey]:
        """Surveys still to send, remind or expire, and open follow-ups (for the scheduler);
        of one ticket, or of all."""
        if ticket_id is not None:
            rows = await self._fetchall(
                "SELECT * FROM surveys WHERE ticket_id = ? AND (status IN ('scheduled', 'sent')"
                " OR followup_status = 'open') ORDER BY id",
                (ticket_id,),
            )
            return [_survey(r) for r in rows]
        rows = await self._fetchall(
            "SELECT * FROM surveys WHERE status IN ('scheduled', 'sent')"
            " UNION SELECT * FROM surveys WHERE followup_status = 'open' ORDER BY id"
        )
        return [_survey(r) for r in rows]

    async def survey_mark(
        self,
        survey_id: int,
        *,
        expect: str,
        status: str,
        column: str | None,
        now: datetime,
        messages: Sequence[Outgoing] = (),
    ) -> bool:
        """Move a survey on (sent, reminded, expired) once, queueing its messages in the same
        transaction; False (nothing written) if it had moved already."""
        assert column in (None, "sent_at", "reminded_at")
        stamp = f", {column} = ?" if column else ""
        unset = f" AND {column} IS NULL" if column else ""
        async with self._tx() as db:
            cursor = await db.execute(
                f"UPDATE surveys SET status = ?{stamp} WHERE id = ? AND status = ?{unset}",
                (status, *([_ts(now)] if column else []), survey_id, expect),
            )
            if cursor.rowcount == 0:
                return False
            for message in messages:
                await self._enqueue(db, message, now)
            return True

    async def survey_rate(self, survey_id: int, rating: int, now: datetime) -> bool:
        """Record the rating; False when the survey was answered (or ended) before."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE surveys SET status = 'answered', rating = ?, answered_at = ?"
                " WHERE id = ? AND status = 'sent'",
                (rating, _ts(now), survey_id),
            )
            return cursor.rowcount > 0

    async def survey_details(
        self,
        survey_id: int,
        problems: Sequence[str],
        comment: str | None,
        praise: str | None,
    ) -> None:
        """The answers that follow the rating."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE surveys SET problems = ?, comment = ?, praise = ? WHERE id = ?",
                (json.dumps(list(problems)), comment, praise, survey_id),
            )

    async def followup_open(self, survey_id: int, due: datetime) -> bool:
        """Open the supervisor's follow-up call; False if one was opened before."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE surveys SET followup_status = 'open', followup_due = ?"
                " WHERE id = ? AND followup_status IS NULL",
                (_ts(due), survey_id),
            )
            return cursor.rowcount > 0

    async def followup_close(self, survey_id: int, outcome: str) -> bool:
        """End an open follow-up (done / reopened); False if it was closed already."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE surveys SET followup_status = ? WHERE id = ? AND followup_status = 'open'",
                (outcome, survey_id),
            )
            return cursor.rowcount > 0

    async def resolution_count(self, ticket_id: int) -> int:
        """How many times a ticket was resolved."""
        row = await self._fetchone(
            "SELECT COUNT(*) AS n FROM ticket_events WHERE ticket_id = ? AND kind = 'resolved'",
            (ticket_id,),
        )
        return int(row["n"]) if row else 0

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        """A ticket by id, or None."""
        row = await self._fetchone(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)
        )
        return None if row is None else _ticket(row)

    async def get_ticket_by_number(self, number: str) -> Ticket | None:
        """A ticket by its number, or None."""
        row = await self._fetchone(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE number = ?", (number,)
        )
        return None if row is None else _ticket(row)

    async def owner_tickets(self, owner_id: int, limit: int, offset: int = 0) -> list[Ticket]:
        """An owner's tickets, newest first."""
        rows = await self._fetchall(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE owner_id = ?"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (owner_id, limit, offset),
        )
        return [_ticket(r) for r in rows]

    async def owner_tickets_since(self, owner_id: int, since: datetime) -> list[tuple[str, str]]:
        """(category, description) of an owner's tickets opened since a moment."""
        rows = await self._fetchall(
            "SELECT category, description FROM tickets WHERE owner_id = ? AND created_at >= ?",
            (owner_id, _ts(since)),
        )
        return [(str(r["category"]), str(r["description"])) for r in rows]

    async def count_owner_tickets(self, owner_id: int) -> int:
        """How many tickets an owner has."""
        row = await self._fetchone(
            "SELECT COUNT(*) AS n FROM tickets WHERE owner_id = ?", (owner_id,)
        )
        return int(row["n"]) if row else 0

    async def ticket_events(self, ticket_id: int) -> list[TicketEvent]:
        """A ticket's timeline, oldest first."""
        rows = await self._fetchall(
            "SELECT ticket_id, at, kind, actor_id, data FROM ticket_events"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        )
        return [
            TicketEvent(
                r["ticket_id"], _dt(r["at"]), r["kind"], r["actor_id"], json.loads(r["data"])
            )
            for r in rows
        ]

    @staticmethod
    async def _add_event(db: aiosqlite.Connection, event: TicketEvent) -> None:
        await db.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, actor_id, data)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                event.ticket_id,
                _ts(event.at),
                event.kind,
                event.actor_id,
                json.dumps(event.data, ensure_ascii=False),
            ),
        )

    # ----- outbox -------------------------------------------------------------------------

    @staticmethod
    async def _enqueue(db: aiosqlite.Connection, message: Outgoing, now: datetime) -> None:
        payload = {
            "text": message.text,
            "buttons": [[list(b) for b in row] for row in message.buttons],
            "photo": message.photo,
            "card": message.card,
            "photos": list(message.photos),
            "collapse": message.collapse,
        }
        body = json.dumps(payload, ensure_ascii=False)
        if message.card is not None and message.ticket_id is not None:
            # A card is drawn from the ticket when it is sent, so one pending refresh per
            # ticket and chat shows the latest state; more would only spend the rate limit.
            pending = await (
                await db.execute(
                    "SELECT 1 FROM outbox WHERE status = 'pending'"
                    " AND chat_id = ? AND ticket_id = ?"
                    " AND json_extract(payload, '$.card') IS NOT NULL LIMIT 1",
                    (message.chat_id, message.ticket_id),
                )
            ).fetchone()
            if pending is not None:
                return
        if message.collapse is not None:
            # Only one still waiting for its time: one being delivered keeps what it says.
            cursor = await db.execute(
                "UPDATE outbox SET payload = ? WHERE status = 'pending' AND attempts = 0"
                " AND chat_id = ? AND ticket_id IS ? AND next_attempt_at > ?"
                " AND json_extract(payload, '$.collapse') = ?",
                (body, message.chat_id, message.ticket_id, _ts(now), message.collapse),
            )
            if cursor.rowcount:
                return
        due = max(now, message.not_before) if message.not_before is not None else now
        await db.execute(
            "INSERT INTO outbox (chat_id, ticket_id, payload, next_attempt_at, created_at,"
            " priority) VALUES (?, ?, ?, ?, ?, ?)",
            (message.chat_id, message.ticket_id, body, _ts(due), _ts(now), int(message.priority)),
        )

    async def enqueue(self, messages: Sequence[Outgoing], now: datetime) -> None:
        """Queue messages for delivery (on their own; state changes enqueue in their own tx)."""
        async with self._tx() as db:
            for message in messages:
                await self._enqueue(db, message, now)

    async def due_outbox(self, now: datetime, limit: int = 200) -> list[OutboxItem]:
        """The next message of each chat, if it is due; the most important first, then oldest.

        Only a chat's next message can go (its most important, then oldest), so a burst to
        one busy chat never hides other chats' messages behind it. A message that is being
        retried keeps its place in its chat; one queued for later (``not_before``) takes its
        place only once it is due.
        """
        rows = await self._fetchall(
            "SELECT o.id, o.chat_id, o.ticket_id, o.payload, o.attempts, o.status, o.priority"
            " FROM (SELECT id, priority, next_attempt_at, ROW_NUMBER() OVER"
            " (PARTITION BY chat_id ORDER BY priority, id) AS place FROM outbox"
            " WHERE status = 'pending' AND (attempts > 0 OR next_attempt_at <= ?)) AS head"
            " JOIN outbox AS o ON o.id = head.id"
            " WHERE head.place = 1 AND head.next_attempt_at <= ?"
            " ORDER BY head.priority, head.id LIMIT ?",
            (_ts(now), _ts(now), limit),
        )
        return [_outbox_item(r) for r in rows]

    async def due_outbox_of_chat(self, chat_id: int, now: datetime) -> OutboxItem | None:
        """One chat's next message (as ``due_outbox`` picks it), if its next attempt is due."""
        row = await self._fetchone(
            "SELECT id, chat_id, ticket_id, payload, attempts, status, priority, next_attempt_at"
            " FROM outbox WHERE chat_id = ? AND status = 'pending'"
            " AND (attempts > 0 OR next_attempt_at <= ?) ORDER BY priority, id LIMIT 1",
            (chat_id, _ts(now)),
        )
        if row is None or row["next_attempt_at"] > _ts(now):
            return None
        return _outbox_item(row)

    async def next_outbox_due(self) -> datetime | None:
        """When the earliest pending message is due, or None when nothing is pending."""
        row = await self._fetchone(
            "SELECT MIN(next_attempt_at) AS due FROM outbox WHERE status = 'pending'"
        )
        return _dt(row["due"]) if row and row["due"] else None

    async def outbox_sent(self, item_id: int, message_id: int | None, now: datetime) -> None:
        """Mark a message delivered."""
        await self._write(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,"
            " attempts = attempts + 1 WHERE id = ?",
            (_ts(now), message_id, item_id),
        )

    async def outbox_retry(self, item_id: int, at: datetime, error: str) -> None:
        """Schedule another attempt after a transient failure."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (_ts(at), error[:500], item_id),
            )

    async def outbox_failed(self, item_id: int, error: str, now: datetime) -> None:
        """Give up on a message for good (blocked bot, chat gone) and note it on its ticket."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?"
                " WHERE id = ?",
                (error[:500], item_id),
            )
            row = await (
                await db.execute("SELECT ticket_id, chat_id FROM outbox WHERE id = ?", (item_id,))
            ).fetchone()
            if row is not None and row["ticket_id"] is not None:
                await self._add_event(
                    db,
                    TicketEvent(
                        row["ticket_id"],
                        now,
                        "delivery_failed",
                        None,
                        {"chat_id": row["chat_id"], "error": error[:200]},
                    ),
                )

    # ----- cards and message links ---------------------------------------------------------

    async def card_message(self, ticket_id: int, chat_id: int) -> int | None:
        """The message id of a ticket's card in a chat, if one was sent."""
        row = await self._fetchone(
            "SELECT message_id FROM cards WHERE ticket_id = ? AND chat_id = ?", (ticket_id, chat_id)
        )
        return int(row["message_id"]) if row else None

    async def card_chats(self, ticket_id: int) -> list[tuple[int, str]]:
        """Every chat holding a card of the ticket, with its audience ("staff" or "group")."""
        rows = await self._fetchall(
            "SELECT chat_id, audience FROM cards WHERE ticket_id = ? ORDER BY rowid", (ticket_id,)
        )
        return [(int(r["chat_id"]), str(r["audience"])) for r in rows]

    async def save_card(self, ticket_id: int, chat_id: int, message_id: int, audience: str) -> None:
        """Remember where a ticket's card is, so later changes edit it."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO cards (ticket_id, chat_id, message_id, audience) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (ticket_id, chat_id) DO UPDATE SET message_id = excluded.message_id,"
                " audience = excluded.audience",
                (ticket_id, chat_id, message_id, audience),
            )

    async def ticket_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a bot message in a chat belongs to (a card or a ticket notification)."""
        row = await self._fetchone(
            "SELECT ticket_id FROM cards WHERE chat_id = ? AND message_id = ?"
            " UNION ALL SELECT ticket_id FROM outbox WHERE chat_id = ? AND message_id = ?"
            " AND ticket_id IS NOT NULL LIMIT 1",
            (chat_id, message_id, chat_id, message_id),
        )
        return int(row["ticket_id"]) if row else None

    # ----- staff --------------------------------------------------------------------------

    async def set_available(self, telegram_id: int, available: bool, now: datetime) -> None:
        """Record a staff member's /duty on or /duty off."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO staff_status (telegram_id, available, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (telegram_id) DO UPDATE SET available = excluded.available,"
                " updated_at = excluded.updated_at",
                (telegram_id, int(available), _ts(now)),
            )

    async def unavailable_staff(self) -> frozenset[int]:
        """Staff who said /duty off."""
        rows = await self._fetchall("SELECT telegram_id FROM staff_status WHERE available = 0")
        return frozenset(int(r["telegram_id"]) for r in rows)

    async def open_load(self) -> dict[int, int]:
        """Open tickets (assigned or accepted) per assignee."""
        rows = await self._fetchall(
            "SELECT assignee_id, COUNT(*) AS n FROM tickets WHERE assignee_id IS NOT NULL"
            " AND status IN ('assigned', 'accepted') GROUP BY assignee_id"
        )
        return {int(r["assignee_id"]): int(r["n"]) for r in rows}

    async def recent_assignees(self, limit: int = 200) -> list[int]:
        """Who got tickets lately, oldest first (for round robin between equals)."""
        rows = await self._fetchall(
            "SELECT assignee_id FROM (SELECT id, assignee_id FROM tickets"
            " WHERE assignee_id IS NOT NULL ORDER BY id DESC LIMIT ?) ORDER BY id",
            (limit,),
        )
        return [int(r["assignee_id"]) for r in rows]

    async def assigned_tickets(self, telegram_id: int, limit: int = 50) -> list[Ticket]:
        """A staff member's open tickets, the most pressing deadline first."""
        rows = await self._fetchall(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE assignee_id = ?"
            " AND status IN ('assigned', 'accepted')"
            " ORDER BY CASE status WHEN 'assigned' THEN accept_due ELSE resolve_due END, id"
            " LIMIT ?",
            (telegram_id, limit),
        )
        return [_ticket(r) for r in rows]

    async def tickets_in_progress(self) -> list[Ticket]:
        """Every ticket not yet resolved (new, assigned or accepted), oldest first."""
        rows = await self._fetchall(
            f"SELECT {_TICKET_COLUMNS} FROM tickets"
            " WHERE status IN ('new', 'assigned', 'accepted') ORDER BY id"
        )
        return [_ticket(r) for r in rows]

    async def open_tickets(
        self,
        departments: Collection[str] | None,
        now: datetime,
        limit: int = 50,
        estates: Collection[str] | None = None,
    ) -> list[Ticket]:
        """Unassigned or overdue open tickets in some departments and estates, oldest first."""
        only = ""
        params: list[Any] = [_ts(now), _ts(now)]
        for column, values in (("department", departments), ("estate", estates)):
            if values is not None:
                only += f" AND {column} IN ({', '.join('?' * len(values)) or 'NULL'})"
                params.extend(sorted(values))
        rows = await self._fetchall(
            f"SELECT {_TICKET_COLUMNS} FROM tickets"
            " WHERE status IN ('new', 'assigned', 'accepted')"
            " AND (assignee_id IS NULL OR overdue = 1"
            "      OR (status IN ('new', 'assigned') AND accept_due < ?)"
            f"      OR resolve_due < ?){only}"
            " ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [_ticket(r) for r in rows]

    async def outbox_counts(self) -> dict[str, int]:
        """How many outbox messages are in each status."""
        rows = await self._fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Run one statement alone on the connection and return its rows (bot.store.reports)."""
        # A lone write (e.g. INSERT … RETURNING) commits by itself: the connection autocommits.
        return await self._fetchall(sql, params)


def _opt_dt(text: str | None) -> datetime | None:
    return _dt(text) if text else None


def _survey(row: aiosqlite.Row) -> Survey:
    """Build a Survey from a surveys row."""
    return Survey(
        id=row["id"],
        ticket_id=row["ticket_id"],
        round=row["round"],
        staff_id=row["staff_id"],
        status=row["status"],
        due_at=_dt(row["due_at"]),
        sent_at=_opt_dt(row["sent_at"]),
        reminded_at=_opt_dt(row["reminded_at"]),
        answered_at=_opt_dt(row["answered_at"]),
        rating=row["rating"],
        problems=tuple(json.loads(row["problems"] or "[]")),
        comment=row["comment"],
        praise=row["praise"],
        followup_status=row["followup_status"],
        followup_due=_opt_dt(row["followup_due"]),
    )


def _ticket(row: aiosqlite.Row) -> Ticket:
    """Build a Ticket from a row selected with ``_TICKET_COLUMNS``."""
    return Ticket(
        owner_id=row["owner_id"],
        kind=row["kind"],
        category=row["category"],
        subcategory=row["subcategory"],
        department=row["department"],
        estate=row["estate"],
        building=row["building"],
        unit=row["unit"],
        area=row["area"],
        location_detail=row["location_detail"],
        urgency=row["urgency"],
        description=row["description"],
        photos=tuple(json.loads(row["photos"])),
        language=row["language"],
        created_at=_dt(row["created_at"]),
        accept_due=_dt(row["accept_due"]),
        resolve_due=_dt(row["resolve_due"]),
        id=row["id"],
        number=row["number"],
        status=Status(row["status"]),
        assignee_id=row["assignee_id"],
        updated_at=_dt(row["updated_at"]),
        version=row["version"],
        overdue=bool(row["overdue"]),
        resolution_note=row["resolution_note"],
        resolution_photo=row["resolution_photo"],
        paused_at=_dt(row["paused_at"]) if row["paused_at"] else None,
    )


def _outbox_item(r: aiosqlite.Row) -> OutboxItem:
    """An outbox row as the message it holds."""
    payload = json.loads(r["payload"])
    message = Outgoing(
        chat_id=r["chat_id"],
        text=payload["text"],
        buttons=tuple(tuple((b[0], b[1]) for b in row) for row in payload["buttons"]),
        photo=payload.get("photo"),
        ticket_id=r["ticket_id"],
        card=payload.get("card"),
        photos=tuple(payload.get("photos") or ()),
        priority=Priority(r["priority"]),
        collapse=payload.get("collapse"),
    )
    return OutboxItem(r["id"], message, r["attempts"], r["status"])
