"""The return visit (回访): ask the owner how it went, at a decent hour, and act on the answer.

Every step of a survey is a state in the ``surveys`` table, moved on with a compare-and-set, and
every due moment (send, remind, expire, follow-up deadline) is a job derived from that table:
restarts and repeated jobs neither lose nor double a survey.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from telegram import Bot, Message

from bot.core.actions import SYSTEM, Close, Reopen, actor_for
from bot.core.lifecycle import Refusal
from bot.core.models import Outgoing, Status, Survey, Ticket
from bot.core.runner import FlowState
from bot.core.scope import out_of_scope
from bot.core.surveys import RATINGS, expiry, needs_followup, reminder_due, stars
from bot.tg import callbacks as cb
from bot.tg.intake import Conversations
from bot.tg.render import replace_message, send
from bot.tg.services import Services, Visitor
from bot.tg.staff import refusal_text
from bot.tg.ticket_desk import TicketDesk
from bot.timer import Timer

log = logging.getLogger(__name__)

SURVEY_FLOW = "survey"


class SurveyDesk:
    """Sends surveys, takes ratings and answers, and runs the supervisor's follow-up."""

    def __init__(
        self,
        services: Services,
        desk: TicketDesk,
        conversations: Conversations,
        timer: Timer | None,
    ) -> None:
        self.services = services
        self.desk = desk
        self.conversations = conversations
        self.timer = timer
        conversations.finishers[SURVEY_FLOW] = self._finish

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
                await self._close(ticket, "no_answer")
        elif kind == "followup_due" and survey.followup_status == "open":
            await self._followup_late(ticket, survey)
        self.services.wake_outbox()
        fresh = await store.get_survey(survey_id)
        if fresh is not None:
            self.schedule(fresh)

    # ----- asking ------------------------------------------------------------------------

    async def _question(self, ticket: Ticket, survey: Survey, key: str) -> Outgoing:
        """The rating question, five star buttons, in the owner's language."""
        lang = await self.desk.lang_of(ticket.owner_id)
        text = self.desk.text(lang)
        staff = self.services.settings.staff_member(survey.staff_id or 0)
        body = text.t(
            key,
            number=ticket.number,
            category=text.category(ticket),
            staff=staff.name if staff else "",
        )
        rows = tuple(
            (
                (
                    f"{stars(r)} {text.t(f'survey.rating.{r}')}",
                    cb.encode(cb.SurveyPress(survey.id, r)),
                ),
            )
            for r in RATINGS
        )
        return Outgoing(ticket.owner_id, body, rows, ticket_id=ticket.id)

    async def on_rating(
        self, bot: Bot, visitor: Visitor, data: cb.SurveyPress, message: Message | None
    ) -> str | None:
        """A star pressed: record it once, act on it, then ask the details in a short flow."""
        store = self.services.store
        survey = await store.get_survey(data.survey_id)
        ticket = await store.get_ticket(survey.ticket_id) if survey else None
        t = self.services.catalog
        if survey is None or ticket is None or ticket.owner_id != visitor.id:
            return t.text(visitor.lang, "ticket.not_found")
        if not await store.survey_rate(survey.id, data.rating, self.services.clock()):
            key = "survey.already_answered" if survey.status == "answered" else "survey.stale"
            return t.text(visitor.lang, key)
        log.info("ticket %s: rated %d", ticket.number, data.rating)
        await replace_message(
            message,
            t.text(visitor.lang, "survey.rated", number=ticket.number, stars=stars(data.rating)),
        )
        followup = needs_followup(self.services.settings, data.rating, ())
        if followup:
            await self._open_followup(bot, visitor, ticket, survey)
        else:
            await self._close(ticket, "survey")
        if await self.conversations.current(visitor.chat_id) is None:
            prefill = {
                "rating": str(data.rating),
                "survey": survey.id,
                "ticket": ticket.id,
                "number": ticket.number,
            }
            await self.conversations.begin(bot, visitor, SURVEY_FLOW, prefill)
        else:
            # They are in the middle of something else: the rating is enough, thank them.
            await send(bot, visitor.chat_id, t.text(visitor.lang, "survey.thanks"))
        return None

    async def _finish(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        """The details after the rating: problems and a comment, or praise for the staff."""
        store = self.services.store
        survey = await store.get_survey(int(answers["survey"]))
        t = self.services.catalog
        if survey is None:
            return t.text(visitor.lang, "survey.stale")
        if not await store.delete_conversation(visitor.chat_id, state.token):
            return t.text(visitor.lang, "flow.already_submitted")
        problems = [str(p) for p in answers.get("problems") or []]
        comment = str(answers.get("comment") or "") or None
        praise = str(answers.get("praise") or "") or None
        await store.survey_details(survey.id, problems, comment, praise)
        ticket = await store.get_ticket(survey.ticket_id)
        if ticket is not None:
            if praise and survey.staff_id is not None:
                lang = await self.desk.lang_of(survey.staff_id)
                await store.enqueue(
                    [
                        Outgoing(
                            survey.staff_id,
                            self.desk.text(lang).t(
                                "survey.praise_for_staff", number=ticket.number, text=praise
                            ),
                            ticket_id=ticket.id,
                        )
                    ],
                    self.services.clock(),
                )
            rating = survey.rating or int(answers.get("rating") or 5)
            if needs_followup(self.services.settings, rating, problems):
                fresh = await store.get_survey(survey.id)
                if fresh is not None and fresh.followup_status is None:
                    await self._open_followup(bot, visitor, ticket, fresh)
                elif fresh is not None:
                    await self._tell_supervisors(ticket, fresh, "survey.followup_details")
        self.services.wake_outbox()
        return t.text(visitor.lang, "survey.thanks")

    # ----- acting on it ------------------------------------------------------------------

    async def _close(self, ticket: Ticket, reason: str) -> None:
        if ticket.status is Status.RESOLVED:
            result = await self.desk.act(ticket.id, Close(reason), SYSTEM)
            if isinstance(result, Refusal):
                log.info("ticket %s: not closed (%s)", ticket.number, result.code)

    async def _open_followup(
        self, bot: Bot, visitor: Visitor, ticket: Ticket, survey: Survey
    ) -> None:
        """The supervisor must call the owner back; the owner is told someone will."""
        settings = self.services.settings
        due = self.services.clock() + settings.surveys.followup_within
        if not await self.services.store.followup_open(survey.id, due):
            return
        fresh = await self.services.store.get_survey(survey.id)
        assert fresh is not None
        await self._tell_supervisors(ticket, fresh, "survey.followup")
        await send(
            bot,
            visitor.chat_id,
            self.services.catalog.text(
                visitor.lang,
                "survey.someone_will_call",
                within=self.desk.text(visitor.lang).span(settings.surveys.followup_within),
            ),
        )
        self.schedule(fresh)

    async def _tell_supervisors(self, ticket: Ticket, survey: Survey, key: str) -> None:
        messages = []
        owner = await self.services.store.get_person(ticket.owner_id)
        for person in self.desk.supervisors_of(ticket.department, ticket.estate):
            lang = await self.desk.lang_of(person)
            text = self.desk.text(lang)
            labels = {p: text.t(f"survey.ask_problems.{p}") for p in survey.problems}
            body = text.t(
                key,
                number=ticket.number,
                stars=stars(survey.rating or 0),
                owner=owner.display_name if owner else "",
                category=text.category(ticket),
                problems=", ".join(labels.values()) or "—",
                comment=survey.comment or "—",
                by=text.when(survey.followup_due) if survey.followup_due else "",
            )
            buttons = [
                (text.t("survey.btn_called"), cb.encode(cb.FollowupPress(survey.id, "done")))
            ]
            if ticket.status is Status.RESOLVED:
                buttons.append(
                    (text.t("survey.btn_reopen"), cb.encode(cb.FollowupPress(survey.id, "reopen")))
                )
            messages.append(Outgoing(person, body, (tuple(buttons),), ticket_id=ticket.id))
        await self.services.store.enqueue(messages, self.services.clock())
        self.services.wake_outbox()

    async def on_followup(
        self, bot: Bot, visitor: Visitor, data: cb.FollowupPress, message: Message | None
    ) -> str | None:
        """Call back done (the ticket closes), or reopen it for the same staff member."""
        store = self.services.store
        t = self.services.catalog
        survey = await store.get_survey(data.survey_id)
        ticket = await store.get_ticket(survey.ticket_id) if survey else None
        actor = actor_for(self.services.settings, visitor.id)
        if survey is None or ticket is None:
            return t.text(visitor.lang, "ticket.not_found")
        if actor.role not in ("supervisor", "admin"):
            return t.text(visitor.lang, "refusal.not_supervisor")
        outside = out_of_scope(actor, ticket.department, ticket.estate)
        if outside is not None:
            return t.text(visitor.lang, f"refusal.{outside}")
        if survey.followup_status != "open":
            return t.text(visitor.lang, "survey.followup_closed")
        if data.action == "reopen":
            result = await self.desk.act(
                ticket.id, Reopen(t.text(visitor.lang, "survey.reopen_reason")), actor
            )
            if isinstance(result, Refusal):
                return refusal_text(self.services, visitor.lang, result)
            if result is None:
                return t.text(visitor.lang, "ticket.not_found")
            await store.followup_close(survey.id, "reopened")
        else:
            if not await store.followup_close(survey.id, "done"):
                return t.text(visitor.lang, "survey.followup_closed")
            await self._close(ticket, "followup")
        key = "survey.followup_reopened" if data.action == "reopen" else "survey.followup_done"
        done = t.text(visitor.lang, key, number=ticket.number)
        if message is not None:
            await replace_message(message, (message.text or "") + "\n\n" + done)
        return done

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
