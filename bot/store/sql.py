"""The statements both backends run word for word, written once.

SQLite runs them as they are; PostgreSQL numbers the ``?`` placeholders (``postgres.db.pg``).
A statement only one dialect understands (SQLite's ``json_extract``, PostgreSQL's ``->>``,
``ANY``, ``FOR NO KEY UPDATE``) stays in its backend's module.
"""

from __future__ import annotations

# ----- handled updates ------------------------------------------------------------------------

UPDATE_HANDLED = "SELECT 1 FROM handled_updates WHERE update_id = ?"
LAST_HANDLED_UPDATE = "SELECT MAX(update_id) AS n FROM handled_updates"
MARK_UPDATE_HANDLED = (
    "INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)"
    " ON CONFLICT (update_id) DO NOTHING"
)
PRUNE_HANDLED_UPDATES = "DELETE FROM handled_updates WHERE update_id <= ?"

# ----- people ---------------------------------------------------------------------------------

UPSERT_PERSON = """
    INSERT INTO users (telegram_id, first_name, last_name, username, language_code,
                       created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (telegram_id) DO UPDATE SET
        first_name = excluded.first_name, last_name = excluded.last_name,
        username = excluded.username, language_code = excluded.language_code,
        updated_at = excluded.updated_at
    RETURNING language
"""
GET_PERSON = "SELECT * FROM users WHERE telegram_id = ?"
SET_LANGUAGE = "UPDATE users SET language = ?, updated_at = ? WHERE telegram_id = ?"
SET_PHONE = "UPDATE users SET phone = ?, phone_asked = 1, updated_at = ? WHERE telegram_id = ?"

# ----- homes, the unit register and cancelled drafts -------------------------------------------

REMEMBER_HOME = """
    INSERT INTO homes (owner_id, estate, building, unit, used_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (owner_id, estate, building, unit) DO UPDATE SET used_at = excluded.used_at
"""
OWNER_HOMES = (
    "SELECT estate, building, unit FROM homes WHERE owner_id = ?"
    " ORDER BY used_at DESC, estate, building, unit LIMIT ?"
)
ADD_UNIT = (
    "INSERT INTO units (estate, building, unit) VALUES (?, ?, ?)"
    " ON CONFLICT (estate, building, unit) DO NOTHING"
)
BUILDING_UNITS = "SELECT unit FROM units WHERE estate = ? AND building = ?"
STASH_DRAFT = """
    INSERT INTO drafts (chat_id, user_id, state, saved_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (chat_id) DO UPDATE SET
        user_id = excluded.user_id, state = excluded.state, saved_at = excluded.saved_at
"""
TAKE_DRAFT = "DELETE FROM drafts WHERE chat_id = ? RETURNING state, saved_at"

# ----- conversations --------------------------------------------------------------------------

GET_CONVERSATION = "SELECT state FROM conversations WHERE chat_id = ?"
SAVE_CONVERSATION = """
    INSERT INTO conversations (chat_id, user_id, flow, token, state, updated_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (chat_id) DO UPDATE SET
        user_id = excluded.user_id, flow = excluded.flow, token = excluded.token,
        state = excluded.state, updated_at = excluded.updated_at
"""
END_CONVERSATION = "DELETE FROM conversations WHERE chat_id = ? AND token = ?"
DELETE_CONVERSATION = (
    "DELETE FROM conversations WHERE chat_id = ? AND (CAST(? AS TEXT) IS NULL OR token = ?)"
)

# ----- cards ----------------------------------------------------------------------------------

CARD_MESSAGE = "SELECT message_id FROM cards WHERE ticket_id = ? AND chat_id = ?"
SAVE_CARD = (
    "INSERT INTO cards (ticket_id, chat_id, message_id, audience) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (ticket_id, chat_id) DO UPDATE SET message_id = excluded.message_id,"
    " audience = excluded.audience"
)
TICKET_OF_MESSAGE = (
    "SELECT ticket_id FROM cards WHERE chat_id = ? AND message_id = ?"
    " UNION ALL SELECT ticket_id FROM outbox WHERE chat_id = ? AND message_id = ?"
    " AND ticket_id IS NOT NULL LIMIT 1"
)

