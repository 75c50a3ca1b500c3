"""Known incidents for owners in Telegram: before a report (remembered homes, a QR code's area)
and once a report's place is chosen, the open incidents there, with "tell me when it is over"
(no ticket) and "report another problem"."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Bot, Message

from bot.core.incidents import Incident, Place
from bot.core.runner import FlowState
from bot.core.sources import area_prefill
from bot.desk.incidents import IncidentDesk
from bot.tg import callbacks as cb
from bot.tg.cardview import drop_buttons
from bot.tg.intake import INTAKE, Conversations
from bot.tg.render import replace_message, send
from bot.tg.services import Services, Visitor

log = logging.getLogger(__name__)

_GATE = 3  # incidents an owner reads before a report
# The report's answer listing the incidents its owner was shown before it (not shown again).
SEEN = "_incidents_seen"


class IncidentGate:
    """What owners see of known incidents, and their buttons."""

    def __init__(
        self, services: Services, desk: IncidentDesk, conversations: Conversations
    ) -> None:
        self.services = services
        self.desk = desk
        self.conversations = conversations

    def t(self, visitor: Visitor, key: str, **params: object) -> str:
        """A text in the visitor's language."""
        return self.services.catalog.text(visitor.lang, key, **params)

    async def on_press(
        self, bot: Bot, visitor: Visitor, data: cb.IncidentPress, message: Message | None
    ) -> str | None:
        """An owner's incident button: subscribe, or report another problem."""
        if data.action in ("sub", "subr"):
            return await self._subscribe(bot, visitor, data, message)
        if data.action.startswith("r"):
            # The all-clear's stars: one rating per subscriber; the message keeps its words.
            if not await self.desk.rate(visitor.id, data.incident_id, int(data.action[1:])):
                return self.t(visitor, "incident.rated_already")
            await replace_message(message, message.text if message and message.text else "…")
            return self.t(visitor, "incident.rated")
        await self._other_problem(bot, visitor, data.action[1:], message)
        return None

    async def gate(self, bot: Bot, visitor: Visitor, area: str) -> bool:
        """Before a report: the open incidents where the owner lives (or at the QR code's
        area), with [🔔 tell me] and [report another problem]; False when there are none."""
        incidents = await self._before_report(visitor, area)
        if not incidents:
            return False
        await self._show_gate(bot, visitor, incidents, area, mid=False)
        return True

    async def _before_report(self, visitor: Visitor, area: str) -> list[Incident]:
        """The open incidents at the QR code's area, or at any of the owner's homes."""
        settings = self.services.settings
        places: list[Place] = []
        if area:
            found = settings.area(area)
            if found is not None:
                places.append(Place(found[0].id, area=area, area_building=found[1].building))
        else:
            homes = await self.services.store.owner_homes(visitor.id)
            places.extend(Place(estate, building) for estate, building, _ in homes)
        shown: dict[int, Incident] = {}
        for place in places:
            for incident in await self.desk.for_place(place):
                shown.setdefault(incident.id, incident)
        return list(shown.values())[:_GATE]

    async def place_gate(
        self, bot: Bot, visitor: Visitor, before: FlowState, after: FlowState
    ) -> None:
        """Mid-report, once its place is chosen (a first report, another home, a common
        area): the open incidents there of the report's category not shown to it before."""
        place = self._place_of(after.answers)
        if place is None or place == self._place_of(before.answers):
            return
        seen = {i for i in after.answers.get(SEEN) or () if isinstance(i, int)}
        category = after.answers.get("category")
        found = [
            i
            for i in await self.desk.for_place(place)
            if i.id not in seen and (not category or i.category == category)
        ]
        if found:
            await self._show_gate(bot, visitor, found[:_GATE], "", mid=True)

    def _place_of(self, answers: Mapping[str, Any]) -> Place | None:
        """Where a report is, once that is known: a building (a flat) or a common area."""
        estate = answers.get("estate")
        if not isinstance(estate, str) or not estate:
            return None
        if answers.get("where") == "common" and answers.get("area"):
            found = self.services.settings.area(str(answers["area"]))
            if found is None:
                return None
            return Place(estate, area=str(answers["area"]), area_building=found[1].building)
        building = answers.get("building")
        if answers.get("where") == "unit" and isinstance(building, str) and building:
            return Place(estate, building)
        return None

    async def _show_gate(
        self, bot: Bot, visitor: Visitor, incidents: list[Incident], area: str, *, mid: bool
    ) -> None:
        lines = [self.desk.headline(i, visitor.lang) for i in incidents]
        label = self.t(visitor, "incident.btn_notify")
        rows = [
            [
                (
                    f"{label} · {self.desk.scope_words(i, visitor.lang)}"
                    if len(incidents) > 1
                    else label,
                    cb.encode(cb.IncidentPress(i.id, "subr" if mid else "sub")),
                )
            ]
            for i in incidents
        ]
        if mid:
            goon = (self.t(visitor, "incident.btn_continue"), cb.encode(cb.Menu("continue")))
            hint = "incident.gate_hint_mid"
        else:
            goon = (
                self.t(visitor, "incident.btn_other"),
                cb.encode(cb.IncidentPress(0, f"o{area}")),
            )
            hint = "incident.gate_hint"
        rows.append([goon])
        await send(bot, visitor.chat_id, "\n\n".join(lines) + "\n\n" + self.t(visitor, hint), rows)
        log.info("owner %s was shown incidents %s", visitor.id, [i.id for i in incidents])

    async def _other_problem(
        self, bot: Bot, visitor: Visitor, area: str, message: Message | None
    ) -> None:
        """ "Another problem": the usual report begins (the incidents just read are not
        shown again on it); one already in progress is asked again instead."""
        await replace_message(message, message.text if message and message.text else "…")
        state = await self.conversations.current(visitor.chat_id)
        if state is not None:
            await self.conversations.reprompt(bot, visitor, state)
            return
        seen = [i.id for i in await self._before_report(visitor, area)]
        settings = self.services.settings
        prefill = (area_prefill(settings, area) if area else None) or {}
        await self.conversations.begin(bot, visitor, INTAKE, {**prefill, SEEN: seen})

    async def _subscribe(
        self, bot: Bot, visitor: Visitor, data: cb.IncidentPress, message: Message | None
    ) -> str | None:
        outcome = await self.desk.subscribe(visitor.id, data.incident_id)
        if outcome is None:
            other = cb.encode(cb.IncidentPress(0, "o"))
            report = [[(self.t(visitor, "incident.btn_other"), other)]]
            await replace_message(message, self.t(visitor, "incident.gone"), report)
            return None
        if message is not None:
            await replace_message(message, message.text or "")
        ended = data.action == "subr" and await self._end_report(bot, visitor)
        if outcome or ended:
            key = "incident.subscribed_mid" if ended else "incident.subscribed"
            await send(bot, visitor.chat_id, self.t(visitor, key))
            return None
        return self.t(visitor, "incident.already_subscribed")

    async def _end_report(self, bot: Bot, visitor: Visitor) -> bool:
        """The report in progress ends without a ticket (its card keeps what was said)."""
        state = await self.conversations.current(visitor.chat_id)
        if state is None or state.flow != INTAKE:
            return False
        await self.services.store.delete_conversation(visitor.chat_id, state.token)
        if state.anchor is not None:
            await drop_buttons(bot, visitor.chat_id, state.anchor)
        return True
