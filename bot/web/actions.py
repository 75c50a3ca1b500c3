"""The dashboard's actions on a ticket, through the use cases with the bot's own rules."""

from __future__ import annotations

import logging
from typing import Any

from bot.core.actions import Accept, Action, AddNote, Reopen, Resolve, StartWork, Transfer
from bot.core.lifecycle import Refusal
from bot.core.models import Ticket
from bot.core.scope import may_see
from bot.desk.surveys import SurveyJobs
from bot.desk.tickets import TicketChanged, TicketDesk
from bot.web.auth import Viewer
from bot.web.views import VIA

log = logging.getLogger(__name__)

ACTIONS = (
    "accept",
    "start",
    "transfer",
    "resolve",
    "note",
    "pause",
    "resume",
    "reopen",
    "called_back",
)
MAX_TEXT = 2000
# Probes for "may this viewer do it now?": the same stand-ins the Telegram cards use.
_PROBES: dict[str, Action] = {
    "accept": Accept(),
    "start": StartWork(),
    "transfer": Transfer("check", department="_check"),
    "resolve": Resolve("check"),
    "note": AddNote("check"),
    "reopen": Reopen("check"),
}
# A probe with a stand-in text may be refused for the text alone: the real one brings its own.
_NEEDS_INPUT = frozenset({"empty_text", "no_target", "reason_required", "note_required"})


class ActionError(Exception):
    """An action refused: an HTTP status, a code and a sentence for the person."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class WebActions:
    """What a supervisor can do to a ticket from the dashboard."""

    def __init__(self, desk: TicketDesk, surveys: SurveyJobs) -> None:
        self.desk = desk
        self.surveys = surveys
        self.services = desk.services

    def t(self, viewer: Viewer, key: str, **params: object) -> str:
        """A catalog text in the viewer's language."""
        return self.services.catalog.text(viewer.lang, key, **params)

    def refusal(self, viewer: Viewer, refusal: Refusal) -> str:
        """A refusal code as the bot words it."""
        params = dict(refusal.params)
        by = params.get("by")
        if isinstance(by, int):
            member = self.services.settings.staff_member(by)
            params["by"] = member.name if member else str(by)
        return self.t(viewer, f"refusal.{refusal.code}", **params)

    async def allowed(self, viewer: Viewer, ticket: Ticket) -> list[str]:
        """The actions the viewer may take on the ticket now (plain staff: none, read only)."""
        if not viewer.manages:
            return []
        store = self.services.store
        events = await store.ticket_events(ticket.id)
        out = []
        for name, probe in _PROBES.items():
            refused = self.desk.check(ticket, probe, viewer.actor, events)
            if refused is None or refused.code in _NEEDS_INPUT:
                out.append(name)
        may = self.desk.check(ticket, AddNote("pause"), viewer.actor) is None
        if may and ticket.status.value == "accepted":
            out.append("resume" if ticket.paused_at else "pause")
        if await self._open_followup(ticket) is not None:
            out.append("called_back")
        return out

    def targets(self, viewer: Viewer, ticket: Ticket) -> dict[str, list[dict[str, Any]]]:
        """Where a transfer may go: other departments, or colleagues covering the ticket."""
        settings = self.services.settings
        departments = [
            {"id": d.id, "name": settings.text(d.name, viewer.lang)}
            for d in settings.departments
            if d.id != ticket.department
        ]
        people = [
            {"id": m.telegram_id, "name": m.name}
            for m in settings.staff
            if ticket.department in m.departments
            and m.works_in(ticket.estate)
            and m.telegram_id != ticket.assignee_id
        ]
        return {"departments": departments, "staff": people}

    async def run(self, viewer: Viewer, ticket: Ticket, body: dict[str, Any]) -> str:
        """Carry out one action; the sentence to show. ActionError when refused."""
        if not viewer.manages:
            raise ActionError(403, "read_only", self.t(viewer, "web.read_only"))
        name = body.get("action")
        version = body.get("version")
        if name not in ACTIONS or not isinstance(version, int) or isinstance(version, bool):
            raise ActionError(400, "bad_action", self.t(viewer, "web.bad_action"))
        text = body.get("text", "")
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise ActionError(
                400, "text_too_long", self.t(viewer, "web.text_too_long", max=MAX_TEXT)
            )
        if ticket.version != version:
            raise ActionError(409, "changed", self.t(viewer, "web.changed", number=ticket.number))
        actor = viewer.actor
        if name in ("pause", "resume"):
            change = self.desk.pause if name == "pause" else self.desk.resume
            outcome = await change(ticket.id, actor, via=VIA)
            if isinstance(outcome, Refusal):
                raise ActionError(409, outcome.code, self.refusal(viewer, outcome))
            return self.t(viewer, f"card.{name}d_toast", number=ticket.number)
        if name == "called_back":
            survey = await self._open_followup(ticket)
            if survey is None or not viewer.manages:
                raise ActionError(409, "wrong_state", self.t(viewer, "refusal.wrong_state"))
            said = text.strip()
            if not said:
                # As in Telegram, the call's one-line outcome goes on the timeline.
                asked = self.t(viewer, "survey.ask_outcome", number=ticket.number)
                raise ActionError(400, "outcome_needed", asked)
            done = await self.surveys.followup_done(survey, actor, said)
            if done.key != "survey.followup_done":
                raise ActionError(409, "wrong_state", self.t(viewer, done.key))
            log.info("dashboard: called back on %s by %s", ticket.number, viewer.telegram_id)
            return self.t(viewer, done.key, number=ticket.number)
        action = await self._action(viewer, ticket, name, text, body)
        try:
            result = await self.desk.act(ticket.id, action, actor, via=VIA, expect_version=version)
        except TicketChanged:
            changed = self.t(viewer, "web.changed", number=ticket.number)
            raise ActionError(409, "changed", changed) from None
        if result is None:
            raise ActionError(404, "not_found", self.t(viewer, "web.not_found"))
        if isinstance(result, Refusal):
            raise ActionError(409, result.code, self.refusal(viewer, result))
        log.info("dashboard: %s on %s by %s", name, ticket.number, viewer.telegram_id)
        return self.t(viewer, "web.done", number=ticket.number)

    async def _action(
        self, viewer: Viewer, ticket: Ticket, name: str, text: str, body: dict[str, Any]
    ) -> Action:
        if name == "accept":
            return Accept()
        if name == "start":
            return StartWork()
        if name == "note":
            return AddNote(text)
        if name == "resolve":
            return Resolve(text)
        if name == "reopen":
            return Reopen(text)
        # A transfer goes only where the Telegram card's choices would let it go.
        targets = self.targets(viewer, ticket)
        to, department = body.get("to"), body.get("department")
        if department is not None:
            if department not in {d["id"] for d in targets["departments"]}:
                raise ActionError(400, "bad_target", self.t(viewer, "web.bad_target"))
            routed = await self.desk.route(str(department), ticket.estate)
            return Transfer(text, department=str(department), to=routed.assignee)
        if not isinstance(to, int) or to not in {p["id"] for p in targets["staff"]}:
            raise ActionError(400, "bad_target", self.t(viewer, "web.bad_target"))
        member = self.services.settings.staff_member(to)
        if member is None or not may_see(member, ticket.department, ticket.estate):
            raise ActionError(400, "bad_target", self.t(viewer, "web.bad_target"))
        return Transfer(text, to=to)

    async def _open_followup(self, ticket: Ticket) -> int | None:
        for survey in await self.services.store.surveys_pending(ticket.id):
            if survey.followup_status == "open":
                return survey.id
        return None
