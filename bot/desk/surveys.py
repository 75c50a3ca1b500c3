"""The return visit (回访): when to ask, asking, closing, and the supervisor's follow-up.

Every step of a survey is a state in the ``surveys`` table, moved on with a compare-and-set, and
every due moment (send, remind, expire, follow-up deadline) is a job derived from that table:
restarts and repeated jobs neither lose nor double a survey. Taking the owner's answers is the
channel's part (``bot.tg.surveys``); this module holds what happens because of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.actions import SYSTEM, Actor, Close, ConfirmFixed, Reopen
from bot.core.lifecycle import Refusal
from bot.core.models import Outgoing, Priority, Status, Survey, Ticket, TicketEvent, action_ref
from bot.core.scope import out_of_scope
from bot.core.staff_names import shown_name
from bot.core.surveys import RATINGS, expiry, needs_followup, reminder_due, stars
from bot.desk.context import DeskServices
from bot.desk.tickets import TicketDesk
from bot.timer import Timer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FollowupOutcome:
    """What a supervisor's follow-up press came to: a text key, or a refused reopen."""

    key: str
    ticket: Ticket | None = None
    refusal: Refusal | None = None


class SurveyJobs:
    """Sends surveys when due, closes tickets on the answer, and runs the follow-up's clock."""

    def __init__(self, services: DeskServices, desk: TicketDesk, timer: Timer | None) -> None:
        self.services = services
        self.desk = desk
        self.timer = timer

    # ----- scheduling --------------------------------------------------------------------

    async def rebuild(self) -> int:
        """Jobs for every pending survey and open follow-up (at start-up)."""
        surveys = await self.services.store.surveys_pending()
        for survey in surveys:
            self.schedule(survey)
        log.info("scheduler: %d pending surveys", len(surveys))
        return len(surveys)

    async def schedule_ticket(self, ticket: Ticket) -> None:
        """After a ticket changed: (re)schedule its pending survey, if any."""
        for survey in await self.services.store.surveys_pending(ticket.id):
            self.schedule(survey)

    def dues(self, survey: Survey) -> dict[str, datetime]:
        """What a survey waits for next, and when (by its row)."""
        settings = self.services.settings
        dues: dict[str, datetime] = {}
        if survey.status == "scheduled":
            dues["survey_send"] = survey.due_at
        elif survey.status == "sent" and survey.sent_at is not None:
            if survey.reminded_at is None:
                dues["survey_remind"] = reminder_due(settings, survey.sent_at)
            dues["survey_expire"] = expiry(settings, survey.sent_at)
        if survey.followup_status == "open" and survey.followup_due is not None:
            dues["followup_due"] = survey.followup_due
        return dues

    def schedule(self, survey: Survey) -> None:
        """The jobs a survey needs next."""
        for kind, when in self.dues(survey).items():
            self._job(kind, survey.id, when)

    def _job(self, kind: str, survey_id: int, when: datetime) -> None:
        if self.timer is None:
            return

        async def run() -> None:
            await self.fire(kind, survey_id)

        self.timer.at(f"{kind}:{survey_id}", when, run)

    async def fire(self, kind: str, survey_id: int) -> None:
        """Do what is due for a survey, if it still is."""
        store = self.services.store
        survey = await store.get_survey(survey_id)
        if survey is None:
            return
        ticket = await store.get_ticket(survey.ticket_id)
        if ticket is None:
            return
        now = self.services.clock()
        due = self.dues(survey).get(kind)
        if due is None:
            return  # done already, or the survey moved on
        if due > now:
            self._job(kind, survey_id, due)  # planned for later since: wait for it
            return
        if kind == "survey_send" and survey.status == "scheduled":
            messages = [await self._question(ticket, survey, "survey.invite")]
            if await store.survey_mark(
                survey.id,
                expect="scheduled",
                status="sent",
                column="sent_at",
                now=now,
                messages=messages,
            ):
                log.info("ticket %s: survey round %d sent", ticket.number, survey.round)
        elif kind == "survey_remind" and survey.status == "sent":
            messages = [await self._question(ticket, survey, "survey.reminder")]
            await store.survey_mark(
                survey.id,
                expect="sent",
                status="sent",
                column="reminded_at",
                now=now,
                messages=messages,
            )
        elif kind == "survey_expire" and survey.status == "sent":
            if await store.survey_mark(
                survey.id, expect="sent", status="expired", column=None, now=now
            ):
                log.info("ticket %s: survey unanswered; closing", ticket.number)
                await self.close(ticket, "no_answer")
        elif kind == "followup_due" and survey.followup_status == "open":
            await self._followup_late(ticket, survey)
        self.services.bell.ring()
        fresh = await store.get_survey(survey_id)
        if fresh is not None:
            self.schedule(fresh)

    # ----- asking ------------------------------------------------------------------------

    async def _question(self, ticket: Ticket, survey: Survey, key: str) -> Outgoing:
        """The rating question, five star buttons, in the owner's language."""
        lang = await self.desk.lang_of(ticket.owner_id)
        text = self.desk.text(lang)
        body = text.t(
            key,
            number=ticket.number,
            category=text.category(ticket),
            staff=shown_name(self.services.settings, survey.staff_id, lang),
        )
        rows = tuple(
            (
                (
                    f"{stars(r)} {text.t(f'survey.rating.{r}')}",
                    action_ref(f"survey.rate{r}", survey.id),
                ),
            )
            for r in RATINGS
        )
        return Outgoing(ticket.owner_id, body, rows, ticket_id=ticket.id)

    # ----- acting on the answers ---------------------------------------------------------

    async def close(self, ticket: Ticket, reason: str) -> None:
        """Close a resolved ticket because of its survey (answered, unanswered, called back)."""
        if ticket.status is Status.RESOLVED:
            result = await self.desk.act(ticket.id, Close(reason), SYSTEM)
            if isinstance(result, Refusal):
                log.info("ticket %s: not closed (%s)", ticket.number, result.code)

    async def record_rating(
        self, survey_id: int, owner_id: int, rating: int
    ) -> tuple[Survey, Ticket] | str:
        """Take an owner's rating, once; a text key when it is not theirs or not wanted now."""
        store = self.services.store
        survey = await store.get_survey(survey_id)
        ticket = await store.get_ticket(survey.ticket_id) if survey else None
        if survey is None or ticket is None or ticket.owner_id != owner_id:
            return "ticket.not_found"
        if not await store.survey_rate(survey.id, rating, self.services.clock()):
            return "survey.already_answered" if survey.status == "answered" else "survey.stale"
        log.info("ticket %s: rated %d", ticket.number, rating)
        return survey, ticket

    async def rate_from_result(
        self, ticket_id: int, owner: Actor, rating: int
    ) -> tuple[Survey, Ticket] | str:
        """A rating pressed on the "resolved" message: the survey's first question, asked
        there. It answers the round's survey, once; a good one also confirms the fix."""
        store = self.services.store
        ticket = await store.get_ticket(ticket_id)
        if ticket is None or ticket.owner_id != owner.telegram_id:
            return "ticket.not_found"
        if ticket.status is Status.CLOSED:
            return "survey.stale"  # rated through the survey itself, or closed meanwhile
        if ticket.status is not Status.RESOLVED:
            return "refusal.wrong_state"
        waiting = [s for s in await store.surveys_pending(ticket.id) if s.status != "answered"]
        survey = max(waiting, key=lambda s: s.round, default=None)
        if survey is None:
            return "survey.stale"
        now = self.services.clock()
        # Asked in the "resolved" message: the survey counts as sent then, so its own
        # invitation never follows.
        if survey.status == "scheduled":
            await store.survey_mark(
                survey.id, expect="scheduled", status="sent", column="sent_at", now=now
            )
        rated = await self.record_rating(survey.id, ticket.owner_id, rating)
        if isinstance(rated, str):
            return rated
        if not needs_followup(self.services.settings, rating, ()):
            # A good rating says "fixed": the engineer hears so and the ticket closes. A low
            # one leaves it resolved for the supervisor's call (who may reopen it).
            result = await self.desk.act(ticket.id, ConfirmFixed(), owner)
            if isinstance(result, Refusal):
                log.info("ticket %s: rated, not confirmed (%s)", ticket.number, result.code)
        return rated

    def supervisor_for(self, ticket: Ticket) -> int | None:
        """The supervisor who calls an unhappy owner back (the first in the ticket's patch)."""
        people = self.desk.supervisors_of(ticket.department, ticket.estate)
        return people[0] if people else None

    async def act_on_rating(self, ticket: Ticket, survey: Survey, rating: int) -> bool:
        """A low rating opens a follow-up (True if it did), any other closes the ticket."""
        if needs_followup(self.services.settings, rating, ()):
            return await self.open_followup(ticket, survey)
        await self.close(ticket, "survey")
        return False

    async def _followup_of(
        self, survey_id: int, actor: Actor
    ) -> tuple[Survey, Ticket] | FollowupOutcome:
        """The survey and ticket a supervisor acts on, or why they may not."""
        store = self.services.store
        survey = await store.get_survey(survey_id)
        ticket = await store.get_ticket(survey.ticket_id) if survey else None
        if survey is None or ticket is None:
            return FollowupOutcome("ticket.not_found")
        if actor.role not in ("supervisor", "admin"):
            return FollowupOutcome("refusal.not_supervisor")
        outside = out_of_scope(actor, ticket.department, ticket.estate)
        if outside is not None:
            return FollowupOutcome(f"refusal.{outside}")
        return survey, ticket

    async def followup_pressed(
        self, survey_id: int, actor: Actor, action: str, reopen_reason: str
    ) -> FollowupOutcome:
        """Reopen the ticket for the same staff member; "called back" first asks how it went
        (``survey.ask_outcome``: the channel asks, then calls ``followup_done``)."""
        found = await self._followup_of(survey_id, actor)
        if isinstance(found, FollowupOutcome):
            return found
        survey, ticket = found
        if survey.followup_status != "open":
            return FollowupOutcome("survey.followup_closed")
        if action != "reopen":
            return FollowupOutcome("survey.ask_outcome", ticket)
        result = await self.desk.act(ticket.id, Reopen(reopen_reason), actor)
        if isinstance(result, Refusal):
            return FollowupOutcome("refused", ticket, result)
        if result is None:
            return FollowupOutcome("ticket.not_found")
        await self.services.store.followup_close(survey.id, "reopened")
        await self.tell_supervisors(ticket, survey)
        return FollowupOutcome("survey.followup_reopened", ticket)

    async def followup_done(self, survey_id: int, actor: Actor, outcome: str) -> FollowupOutcome:
        """The call-back happened: its one-line outcome goes on the timeline, the ticket
        closes, and every supervisor's card says so."""
        found = await self._followup_of(survey_id, actor)
        if isinstance(found, FollowupOutcome):
            return found
        survey, ticket = found
        if not await self.services.store.followup_close(survey.id, "done"):
            return FollowupOutcome("survey.followup_closed")
        await self._on_timeline(ticket, "followup_done", actor, outcome, [])
        await self.close(ticket, "followup")
        await self.tell_supervisors(ticket, survey)
        return FollowupOutcome("survey.followup_done", ticket)

    async def followup_reply(
        self, survey_id: int, actor: Actor, words: str, photo: str | None
    ) -> FollowupOutcome:
        """A supervisor's reply to the follow-up card reaches the owner, whatever the ticket's
        state (closed included), and goes on the timeline."""
        found = await self._followup_of(survey_id, actor)
        if isinstance(found, FollowupOutcome):
            return found
        _, ticket = found
        lang = await self.desk.lang_of(ticket.owner_id)
        text = self.desk.text(lang)
        body = text.t(
            "notify.owner.followup",
            supervisor=shown_name(self.services.settings, actor.telegram_id, lang),
            number=ticket.number,
            text=words,
        )
        message = Outgoing(ticket.owner_id, body, photo=photo, ticket_id=ticket.id)
        await self._on_timeline(ticket, "followup_reply", actor, words, [message])
        return FollowupOutcome("staff.reply_sent", ticket)

    async def _on_timeline(
        self, ticket: Ticket, kind: str, actor: Actor, words: str, messages: list[Outgoing]
    ) -> None:
        """An entry on the ticket's timeline with its messages, whatever its state."""
        store = self.services.store
        for _ in range(3):  # someone else changed the ticket meanwhile: on the fresh one
            fresh = await store.get_ticket(ticket.id) or ticket
            event = TicketEvent(
                ticket.id, self.services.clock(), kind, actor.telegram_id, {"text": words}
            )
            if await store.transition(fresh, fresh, event, messages):
                self.services.bell.ring()
                return
        log.warning("ticket %s: %s not recorded (kept changing)", ticket.number, kind)

    def needs_followup(self, rating: int, problems: Sequence[str]) -> bool:
        """Whether the owner's answers call for a supervisor's call-back."""
        return needs_followup(self.services.settings, rating, list(problems))

    async def details(
        self,
        survey: Survey,
        problems: Sequence[str],
        comment: str | None,
        praise: str | None,
    ) -> Ticket | None:
        """Store the owner's details; praise reaches the staff member. Returns the ticket."""
        store = self.services.store
        await store.survey_details(survey.id, list(problems), comment, praise)
        ticket = await store.get_ticket(survey.ticket_id)
        if ticket is not None and praise and survey.staff_id is not None:
            lang = await self.desk.lang_of(survey.staff_id)
            praised = self.desk.text(lang).t(
                "survey.praise_for_staff", number=ticket.number, text=praise
            )
            await store.enqueue(
                [Outgoing(survey.staff_id, praised, ticket_id=ticket.id)], self.services.clock()
            )
        return ticket

    async def open_followup(self, ticket: Ticket, survey: Survey) -> bool:
        """The supervisor must call the owner back; False if a follow-up was open already."""
        due = self.services.clock() + self.services.settings.surveys.followup_within
        if not await self.services.store.followup_open(survey.id, due):
            return False
        fresh = await self.services.store.get_survey(survey.id)
        assert fresh is not None
        await self.tell_supervisors(ticket, fresh)
        self.schedule(fresh)
        return True

    async def tell_supervisors(self, ticket: Ticket, survey: Survey) -> None:
        """Each supervisor's follow-up card, drawn when sent: the first time it is sent, after
        that it is edited (the owner's answers, the call-back's outcome)."""
        card = f"followup:{survey.id}"
        messages = [
            Outgoing(person, "", card=card, priority=Priority.ALERT)
            for person in self.desk.supervisors_of(ticket.department, ticket.estate)
        ]
        await self.services.store.enqueue(messages, self.services.clock())
        self.services.bell.ring()

    async def _followup_late(self, ticket: Ticket, survey: Survey) -> None:
        """The call-back deadline passed: the manager and supervisors hear of it, once."""
        events = await self.services.store.ticket_events(ticket.id)
        if any(e.kind == "followup_late" and e.data.get("survey") == survey.id for e in events):
            return
        people = set(self.desk.supervisors_of(ticket.department, ticket.estate))
        manager = self.services.settings.escalation.manager
        if manager is not None:
            people.add(manager)
        messages = []
        for person in sorted(people):
            lang = await self.desk.lang_of(person)
            messages.append(
                Outgoing(
                    person,
                    self.desk.text(lang).t("survey.followup_late", number=ticket.number),
                    ticket_id=ticket.id,
                )
            )
        await self.desk.record(ticket, "followup_late", {"survey": survey.id}, messages)
