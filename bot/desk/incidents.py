"""Known incidents, channel-neutral: declare, update, close, link tickets, subscribe owners.

Every change is a compare-and-set on the incident's version and commits with the messages it
causes; what subscribers are told is queued once per (incident, person, kind, version), so a
close that a crash interrupted is finished at start-up (``resume``) without telling anyone twice.
Linked tickets end through ``TicketDesk.act`` (``EndWithIncident``): one transaction each,
with their events and surveys as any resolution.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.actions import SYSTEM, Actor, EndWithIncident
from bot.core.guards import STAFF_ROLES
from bot.core.incidents import (
    Incident,
    Place,
    Words,
    all_clear_words,
    clash,
    covers,
    headline,
    matches,
    problem,
)
from bot.core.models import OPEN_STATUSES, Outgoing, Priority, Ticket, TicketEvent, action_ref
from bot.core.outcomes import Refusal
from bot.core.scope import may_see
from bot.core.surveys import RATINGS, stars
from bot.desk.context import DeskServices
from bot.desk.tickets import TicketDesk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refused:
    """Why an incident change was not made (a text key's last part), and the open incident a
    new one would duplicate (offer to update it instead)."""

    code: str
    incident: Incident | None = None


class IncidentDesk:
    """The one way incidents are declared, changed and ended, whatever the channel."""

    def __init__(self, services: DeskServices, tickets: TicketDesk) -> None:
        self.services = services
        self.tickets = tickets

    # ----- words -----------------------------------------------------------------------------

    def scope_words(self, incident: Incident, lang: str) -> str:
        """3栋、5栋 (及公共区域), or the estate's name for the whole estate."""
        settings = self.services.settings
        catalog = self.services.catalog
        estate = settings.estate(incident.estate)
        if not incident.buildings:
            name = settings.text(estate.name, lang) if estate else incident.estate
            return catalog.text(lang, "incident.scope_estate", estate=name)
        names = []
        for b in incident.buildings:
            building = estate.building(b) if estate else None
            names.append(settings.text(building.name, lang) if building else b)
        joined = catalog.text(lang, "list.sep").join(names)
        if incident.common_areas:
            return catalog.text(lang, "incident.scope_common", buildings=joined)
        return joined

    def words(self, incident: Incident, lang: str) -> Words:
        """What the incident's sentences need, at the clock's now."""
        settings = self.services.settings
        return Words(
            self.scope_words(incident, lang),
            self.services.clock(),
            settings.tz,
            settings.default_language,
        )

    def headline(self, incident: Incident, lang: str) -> str:
        """已知：3栋 14:10 起停水，预计 17:00 恢复."""
        return headline(incident, self.words(incident, lang), self.services.catalog, lang)

    def all_clear_text(self, incident: Incident, lang: str) -> str:
        """✅ 3栋 停水 已恢复 …, with the all-clear text in the reader's language first."""
        return all_clear_words(incident, self.words(incident, lang), self.services.catalog, lang)

    # ----- reads -----------------------------------------------------------------------------

    async def for_place(self, place: Place) -> list[Incident]:
        """Open incidents a report from ``place`` falls into, oldest first."""
        found = await self.services.store.open_incidents(place.estate)
        return [i for i in found if covers(i, place)]

    async def visible(self, actor: Actor) -> list[Incident]:
        """Open incidents in someone's patch (department and estate), oldest first."""
        found = await self.services.store.open_incidents()
        return [i for i in found if self.may_manage(actor, i.department, i.estate)]

    def may_manage(self, actor: Actor, department: str, estate: str) -> bool:
        """Supervisors, admins and the department's staff, each in their estates."""
        return actor.role in STAFF_ROLES and may_see(actor, department, estate)

    async def candidates(self, actor: Actor, incident_id: int) -> list[Ticket]:
        """Open tickets an incident could take: in its scope, of its category, not linked."""
        store = self.services.store
        incident = await store.get_incident(incident_id)
        if incident is None or not incident.is_open:
            return []
        if not self.may_manage(actor, incident.department, incident.estate):
            return []
        linked = set(await store.linked_tickets(incident.id))
        out = []
        for ticket in await store.tickets_in_progress():
            place = Place(ticket.estate, ticket.building, ticket.area, self._area_building(ticket))
            if ticket.id not in linked and matches(incident, place, ticket.category):
                out.append(ticket)
        return out

    def _area_building(self, ticket: Ticket) -> str | None:
        if ticket.area is None:
            return None
        found = self.services.settings.area(ticket.area)
        return found[1].building if found else None

    # ----- declare, update, close ------------------------------------------------------------

    async def declare(self, actor: Actor, draft: Incident) -> Incident | Refused:
        """Declare an incident: scope, text and ETA checked, no open duplicate; the
        department's group hears of it."""
        settings = self.services.settings
        estate = settings.estate(draft.estate)
        category = settings.category(draft.category)
        if estate is None or category is None:
            return Refused("unknown")
        if not self.may_manage(actor, category.department, estate.id):
            return Refused("not_allowed")
        now = self.services.clock()
        draft = replace(draft, department=category.department, declared_by=actor.telegram_id)
        known = [b.id for b in estate.buildings]
        wrong = problem(draft, now, known, settings.default_language)
        if wrong is not None:
            return Refused(wrong)
        existing = clash(draft, await self.services.store.open_incidents(draft.estate))
        if existing is not None:
            return Refused("duplicate", existing)
        stored = await self.services.store.declare_incident(draft, [], now)
        await self._tell_group(stored, "incident.group_declared")
        log.info("incident %d declared by %s", stored.id, actor.telegram_id)
        return stored

    async def update(
        self,
        actor: Actor,
        incident_id: int,
        version: int,
        *,
        eta: datetime | None = None,
        note: str | None = None,
    ) -> Incident | Refused:
        """A new ETA and/or a note; subscribers and linked tickets' owners are told once."""
        store = self.services.store
        before = await store.get_incident(incident_id)
        refused = self._check(actor, before, version)
        if refused is not None or before is None:
            return refused or Refused("gone")
        if eta is None and not (note or "").strip():
            return Refused("no_change")
        after = replace(
            before,
            eta=eta or before.eta,
            note=(note or "").strip() or before.note,
            version=before.version + 1,
        )
        settings = self.services.settings
        now = self.services.clock()
        # Only a new ETA must lie ahead: a note on an incident running late is welcome.
        wrong = problem(
            replace(after, eta=eta), now, list(before.buildings), settings.default_language
        )
        if wrong is not None:
            return Refused(wrong)
        people = await self._audience(after)
        messages = [await self._update_message(after, person) for person in people]
        # Queued with the compare-and-set: one version is written once, so told once.
        if not await store.update_incident(before, after, messages, now):
            return Refused("changed")
        self.services.bell.ring()
        return after

    async def close(
        self, actor: Actor, incident_id: int, version: int, all_clear: Mapping[str, str]
    ) -> Incident | Refused:
        """The all-clear: the incident closes, subscribers are told once, linked tickets end."""
        store = self.services.store
        before = await store.get_incident(incident_id)
        refused = self._check(actor, before, version)
        if refused is not None or before is None:
            return refused or Refused("gone")
        settings = self.services.settings
        texts = {k: v.strip() for k, v in all_clear.items() if v.strip()}
        if not texts.get(settings.default_language):
            return Refused("no_text")
        now = self.services.clock()
        after = replace(before, status="closed", closed_at=now, all_clear=texts)
        wrong = problem(
            replace(after, eta=None), now, list(before.buildings), settings.default_language
        )
        if wrong is not None:
            return Refused(wrong)
        if not await store.close_incident(before, after, [], now):
            return Refused("changed")
        after = replace(after, version=before.version + 1)
        log.info("incident %d closed by %s", after.id, actor.telegram_id)
        await self.settle(after)
        return after

    def _check(self, actor: Actor, incident: Incident | None, version: int) -> Refused | None:
        if incident is None:
            return Refused("gone")
        if not self.may_manage(actor, incident.department, incident.estate):
            return Refused("not_allowed")
        if not incident.is_open:
            return Refused("closed")
        if incident.version != version:
            return Refused("changed", incident)
        return None

    async def settle(self, incident: Incident) -> None:
        """Finish a closed incident's follow-up: the all-clear to each subscriber (once),
        every linked ticket ended, the group told; safe to run again after a crash."""
        store = self.services.store
        now = self.services.clock()
        linked = await store.linked_tickets(incident.id)
        owners = set()
        for ticket_id in linked:
            ticket = await store.get_ticket(ticket_id)
            if ticket is not None:
                owners.add(ticket.owner_id)
        # Owners of linked tickets read the all-clear in their ticket's own message.
        people = [p for p in await store.subscribers(incident.id) if p not in owners]
        mode = self.services.settings.incidents.surveys
        messages = [
            await self._all_clear(incident, p, rate=mode == "per_subscriber") for p in people
        ]
        await store.notify_once(incident.id, "all_clear", incident.version, messages, now)
        self.services.bell.ring()
        survey = mode == "per_ticket"
        note_lang = self.services.settings.default_language
        for ticket_id in linked:
            ticket = await store.get_ticket(ticket_id)
            if ticket is None or ticket.status not in OPEN_STATUSES:
                continue
            lang = await self.tickets.lang_of(ticket.owner_id)
            note = self.all_clear_text(incident, lang or note_lang)
            action = EndWithIncident(incident.id, note, survey)
            result = await self.tickets.act(ticket_id, action, SYSTEM, via="incident")
            if isinstance(result, Refusal):
                log.info("incident %d: ticket %d not ended (%s)", incident.id, ticket_id, result)
        await self._tell_group(incident, "incident.group_closed")
        await store.settle_incident(incident.id)

    async def resume(self) -> int:
        """At start-up: finish every close a crash interrupted; how many were finished."""
        pending = await self.services.store.unsettled_incidents()
        for incident in pending:
            await self.settle(incident)
        return len(pending)

    # ----- owners ----------------------------------------------------------------------------

    async def subscribe(self, person_id: int, incident_id: int) -> bool | None:
        """Tell ``person_id`` when the incident ends: True (subscribed now), False (already),
        None (no such open incident)."""
        store = self.services.store
        incident = await store.get_incident(incident_id)
        if incident is None or not incident.is_open:
            return None
        if await store.subscribe(incident_id, person_id, self.services.clock()):
            log.info("incident %d: owner %d subscribed", incident_id, person_id)
            return True
        return False if person_id in await store.subscribers(incident_id) else None

    async def link(self, actor: Actor, incident_id: int, ticket_id: int) -> Ticket | Refused:
        """Link an open ticket in scope to an open incident; its owner is told."""
        store = self.services.store
        incident = await store.get_incident(incident_id)
        if incident is None:
            return Refused("gone")
        if not self.may_manage(actor, incident.department, incident.estate):
            return Refused("not_allowed")
        if not incident.is_open:
            return Refused("closed")
        ticket = await store.get_ticket(ticket_id)
        if ticket is None or ticket.status not in OPEN_STATUSES:
            return Refused("ticket_gone")
        place = Place(ticket.estate, ticket.building, ticket.area, self._area_building(ticket))
        if not matches(incident, place, ticket.category):
            return Refused("ticket_out_of_scope")
        now = self.services.clock()
        event = TicketEvent(
            ticket.id, now, "incident_linked", actor.telegram_id, {"incident": incident.id}
        )
        lang = await self.tickets.lang_of(ticket.owner_id)
        text = self.services.catalog.text(
            lang,
            "incident.owner_linked",
            number=ticket.number,
            headline=self.headline(incident, lang),
        )
        told = Outgoing(ticket.owner_id, text, ticket_id=ticket.id)
        if not await store.link_ticket(incident.id, ticket.id, event, [told], now):
            return Refused("already_linked")
        self.services.bell.ring()
        return ticket

    async def rate(self, person_id: int, incident_id: int, rating: int) -> bool:
        """A subscriber rates how a closed incident was handled, once (per_subscriber)."""
        if rating not in RATINGS:
            return False
        now = self.services.clock()
        return await self.services.store.rate_incident(incident_id, person_id, rating, now)

    # ----- messages --------------------------------------------------------------------------

    async def _all_clear(self, incident: Incident, person: int, *, rate: bool) -> Outgoing:
        """The all-clear a subscriber reads; with five stars to rate it when surveyed."""
        lang = await self.tickets.lang_of(person)
        text = self.all_clear_text(incident, lang)
        if not rate:
            return Outgoing(person, text)
        catalog = self.services.catalog
        text += "\n\n" + catalog.text(lang, "incident.ask_rating")
        buttons = tuple(
            (
                (
                    f"{stars(r)} {catalog.text(lang, f'survey.rating.{r}')}",
                    action_ref(f"incident.r{r}", incident.id),
                ),
            )
            for r in RATINGS
        )
        return Outgoing(person, text, buttons)

    async def _audience(self, incident: Incident) -> list[int]:
        """Who hears of an update: subscribers and the owners of linked tickets, once each."""
        store = self.services.store
        people = list(await store.subscribers(incident.id))
        for ticket_id in await store.linked_tickets(incident.id):
            ticket = await store.get_ticket(ticket_id)
            if ticket is not None:
                people.append(ticket.owner_id)
        return list(dict.fromkeys(people))

    async def _update_message(self, incident: Incident, person: int) -> Outgoing:
        lang = await self.tickets.lang_of(person)
        text = self.services.catalog.text(
            lang,
            "incident.owner_update",
            headline=self.headline(incident, lang),
            note=incident.note or "",
        )
        return Outgoing(person, text.strip())

    async def _tell_group(self, incident: Incident, key: str) -> None:
        """The department's staff group reads of a declared or ended incident."""
        settings = self.services.settings
        department = settings.department(incident.department)
        if department is None or department.group_chat_id is None:
            return
        lang = settings.default_language
        text = self.services.catalog.text(
            lang,
            key,
            id=incident.id,
            headline=self.headline(incident, lang),
            scope=self.scope_words(incident, lang),
        )
        message = Outgoing(department.group_chat_id, text, priority=Priority.NOTICE)
        now = self.services.clock()
        kind = key.rsplit(".", 1)[-1]
        await self.services.store.notify_once(incident.id, kind, incident.version, [message], now)
        self.services.bell.ring()
