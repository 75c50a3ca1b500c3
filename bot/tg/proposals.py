"""The bot's incident proposal in Telegram: one card per supervisor, drawn from the proposal
as it is when sent and edited in place as reports come in or someone decides; its buttons
[Declare incident] [Not related] are checked on arrival like every press."""

from __future__ import annotations

import logging

from telegram import Bot, Message
from telegram.error import BadRequest

from bot.core.actions import actor_for
from bot.core.fitting import TEXT_LIMIT, clip
from bot.core.models import OutboxItem
from bot.desk.incidents import Refused
from bot.desk.proposals import IncidentProposals, proposal_of_card
from bot.tg import callbacks as cb
from bot.tg.render import keyboard, send
from bot.tg.services import Services, Visitor

log = logging.getLogger(__name__)


class ProposalChannel:
    """Draws, sends and edits proposal cards, and answers their buttons."""

    def __init__(self, services: Services, proposals: IncidentProposals) -> None:
        self.services = services
        self.proposals = proposals

    def owns(self, card: str | None) -> bool:
        """Whether an outbox card is a proposal's."""
        return proposal_of_card(card) is not None

    async def _lang(self, chat: int) -> str:
        return await self.proposals.incidents.tickets.lang_of(chat)

    async def deliver(self, bot: Bot, item: OutboxItem) -> Message | None:
        """Send the proposal's card to this chat, or edit the one it has; None if gone."""
        store = self.services.store
        card = item.message.card
        proposal_id = proposal_of_card(card)
        proposal = await store.get_proposal(proposal_id) if proposal_id is not None else None
        if card is None or proposal is None:
            return None
        chat = item.message.chat_id
        lang = await self._lang(chat)
        body = clip(await self.proposals.text(proposal, lang), TEXT_LIMIT)
        rows: list[list[tuple[str, str]]] = []
        if proposal.is_open:
            t = self.services.catalog.text
            rows = [
                [
                    (
                        t(lang, "proposal.btn_declare"),
                        cb.encode(cb.ProposalPress(proposal.id, "d")),
                    ),
                    (
                        t(lang, "proposal.btn_dismiss"),
                        cb.encode(cb.ProposalPress(proposal.id, "x")),
                    ),
                ]
            ]
        markup = keyboard(rows)
        existing = await store.sent_card(chat, card)
        if existing is not None:
            try:
                edited = await bot.edit_message_text(body, chat, existing, reply_markup=markup)
                return edited if isinstance(edited, Message) else None
            except BadRequest as exc:
                if "not modified" in str(exc):
                    return None
                if "not found" not in str(exc) and "can't be edited" not in str(exc):
                    raise
                log.info("proposal card %s in chat %s is gone; sending anew", card, chat)
        return await bot.send_message(chat, body, reply_markup=markup)

    async def on_press(
        self, bot: Bot, visitor: Visitor, data: cb.ProposalPress, message: Message | None
    ) -> str | None:
        """[Declare incident] or [Not related]; a toast says why when it cannot be done."""
        actor = actor_for(self.services.settings, visitor.id)
        t = self.services.catalog.text
        if data.action == "d":
            result = await self.proposals.declare(actor, data.proposal_id)
            if isinstance(result, Refused):
                return t(visitor.lang, self._refusal(result))
            incident = result.incident
            key = "proposal.joined" if result.existing else "proposal.declared_reply"
            text = t(
                visitor.lang,
                key,
                id=incident.id,
                headline=self.proposals.incidents.headline(incident, visitor.lang),
                linked=result.linked,
            )
            rows = [
                [
                    (
                        t(visitor.lang, "incident.btn_update"),
                        cb.encode(cb.IncidentPress(incident.id, "upd")),
                    ),
                    (
                        t(visitor.lang, "incident.btn_all_clear"),
                        cb.encode(cb.IncidentPress(incident.id, "clr")),
                    ),
                ]
            ]
            await send(bot, visitor.chat_id, text, rows)
            return None
        dismissed = await self.proposals.dismiss(actor, data.proposal_id)
        if isinstance(dismissed, Refused):
            return t(visitor.lang, self._refusal(dismissed))
        return t(visitor.lang, "proposal.dismissed_toast")

    def _refusal(self, refused: Refused) -> str:
        if refused.code in ("gone", "not_allowed", "decided"):
            return f"proposal.refused.{refused.code}"
        return f"incident.refused.{refused.code}"
