"""Known incidents in Telegram for staff: /incident (declare, update, all-clear, link tickets)
and the flows' finishers; the owners' side is ``bot.tg.incident_gate``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import ContextTypes

from bot.core.actions import Actor, actor_for
from bot.core.guards import STAFF_ROLES
from bot.core.incidents import (
    Incident,
    eta_of,
    parse_eta,
    parse_translations,
    pick_scope,
)
from bot.core.runner import FlowState
from bot.core.sources import WHOLE_ESTATE
from bot.desk.incidents import IncidentDesk, Refused
from bot.tg import callbacks as cb
from bot.tg.incident_gate import IncidentGate
from bot.tg.intake import SENT, Conversations, Finisher
from bot.tg.render import replace_message, send
from bot.tg.services import Services, Visitor, visitor_of

log = logging.getLogger(__name__)

DECLARE, UPDATE, CLOSE = "incident", "incident_update", "incident_close"
_SHOWN = 10  # open incidents listed by /incident (the oldest first)
_LINKABLE = 20  # tickets offered for linking at once


class IncidentChannel:
    """The Telegram side of ``IncidentDesk``."""

    def __init__(
        self, services: Services, desk: IncidentDesk, conversations: Conversations
    ) -> None:
        self.services = services
        self.desk = desk
        self.conversations = conversations
        # The owners' side: the gate before a report and its buttons.
        self.owners = IncidentGate(services, desk, conversations)

    def finishers(self) -> dict[str, Finisher]:
        """The incident flows' finishers, by flow id."""
        return {DECLARE: self._declare, UPDATE: self._update, CLOSE: self._close}

    def t(self, visitor: Visitor, key: str, **params: object) -> str:
        """A text in the visitor's language."""
        return self.services.catalog.text(visitor.lang, key, **params)

    def _actor(self, visitor: Visitor) -> Actor:
        return actor_for(self.services.settings, visitor.id)

    # ----- staff -----------------------------------------------------------------------------

    async def on_incident(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/incident: the open incidents in one's patch with their buttons, and "declare"."""
        visitor = await visitor_of(update, self.services)
        if visitor is None:
            return
        await self.show_menu(context.bot, visitor)

    async def show_menu(self, bot: Bot, visitor: Visitor) -> None:
        """Each open incident with [Update] [All clear] [Link tickets], then [Declare]."""
        actor = self._actor(visitor)
        if actor.role not in STAFF_ROLES:
            await send(bot, visitor.chat_id, self.t(visitor, "incident.staff_only"))
            return
        visible = await self.desk.visible(actor)
        for incident in visible[:_SHOWN]:
            await send(
                bot,
                visitor.chat_id,
                self._staff_text(visitor, incident),
                self._rows(visitor, incident),
            )
        key = "incident.declare_more" if visible else "incident.none_open"
        new = [[(self.t(visitor, "incident.btn_declare"), cb.encode(cb.IncidentPress(0, "new")))]]
        await send(bot, visitor.chat_id, self.t(visitor, key), new)

    def _may_declare_somewhere(self, actor: Actor) -> bool:
        settings = self.services.settings
        return any(
            self.desk.may_manage(actor, c.department, e.id)
            for e in settings.estates
            for c in settings.categories
        )

    def _staff_text(self, visitor: Visitor, incident: Incident) -> str:
        note = f"\n📝 {incident.note}" if incident.note else ""
        return self.t(
            visitor,
            "incident.staff_item",
            id=incident.id,
            headline=self.desk.headline(incident, visitor.lang),
            note=note,
        )

    def _rows(self, visitor: Visitor, incident: Incident) -> list[list[tuple[str, str]]]:
        def button(key: str, action: str) -> tuple[str, str]:
            return self.t(visitor, key), cb.encode(cb.IncidentPress(incident.id, action))

        return [
            [button("incident.btn_update", "upd"), button("incident.btn_all_clear", "clr")],
            [button("incident.btn_link", "lnk")],
        ]

    async def on_press(
        self, bot: Bot, visitor: Visitor, data: cb.IncidentPress, message: Message | None
    ) -> str | None:
        """An incident button: owners subscribe; staff declare, update, close and link."""
        if data.action in ("sub", "subr") or data.action.startswith(("o", "r")):
            return await self.owners.on_press(bot, visitor, data, message)
        actor = self._actor(visitor)
        if actor.role not in STAFF_ROLES:
            return self.t(visitor, "incident.staff_only")
        if data.action == "new":
            if not self._may_declare_somewhere(actor):
                # Nothing to pick (no estate or category in their patch): say so at once.
                await send(bot, visitor.id, self.t(visitor, "incident.refused.not_allowed"))
                return None
            await self._begin(bot, visitor, DECLARE, {"actor": visitor.id})
            return None
        incident = await self.services.store.get_incident(data.incident_id)
        if incident is None or not self.desk.may_manage(
            actor, incident.department, incident.estate
        ):
            return self.t(visitor, "incident.refused.not_allowed")
        if not incident.is_open:
            await replace_message(message, self._staff_text(visitor, incident))
            return self.t(visitor, "incident.refused.closed")
        prefill = {"incident": incident.id, "version": incident.version, "number": incident.id}
        if data.action == "upd":
            await self._begin(bot, visitor, UPDATE, prefill)
        elif data.action == "clr":
            await self._begin(bot, visitor, CLOSE, prefill)
        elif data.action == "lnk":
            await self._show_linkable(bot, visitor, actor, incident, None)
        else:
            return await self._link(bot, visitor, actor, incident, int(data.action[1:]), message)
        return None

    async def _begin(
        self, bot: Bot, visitor: Visitor, flow: str, prefill: Mapping[str, Any]
    ) -> None:
        private = Visitor(person=visitor.person, lang=visitor.lang, chat_id=visitor.id)
        await self.conversations.begin(bot, private, flow, prefill)

    async def _show_linkable(
        self,
        bot: Bot,
        visitor: Visitor,
        actor: Actor,
        incident: Incident,
        message: Message | None,
    ) -> None:
        """Open tickets that match the incident, one tap each (edited in place after a tap)."""
        found = await self.desk.candidates(actor, incident.id)
        rows = [
            [
                (
                    f"🔗 {t.number} · {self._where(t.building, t.unit, t.area, visitor.lang)}",
                    cb.encode(cb.IncidentPress(incident.id, f"t{t.id}")),
                )
            ]
            for t in found[:_LINKABLE]
        ]
        linked = len(await self.services.store.linked_tickets(incident.id))
        key = "incident.linkable" if found else "incident.nothing_to_link"
        text = self.t(visitor, key, id=incident.id, count=len(found), linked=linked)
        if message is not None:
            await replace_message(message, text, rows)
        else:
            await send(bot, visitor.chat_id, text, rows)

    def _where(self, building: str | None, unit: str | None, area: str | None, lang: str) -> str:
        settings = self.services.settings
        if area:
            found = settings.area(area)
            return settings.text(found[1].name, lang) if found else area
        return " ".join(p for p in (building, unit) if p)

    async def _link(
        self,
        bot: Bot,
        visitor: Visitor,
        actor: Actor,
        incident: Incident,
        ticket_id: int,
        message: Message | None,
    ) -> str | None:
        result = await self.desk.link(actor, incident.id, ticket_id)
        if isinstance(result, Refused):
            await self._show_linkable(bot, visitor, actor, incident, message)
            return self.t(visitor, f"incident.refused.{result.code}")
        await self._show_linkable(bot, visitor, actor, incident, message)
        return self.t(visitor, "incident.linked_toast", number=result.number)

    # ----- the flows' ends -------------------------------------------------------------------

    async def _declare(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        settings = self.services.settings
        now = self.services.clock()
        picked = [str(p) for p in answers.get("buildings") or []]
        scope = pick_scope(
            WHOLE_ESTATE in picked,
            [p for p in picked if p != WHOLE_ESTATE],
            answers.get("common") == "yes",
        )
        if scope is None:
            return await self._back(
                bot, visitor, state, "buildings", "incident.refused.empty_scope"
            )
        texts = await self._texts(bot, visitor, state, answers)
        if texts is None:
            return SENT
        eta = await self._eta(bot, visitor, state, answers)
        if eta is False:
            return SENT
        category = settings.category(str(answers.get("category")))
        draft = Incident(
            estate=str(answers.get("estate")),
            buildings=scope[0],
            common_areas=scope[1],
            category=category.id if category else "",
            subcategory=None,
            department=category.department if category else "",
            texts=texts,
            started_at=now,
            eta=eta,
            declared_by=visitor.id,
        )
        result = await self.desk.declare(self._actor(visitor), draft)
        if isinstance(result, Refused) and result.code == "eta_past":
            return await self._back(bot, visitor, state, "eta", "incident.refused.eta_past")
        await self.services.store.delete_conversation(visitor.chat_id, state.token)
        if isinstance(result, Refused):
            if result.code == "duplicate" and result.incident is not None:
                first = result.incident
                text = self.t(visitor, "incident.refused.duplicate") + "\n\n"
                await send(
                    bot,
                    visitor.chat_id,
                    text + self._staff_text(visitor, first),
                    self._rows(visitor, first),
                )
                return SENT
            return self.t(visitor, f"incident.refused.{result.code}")
        text = self.t(visitor, "incident.declared") + "\n\n" + self._staff_text(visitor, result)
        await send(bot, visitor.chat_id, text, self._rows(visitor, result))
        return SENT

    async def _update(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        eta = await self._eta(bot, visitor, state, answers)
        if eta is False:
            return SENT
        result = await self.desk.update(
            self._actor(visitor),
            int(answers["incident"]),
            int(answers["version"]),
            eta=eta,
            note=str(answers.get("note") or "") or None,
        )
        if isinstance(result, Refused) and result.code == "eta_past":
            return await self._back(bot, visitor, state, "eta", "incident.refused.eta_past")
        await self.services.store.delete_conversation(visitor.chat_id, state.token)
        if isinstance(result, Refused):
            return self.t(visitor, f"incident.refused.{result.code}")
        text = self.t(visitor, "incident.updated") + "\n\n" + self._staff_text(visitor, result)
        await send(bot, visitor.chat_id, text, self._rows(visitor, result))
        return SENT

    async def _close(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        texts = await self._texts(bot, visitor, state, answers)
        if texts is None:
            return SENT
        result = await self.desk.close(
            self._actor(visitor), int(answers["incident"]), int(answers["version"]), texts
        )
        await self.services.store.delete_conversation(visitor.chat_id, state.token)
        if isinstance(result, Refused):
            return self.t(visitor, f"incident.refused.{result.code}")
        linked = len(await self.services.store.linked_tickets(result.id))
        people = len(await self.services.store.subscribers(result.id))
        return self.t(visitor, "incident.closed", id=result.id, tickets=linked, people=people)

    async def _texts(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> dict[str, str] | None:
        """The text in the default language and any translations ("en: …" lines); None when
        the person was sent back to fix the translations."""
        settings = self.services.settings
        extra = str(answers.get("translations") or "").strip()
        more: dict[str, str] = {}
        if extra:
            parsed = parse_translations(extra, settings.languages)
            if parsed is None:
                await self._back(bot, visitor, state, "translations", "incident.bad_translations")
                return None
            more = parsed
        return {**more, settings.default_language: str(answers["text"])}

    async def _eta(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> Any:
        """The ETA chosen or typed (None: not known / kept); False when the person was sent
        back to type it again."""
        settings = self.services.settings
        now = self.services.clock()
        option = str(answers.get("eta"))
        if option != "typed":
            return eta_of(option, now, settings.tz)
        typed = parse_eta(str(answers.get("eta_time") or ""), now, settings.tz)
        if typed is None:
            await self._back(bot, visitor, state, "eta_time", "incident.bad_time")
            return False
        return typed

    async def _back(self, bot: Bot, visitor: Visitor, state: FlowState, step: str, key: str) -> str:
        """Send the person back to a step with the reason; the answers so far are kept."""
        await send(bot, visitor.chat_id, self.t(visitor, key))
        await self.conversations.back_to(bot, visitor, replace(state, anchor=None), step)
        return SENT
