"""The return visit (回访) in Telegram: the owner's star buttons, the details flow, the
supervisor's follow-up buttons. When to ask and what an answer causes is ``bot.desk.surveys``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Bot, Message

from bot.core.actions import actor_for
from bot.core.runner import FlowState
from bot.core.surveys import stars
from bot.desk.surveys import SurveyJobs
from bot.desk.tickets import TicketDesk
from bot.tg import callbacks as cb
from bot.tg.intake import Conversations
from bot.tg.render import replace_message, send
from bot.tg.services import Services, Visitor
from bot.tg.staff import refusal_text

log = logging.getLogger(__name__)

SURVEY_FLOW = "survey"


class SurveyDesk:
    """Takes ratings and answers, and the supervisor's follow-up presses."""

    def __init__(
        self,
        services: Services,
        desk: TicketDesk,
        conversations: Conversations,
        jobs: SurveyJobs,
    ) -> None:
        self.services = services
        self.desk = desk
        self.conversations = conversations
        self.jobs = jobs

    async def on_rating(
        self, bot: Bot, visitor: Visitor, data: cb.SurveyPress, message: Message | None
    ) -> str | None:
        """A star pressed: record it once, act on it, then ask the details in a short flow."""
        t = self.services.catalog
        rated = await self.jobs.record_rating(data.survey_id, visitor.id, data.rating)
        if isinstance(rated, str):
            return t.text(visitor.lang, rated)
        survey, ticket = rated
        await replace_message(
            message,
            t.text(visitor.lang, "survey.rated", number=ticket.number, stars=stars(data.rating)),
        )
        if await self.jobs.act_on_rating(ticket, survey, data.rating):
            await self._someone_will_call(bot, visitor)
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

    async def finish(
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
        ticket = await self.jobs.details(survey, problems, comment, praise)
        if ticket is not None:
            rating = survey.rating or int(answers.get("rating") or 5)
            if self.jobs.needs_followup(rating, problems):
                fresh = await store.get_survey(survey.id)
                if fresh is not None and fresh.followup_status is None:
                    if await self.jobs.open_followup(ticket, fresh):
                        await self._someone_will_call(bot, visitor)
                elif fresh is not None:
                    await self.jobs.tell_supervisors(ticket, fresh, "survey.followup_details")
        self.services.bell.ring()
        return t.text(visitor.lang, "survey.thanks")

    async def _someone_will_call(self, bot: Bot, visitor: Visitor) -> None:
        """The owner is told a supervisor will call them back."""
        within = self.services.settings.surveys.followup_within
        await send(
            bot,
            visitor.chat_id,
            self.services.catalog.text(
                visitor.lang,
                "survey.someone_will_call",
                within=self.desk.text(visitor.lang).span(within),
            ),
        )

    async def on_followup(
        self, bot: Bot, visitor: Visitor, data: cb.FollowupPress, message: Message | None
    ) -> str | None:
        """Call back done (the ticket closes), or reopen it for the same staff member."""
        t = self.services.catalog
        actor = actor_for(self.services.settings, visitor.id)
        reason = t.text(visitor.lang, "survey.reopen_reason")
        outcome = await self.jobs.followup_pressed(data.survey_id, actor, data.action, reason)
        if outcome.refusal is not None:
            return refusal_text(self.services, visitor.lang, outcome.refusal)
        if outcome.ticket is None:
            return t.text(visitor.lang, outcome.key)
        done = t.text(visitor.lang, outcome.key, number=outcome.ticket.number)
        if message is not None:
            await replace_message(message, (message.text or "") + "\n\n" + done)
        return done
