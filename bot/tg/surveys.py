"""The return visit (回访) in Telegram: the owner's star buttons, the details flow, the
supervisor's follow-up buttons. When to ask and what an answer causes is ``bot.desk.surveys``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Bot, Message

from bot.core.actions import Actor, actor_for
from bot.core.fitting import CAPTION_LIMIT, TEXT_LIMIT, clip
from bot.core.models import Survey, Ticket
from bot.core.runner import FlowState
from bot.core.staff_names import shown_name
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
OUTCOME_FLOW = "followup_outcome"


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
        rated = await self.jobs.record_rating(data.survey_id, visitor.id, data.rating)
        if isinstance(rated, str):
            return self.services.catalog.text(visitor.lang, rated)
        survey, ticket = rated
        await self._rated(bot, visitor, survey, ticket, data.rating, message)
        return None

    async def on_result_rating(
        self, bot: Bot, visitor: Visitor, data: cb.OwnerPress, message: Message | None
    ) -> str | None:
        """A rating pressed on the "resolved" message: fixed, and the survey's first answer."""
        rating = int(data.action.removeprefix("rate"))
        owner = Actor(telegram_id=visitor.id, role="owner")
        rated = await self.jobs.rate_from_result(data.ticket_id, owner, rating)
        if isinstance(rated, str):
            return self.services.catalog.text(visitor.lang, rated)
        survey, ticket = rated
        await self._rated(bot, visitor, survey, ticket, rating, message, keep=True)
        return None

    async def _rated(
        self,
        bot: Bot,
        visitor: Visitor,
        survey: Survey,
        ticket: Ticket,
        rating: int,
        message: Message | None,
        *,
        keep: bool = False,
    ) -> None:
        """After a rating: say so (sorry, not "thank you", when it is low), open the
        follow-up if it calls for one, then ask the details."""
        t = self.services.catalog
        low = self.jobs.needs_followup(rating, ())
        said = t.text(
            visitor.lang,
            "survey.rated_low" if low else "survey.rated",
            number=ticket.number,
            stars=stars(rating),
        )
        if keep and message is not None:
            # The result note stays readable above the answer; the buttons go.
            limit = TEXT_LIMIT if message.text is not None else CAPTION_LIMIT
            shown = clip(message.text or message.caption or "", limit - len(said) - 2)
            said = shown + "\n\n" + said
        await replace_message(message, said)
        if await self.jobs.act_on_rating(ticket, survey, rating):
            fresh = await self.services.store.get_survey(survey.id)
            await self._someone_will_call(bot, visitor, ticket, fresh or survey)
        if await self.conversations.current(visitor.chat_id) is None:
            prefill = {
                "rating": str(rating),
                "survey": survey.id,
                "ticket": ticket.id,
                "number": ticket.number,
            }
            await self.conversations.begin(bot, visitor, SURVEY_FLOW, prefill)
        else:
            # They are in the middle of something else: the rating is enough, thank them.
            key = "survey.thanks_low" if low else "survey.thanks"
            await send(
                bot,
                visitor.chat_id,
                t.text(visitor.lang, key, supervisor=self._who(ticket, visitor.lang)),
            )

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
        followup = False
        if ticket is not None:
            rating = survey.rating or int(answers.get("rating") or 5)
            if self.jobs.needs_followup(rating, problems):
                followup = True
                fresh = await store.get_survey(survey.id)
                if fresh is not None and fresh.followup_status is None:
                    if await self.jobs.open_followup(ticket, fresh):
                        opened = await store.get_survey(survey.id)
                        await self._someone_will_call(bot, visitor, ticket, opened or fresh)
                elif fresh is not None:
                    await self.jobs.tell_supervisors(ticket, fresh)  # the card, redrawn
        self.services.bell.ring()
        if followup and ticket is not None:
            # The owner's words went to the supervisor's card: tell them so, by name.
            return t.text(
                visitor.lang, "survey.thanks_low", supervisor=self._who(ticket, visitor.lang)
            )
        return t.text(visitor.lang, "survey.thanks")

    def _who(self, ticket: Ticket, lang: str) -> str:
        """The supervisor who calls back, as owners know them."""
        person = self.jobs.supervisor_for(ticket)
        name = shown_name(self.services.settings, person, lang) if person is not None else ""
        return name or self.services.catalog.text(lang, "survey.a_supervisor")

    async def _someone_will_call(
        self, bot: Bot, visitor: Visitor, ticket: Ticket, survey: Survey
    ) -> None:
        """The owner is told who will call them back, and by when."""
        text = self.desk.text(visitor.lang)
        due = survey.followup_due or (
            self.services.clock() + self.services.settings.surveys.followup_within
        )
        await send(
            bot,
            visitor.chat_id,
            text.t(
                "survey.someone_will_call",
                supervisor=self._who(ticket, visitor.lang),
                when=text.due(due),
            ),
        )

    async def on_followup(
        self, bot: Bot, visitor: Visitor, data: cb.FollowupPress, message: Message | None
    ) -> str | None:
        """Called back (asks the outcome first), or reopen it for the same staff member."""
        t = self.services.catalog
        actor = actor_for(self.services.settings, visitor.id)
        reason = t.text(visitor.lang, "survey.reopen_reason")
        outcome = await self.jobs.followup_pressed(data.survey_id, actor, data.action, reason)
        if outcome.refusal is not None:
            return refusal_text(self.services, visitor.lang, outcome.refusal)
        if outcome.ticket is None:
            return t.text(visitor.lang, outcome.key)
        if outcome.key == "survey.ask_outcome":
            prefill = {"survey": data.survey_id, "number": outcome.ticket.number}
            await self.conversations.begin(bot, visitor, OUTCOME_FLOW, prefill)
            return None
        # The card itself is redrawn (it says reopened, its buttons go).
        return t.text(visitor.lang, outcome.key, number=outcome.ticket.number)

    async def finish_outcome(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        """The call-back's outcome, typed: on the timeline, the ticket closed, cards redrawn."""
        t = self.services.catalog
        if not await self.services.store.delete_conversation(visitor.chat_id, state.token):
            return t.text(visitor.lang, "flow.already_submitted")
        actor = actor_for(self.services.settings, visitor.id)
        outcome = await self.jobs.followup_done(
            int(answers["survey"]), actor, str(answers["outcome"])
        )
        number = outcome.ticket.number if outcome.ticket else ""
        return t.text(visitor.lang, outcome.key, number=number)

    async def followup_reply(
        self, visitor: Visitor, survey_id: int, words: str, photo: str | None
    ) -> str:
        """A supervisor replied to a follow-up card: the owner reads it, even after closing."""
        actor = actor_for(self.services.settings, visitor.id)
        outcome = await self.jobs.followup_reply(survey_id, actor, words, photo)
        number = outcome.ticket.number if outcome.ticket else ""
        return self.services.catalog.text(visitor.lang, outcome.key, number=number)