# ----- staff ----------------------------------------------------------------------------------

SET_AVAILABLE = (
    "INSERT INTO staff_status (telegram_id, available, updated_at) VALUES (?, ?, ?)"
    " ON CONFLICT (telegram_id) DO UPDATE SET available = excluded.available,"
    " updated_at = excluded.updated_at"
)
UNAVAILABLE_STAFF = "SELECT telegram_id FROM staff_status WHERE available = 0"
OPEN_LOAD = (
    "SELECT assignee_id, COUNT(*) AS n FROM tickets WHERE assignee_id IS NOT NULL"
    " AND status IN ('assigned', 'accepted') GROUP BY assignee_id"
)
RECENT_ASSIGNEES = (
    "SELECT assignee_id FROM (SELECT id, assignee_id FROM tickets"
    " WHERE assignee_id IS NOT NULL ORDER BY id DESC LIMIT ?) AS recent ORDER BY id"
)

# ----- tickets and their timelines ------------------------------------------------------------

TICKET_COLUMNS = (
    "id, number, owner_id, kind, category, subcategory, department, estate, building, unit,"
    " area, location_detail, urgency, description, photos, language, status, assignee_id,"
    " created_at, updated_at, accept_due, resolve_due, version, overdue, resolution_note,"
    " resolution_photo, paused_at, owner_phone"
)
NEXT_NUMBER = (
    "INSERT INTO counters (name, value) VALUES (?, 1)"
    " ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value"
)
INSERT_TICKET = f"""
    INSERT INTO tickets ({TICKET_COLUMNS.removeprefix("id, ")})
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?,
            0, 0, NULL, NULL, NULL, ?)
    RETURNING id
"""
WRITE_TICKET = """
    UPDATE tickets SET status = ?, assignee_id = ?, department = ?, updated_at = ?,
        accept_due = ?, resolve_due = ?, overdue = ?, resolution_note = ?,
        resolution_photo = ?, paused_at = ?, version = version + 1
    WHERE id = ?
"""
ADD_EVENT = "INSERT INTO ticket_events (ticket_id, at, kind, actor_id, data) VALUES (?, ?, ?, ?, ?)"
RESOLUTION_COUNT = (
    "SELECT COUNT(*) AS n FROM ticket_events WHERE ticket_id = ? AND kind = 'resolved'"
)
TICKET_BY_ID = f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?"
TICKET_BY_NUMBER = f"SELECT {TICKET_COLUMNS} FROM tickets WHERE number = ?"
OWNER_TICKETS = (
    f"SELECT {TICKET_COLUMNS} FROM tickets WHERE owner_id = ? ORDER BY id DESC LIMIT ? OFFSET ?"
)
OWNER_TICKETS_SINCE = (
    "SELECT category, description FROM tickets WHERE owner_id = ? AND created_at >= ?"
)
COUNT_OWNER_TICKETS = "SELECT COUNT(*) AS n FROM tickets WHERE owner_id = ?"
TICKET_EVENTS = (
    "SELECT ticket_id, at, kind, actor_id, data FROM ticket_events WHERE ticket_id = ? ORDER BY id"
)
ASSIGNED_TICKETS = (
    f"SELECT {TICKET_COLUMNS} FROM tickets WHERE assignee_id = ?"
    " AND status IN ('assigned', 'accepted')"
    " ORDER BY CASE status WHEN 'assigned' THEN accept_due ELSE resolve_due END, id"
    " LIMIT ?"
)
TICKETS_IN_PROGRESS = (
    f"SELECT {TICKET_COLUMNS} FROM tickets WHERE status IN ('new', 'assigned', 'accepted')"
    " ORDER BY id"
)
# Which tickets are in progress, and in which version (replicas look every couple of seconds).
VERSIONS_IN_PROGRESS = (
    "SELECT id, version FROM tickets WHERE status IN ('new', 'assigned', 'accepted')"
)
# The timelines of the tickets in progress with ids in a range (start-up plans their deadlines).
EVENTS_IN_PROGRESS = (
    "SELECT e.ticket_id, e.at, e.kind, e.actor_id, e.data FROM ticket_events e"
    " JOIN tickets t ON t.id = e.ticket_id"
    " WHERE t.status IN ('new', 'assigned', 'accepted') AND t.id BETWEEN ? AND ?"
    " ORDER BY e.ticket_id, e.id"
)
OPEN_TICKETS = (
    f"SELECT {TICKET_COLUMNS} FROM tickets"
    " WHERE status IN ('new', 'assigned', 'accepted')"
    " AND (assignee_id IS NULL OR overdue = 1"
    "      OR (status IN ('new', 'assigned') AND accept_due < ?)"
    "      OR resolve_due < ?){only}"
    " ORDER BY id LIMIT ?"
)
"""Open tickets needing attention; ``{only}`` is the backend's department/estate filter."""

