"""The SQLite schema: migration scripts, applied in order and tracked in ``user_version``.

Append only: an existing file has run the first ``user_version`` scripts, so a script is never
edited or removed once released; a change is a new script at the end.
"""

from __future__ import annotations

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
    # The web dashboard (issue 14): one-time login links and browser sessions (hashes only),
    # and what the board's columns read: whether work started (kept by add_event), indexes.
    """
    CREATE TABLE IF NOT EXISTS web_logins (
        token_hash  TEXT PRIMARY KEY,
        telegram_id INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        used_at     TEXT
    );
    CREATE TABLE IF NOT EXISTS web_sessions (
        session_hash TEXT PRIMARY KEY,
        telegram_id  INTEGER NOT NULL,
        csrf         TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        last_seen    TEXT NOT NULL
    );
    ALTER TABLE tickets ADD COLUMN work_started INTEGER NOT NULL DEFAULT 0;
    UPDATE tickets SET work_started = 1 WHERE status = 'accepted' AND EXISTS (
        SELECT 1 FROM ticket_events s WHERE s.ticket_id = tickets.id AND s.kind = 'started'
        AND s.id > (SELECT COALESCE(MAX(a.id), 0) FROM ticket_events a
                    WHERE a.ticket_id = tickets.id AND a.kind = 'accepted'));
    -- Every filter of the board but the text in one index: counts and pages of ids without
    -- reading the table.
    CREATE INDEX IF NOT EXISTS tickets_board ON tickets (
        status, department, estate, category, urgency, assignee_id, overdue, paused_at,
        work_started, accept_due, resolve_due, id
    );
    CREATE INDEX IF NOT EXISTS tickets_board_accept ON tickets (status, accept_due, id);
    CREATE INDEX IF NOT EXISTS tickets_board_resolve
        ON tickets (status, paused_at, work_started, resolve_due, id);
    CREATE INDEX IF NOT EXISTS tickets_board_due ON tickets (status, resolve_due, id);
    """,
    # Owners are remembered (issue 13): their phone (asked once), the homes they reported from
    # (offered as one tap), an optional register of real units, and a cancelled report kept a
    # while so it can be restored; a ticket keeps the phone it was filed with.
    """
    ALTER TABLE users ADD COLUMN phone TEXT;
    ALTER TABLE users ADD COLUMN phone_asked INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tickets ADD COLUMN owner_phone TEXT;
    CREATE TABLE IF NOT EXISTS homes (
        owner_id INTEGER NOT NULL,
        estate   TEXT NOT NULL,
        building TEXT NOT NULL,
        unit     TEXT NOT NULL,
        used_at  TEXT NOT NULL,
        PRIMARY KEY (owner_id, estate, building, unit)
    );
    CREATE TABLE IF NOT EXISTS units (
        estate   TEXT NOT NULL,
        building TEXT NOT NULL,
        unit     TEXT NOT NULL,
        PRIMARY KEY (estate, building, unit)
    );
    CREATE TABLE IF NOT EXISTS drafts (
        chat_id  INTEGER PRIMARY KEY,
        user_id  INTEGER NOT NULL,
        state    TEXT NOT NULL,
        saved_at TEXT NOT NULL
    );
    """,
    # Migration 8 — the outbox column PostgreSQL replicas claim a message with (kept alike on
    # both backends so copy-db moves the same columns; SQLite runs one bot and never claims).
    """
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    """,
    # Migration 9 — notices to owners (issue 15, docs/architecture.md "Notices"): the notice
    # with its due times, one delivery row per owner (its outbox message), and who turned
    # notices off.
    """
    CREATE TABLE IF NOT EXISTS notices (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        estate         TEXT NOT NULL,
        buildings      TEXT NOT NULL,
        kind           TEXT NOT NULL,
        texts          TEXT NOT NULL,
        starts_at      TEXT NOT NULL,
        ends_at        TEXT,
        send_at        TEXT NOT NULL,
        expires_at     TEXT NOT NULL,
        created_by     INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        status         TEXT NOT NULL,
        status_chat    INTEGER,
        status_message INTEGER,
        changed_at     TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS notices_status ON notices (status, send_at);
    CREATE TABLE IF NOT EXISTS notice_deliveries (
        notice_id INTEGER NOT NULL,
        owner_id  INTEGER NOT NULL,
        outbox_id INTEGER NOT NULL,
        blocked   INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        PRIMARY KEY (notice_id, owner_id)
    );
    CREATE INDEX IF NOT EXISTS notice_deliveries_outbox ON notice_deliveries (outbox_id);
    CREATE TABLE IF NOT EXISTS notice_prefs (
        telegram_id INTEGER PRIMARY KEY,
        off         INTEGER NOT NULL,
        changed_at  TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS homes_place ON homes (estate, building, owner_id);
    """,
    # Migration 10 — digest cards (issue 15): a burst of new tickets for one department group
    # is listed on one message, edited in place; a line per ticket, open while it waits.
    """
    CREATE TABLE IF NOT EXISTS digest_lines (
        chat_id    INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
        position   INTEGER NOT NULL,
        is_open    INTEGER NOT NULL,
        added_at   TEXT NOT NULL,
        PRIMARY KEY (chat_id, message_id, ticket_id)
    );
    CREATE INDEX IF NOT EXISTS digest_lines_ticket ON digest_lines (ticket_id, chat_id);
    """,
    # Migration 11 — known incidents (issue 15): one record for an outage instead of thirty
    # tickets; the
    # tickets linked to it, the owners waiting for its all-clear, and a key per message told
    # (incident, chat, kind, version) so a repeat after a crash queues nothing twice.
    """
    CREATE TABLE IF NOT EXISTS incidents (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        estate       TEXT NOT NULL,
        buildings    TEXT NOT NULL,
        common_areas INTEGER NOT NULL,
        category     TEXT NOT NULL,
        subcategory  TEXT,
        department   TEXT NOT NULL,
        texts        TEXT NOT NULL,
        started_at   TEXT NOT NULL,
        eta          TEXT,
        declared_by  INTEGER,
        status       TEXT NOT NULL DEFAULT 'open',
        closed_at    TEXT,
        all_clear    TEXT NOT NULL DEFAULT '{}',
        note         TEXT,
        version      INTEGER NOT NULL DEFAULT 1,
        settled      INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS incidents_open ON incidents (status, estate, id);
    CREATE TABLE IF NOT EXISTS incident_tickets (
        ticket_id   INTEGER PRIMARY KEY REFERENCES tickets (id),
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        linked_at   TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS incident_tickets_of ON incident_tickets (incident_id, linked_at);
    CREATE TABLE IF NOT EXISTS incident_subscribers (
        incident_id   INTEGER NOT NULL REFERENCES incidents (id),
        person_id     INTEGER NOT NULL,
        subscribed_at TEXT NOT NULL,
        rating        INTEGER,
        rated_at      TEXT,
        PRIMARY KEY (incident_id, person_id)
    );
    CREATE TABLE IF NOT EXISTS incident_deliveries (
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        chat_id     INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        version     INTEGER NOT NULL,
        queued_at   TEXT NOT NULL,
        PRIMARY KEY (incident_id, chat_id, kind, version)
    );
    """,
    # The bot's incident proposals (issue 15): one live proposal per cluster of reports (the
    # partial unique index: replicas racing on one database insert one), and its reports.
    """
    CREATE TABLE IF NOT EXISTS incident_proposals (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        cluster     TEXT NOT NULL,
        estate      TEXT NOT NULL,
        building    TEXT,
        area        TEXT,
        category    TEXT NOT NULL,
        subcategory TEXT,
        department  TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'open',
        live        INTEGER NOT NULL DEFAULT 1,
        first_at    TEXT NOT NULL,
        last_at     TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        decided_at  TEXT,
        decided_by  BIGINT,
        incident_id INTEGER REFERENCES incidents (id),
        version     INTEGER NOT NULL DEFAULT 1
    );
    CREATE UNIQUE INDEX IF NOT EXISTS incident_proposals_live ON incident_proposals (cluster)
        WHERE live = 1;
    CREATE INDEX IF NOT EXISTS incident_proposals_first ON incident_proposals (first_at);
    CREATE INDEX IF NOT EXISTS incident_proposals_cluster
        ON incident_proposals (cluster, decided_at);
    CREATE TABLE IF NOT EXISTS incident_proposal_tickets (
        proposal_id INTEGER NOT NULL REFERENCES incident_proposals (id),
        ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
        PRIMARY KEY (proposal_id, ticket_id)
    );
    CREATE INDEX IF NOT EXISTS tickets_estate_subject ON tickets (estate, category, created_at);
    """,
)