# ----- outbox ---------------------------------------------------------------------------------

INSERT_OUTBOX = (
    "INSERT INTO outbox (chat_id, ticket_id, payload, next_attempt_at, created_at, priority)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
DUE_OUTBOX = (
    "SELECT o.id, o.chat_id, o.ticket_id, o.payload, o.attempts, o.status, o.priority"
    " FROM (SELECT id, priority, next_attempt_at, ROW_NUMBER() OVER"
    " (PARTITION BY chat_id ORDER BY priority, id) AS place FROM outbox"
    " WHERE status = 'pending' AND (attempts > 0 OR next_attempt_at <= ?)) AS head"
    " JOIN outbox AS o ON o.id = head.id"
    " WHERE head.place = 1 AND head.next_attempt_at <= ?"
    " ORDER BY head.priority, head.id LIMIT ?"
)
DUE_OUTBOX_OF_CHAT = (
    "SELECT id, chat_id, ticket_id, payload, attempts, status, priority, next_attempt_at"
    " FROM outbox WHERE chat_id = ? AND status = 'pending'"
    " AND (attempts > 0 OR next_attempt_at <= ?) ORDER BY priority, id LIMIT 1"
)
NEXT_OUTBOX_DUE = "SELECT MIN(next_attempt_at) AS due FROM outbox WHERE status = 'pending'"
OUTBOX_SENT = (
    "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,"
    " attempts = attempts + 1 WHERE id = ?"
)
OUTBOX_RETRY = (
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?"
)
OUTBOX_FAILED = (
    "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?"
    " WHERE id = ? RETURNING ticket_id, chat_id"
)
OUTBOX_COUNTS = "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status"

# ----- surveys --------------------------------------------------------------------------------

CANCEL_PENDING_SURVEYS = (
    "UPDATE surveys SET status = 'cancelled' WHERE ticket_id = ?"
    " AND status IN ('scheduled', 'sent')"
)
NEW_SURVEY = (
    "INSERT INTO surveys (ticket_id, round, staff_id, status, due_at)"
    " VALUES (?, (SELECT COUNT(*) + 1 FROM surveys WHERE ticket_id = ?), ?, 'scheduled', ?)"
)
GET_SURVEY = "SELECT * FROM surveys WHERE id = ?"
SURVEY_RATE = (
    "UPDATE surveys SET status = 'answered', rating = ?, answered_at = ?"
    " WHERE id = ? AND status = 'sent'"
)
SURVEY_DETAILS = "UPDATE surveys SET problems = ?, comment = ?, praise = ? WHERE id = ?"
FOLLOWUP_OPEN = (
    "UPDATE surveys SET followup_status = 'open', followup_due = ?"
    " WHERE id = ? AND followup_status IS NULL"
)
FOLLOWUP_CLOSE = "UPDATE surveys SET followup_status = ? WHERE id = ? AND followup_status = 'open'"

# ----- scheduled report runs ------------------------------------------------------------------

LAST_RUN = "SELECT value FROM counters WHERE name = ?"
CLAIM_RUN = (
    "INSERT INTO counters (name, value) VALUES (?, ?)"
    " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    " WHERE counters.value < excluded.value RETURNING value"
)
