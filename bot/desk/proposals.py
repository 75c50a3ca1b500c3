"""The bot proposing an incident, channel-neutral: after each new report, is its cluster big
enough? Then the department's supervisors get the reports side by side (one card each, edited
as more come) with "declare" and "not related"; declaring goes through ``IncidentDesk``.

One live proposal per cluster is the store's unique key, so two replicas filing the last two
reports at once still make one proposal; a crash between a ticket and its proposal is made good
by the cluster's next report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.actions import Actor
from bot.core.incident_proposals import (
    Cluster,
    Proposal,
    cluster_of,
    counting_since,
    due,
    report_lines,
)
from bot.core.incidents import Incident, Place
from bot.core.models import Outgoing, Priority, Ticket
from bot.core.promise import span_words
from bot.core.scope import supervisors_of
from bot.desk.context import DeskServices
from bot.desk.incidents import IncidentDesk, Refused

log = logging.getLogger(__name__)

PREFIX = "proposal:"
_NOWHERE = Cluster("", None, None, "", None)


def proposal_card(proposal_id: int) -> str:
    """The outbox ``card`` of a proposal's message to one supervisor."""
    return f"{PREFIX}{proposal_id}"


def proposal_of_card(card: str | None) -> int | None:
    """The proposal a card key names, or None for any other card."""
    if card is None or not card.startswith(PREFIX):
        return None
    number = card.removeprefix(PREFIX)
    return int(number) if number.isdigit() else None


@dataclass(frozen=True)
class Declared:
    """A proposal declared: the incident (new, or the open one that already covered it) and
    how many of its reports were linked to it."""

    incident: Incident
    linked: int
    existing: bool


class IncidentProposals:
    """Proposes incidents from clusters of reports, and carries out what supervisors decide."""

    def __init__(self, services: DeskServices, incidents: IncidentDesk) -> None:
        self.services = services
        self.incidents = incidents

    # ----- proposing ---------------------------------------------------------------------------

    async def consider(self, ticket: Ticket) -> Proposal | None:
        """After a new report: propose (or grow the proposal of) its cluster when it is due."""
        settings = self.services.settings
        store = self.services.store
        cluster = cluster_of(ticket)
        if cluster is None:
            return None
        if await self._covered(ticket, cluster):
            return None  # an open incident already takes these reports
        now = self.services.clock()
        window = settings.incidents.suggest_window
        since = counting_since(now, window, await store.cluster_floor(cluster.key))
        reports = await store.cluster_reports(cluster, since)
        if not due(len(reports), settings.incidents.suggest_after):
            return None
        supervisors = supervisors_of(settings, ticket.department, ticket.estate)
        if not supervisors:
            log.warning("proposal for %s: no supervisor to tell", cluster.key)
            return None
        draft = Proposal(cluster, ticket.department, now, now, now + window)

        def cards(proposal: Proposal) -> list[Outgoing]:
            return self._cards(proposal, supervisors)

        proposal = await store.propose(draft, reports, now, cards)
        self.services.bell.ring()
        log.info("proposal %d: %d reports of %s", proposal.id, len(proposal.tickets), cluster.key)
        return proposal

    async def _covered(self, ticket: Ticket, cluster: Cluster) -> bool:
        area_building = None
        if cluster.area:
            found = self.services.settings.area(cluster.area)
            area_building = found[1].building if found else None
        place = Place(cluster.estate, cluster.building, cluster.area, area_building)
        return any(i.category == ticket.category for i in await self.incidents.for_place(place))

    def _cards(self, proposal: Proposal, people: list[int]) -> list[Outgoing]:
        card = proposal_card(proposal.id)
        return [Outgoing(p, "", card=card, priority=Priority.NOTICE) for p in people]

    # ----- words -------------------------------------------------------------------------------

    def subject(self, cluster: Cluster, lang: str) -> str:
        """停水 (the subcategory's name), else the category's."""
        settings = self.services.settings
        category = settings.category(cluster.category)
        if category is None:
            return cluster.subcategory or cluster.category
        sub = category.subcategory(cluster.subcategory) if cluster.subcategory else None
        return settings.text(sub.name if sub else category.name, lang)

    def place(self, cluster: Cluster, lang: str) -> str:
        """3栋, or the common area's name."""
        settings = self.services.settings
        if cluster.area:
            found = settings.area(cluster.area)
            return settings.text(found[1].name, lang) if found else cluster.area
        estate = settings.estate(cluster.estate)
        building = estate.building(cluster.building or "") if estate else None
        return settings.text(building.name, lang) if building else (cluster.building or "")

    async def text(self, proposal: Proposal, lang: str) -> str:
        """The proposal as a supervisor reads it: the reports side by side, and its outcome."""
        settings = self.services.settings
        catalog = self.services.catalog
        tickets = [await self.services.store.get_ticket(i) for i in proposal.tickets]
        found = [t for t in tickets if t is not None]
        lines, more = report_lines(found, settings.tz, lambda t: self._flat(t, lang))
        if more:
            lines.append(catalog.text(lang, "proposal.more", count=more))
        body = catalog.text(
            lang,
            "proposal.card",
            count=len(proposal.tickets),
            subject=self.subject(proposal.cluster, lang),
            place=self.place(proposal.cluster, lang),
            window=span_words(_spread(found) or settings.incidents.suggest_window, catalog, lang),
            lines="\n".join(lines),
        )
        name = self._name(proposal.decided_by, lang)
        if proposal.status == "declared":
            outcome = catalog.text(lang, "proposal.declared", id=proposal.incident_id, name=name)
            return f"{body}\n\n{outcome}"
        if proposal.status == "dismissed":
            return f"{body}\n\n" + catalog.text(lang, "proposal.dismissed", name=name)
        return f"{body}\n\n" + catalog.text(lang, "proposal.ask")

    def _flat(self, ticket: Ticket, lang: str) -> str:
        """3栋 1502, or the common area's name."""
        if ticket.area:
            return self.place(cluster_of(ticket) or _NOWHERE, lang)
        building = self.place(Cluster(ticket.estate, ticket.building, None, "", None), lang)
        return " ".join(p for p in (building, ticket.unit) if p)

    def _name(self, telegram_id: int | None, lang: str) -> str:
        member = self.services.settings.staff_member(telegram_id or 0)
        return member.name if member else str(telegram_id or "")

    # ----- deciding ----------------------------------------------------------------------------

    async def declare(self, actor: Actor, proposal_id: int) -> Declared | Refused:
        """Declare the cluster's incident (or take the open one that covers it already) and
        link the proposal's reports to it; every supervisor's card says so."""
        store = self.services.store
        proposal = await store.get_proposal(proposal_id)
        refused = self._check(actor, proposal)
        if refused is not None or proposal is None:
            return refused or Refused("gone")
        result = await self.incidents.declare(actor, await self._draft(proposal))
        existing = False
        if isinstance(result, Refused):
            if result.code != "duplicate" or result.incident is None:
                return result
            result, existing = result.incident, True
        if not await self._decide(proposal, actor, "declared", result.id):
            return Refused("decided")
        fresh = await store.get_proposal(proposal_id)
        linked = 0
        for ticket_id in fresh.tickets if fresh else proposal.tickets:
            outcome = await self.incidents.link(actor, result.id, ticket_id)
            linked += 0 if isinstance(outcome, Refused) else 1
        log.info("proposal %d declared as incident %d (%d linked)", proposal_id, result.id, linked)
        return Declared(result, linked, existing)

    async def dismiss(self, actor: Actor, proposal_id: int) -> Proposal | Refused:
        """Not related: no new proposal for this cluster within the window."""
        store = self.services.store
        proposal = await store.get_proposal(proposal_id)
        refused = self._check(actor, proposal)
        if refused is not None or proposal is None:
            return refused or Refused("gone")
        if not await self._decide(proposal, actor, "dismissed", None):
            return Refused("decided")
        log.info("proposal %d dismissed by %s", proposal_id, actor.telegram_id)
        return await store.get_proposal(proposal_id) or proposal

    def _check(self, actor: Actor, proposal: Proposal | None) -> Refused | None:
        if proposal is None:
            return Refused("gone")
        if not self.incidents.may_manage(actor, proposal.department, proposal.cluster.estate):
            return Refused("not_allowed")
        if not proposal.is_open:
            return Refused("decided")
        return None

    async def _decide(
        self, proposal: Proposal, actor: Actor, status: str, incident_id: int | None
    ) -> bool:
        settings = self.services.settings
        now = self.services.clock()
        people = supervisors_of(settings, proposal.department, proposal.cluster.estate)
        # The card of whoever pressed is redrawn too (a admin outside the list, say).
        if actor.telegram_id is not None and actor.telegram_id not in people:
            people.append(actor.telegram_id)
        done = await self.services.store.decide_proposal(
            proposal.id,
            status,
            actor.telegram_id or 0,
            now,
            now + settings.incidents.suggest_window,
            incident_id,
            self._cards(proposal, people),
        )
        if done:
            self.services.bell.ring()
        return done

    async def _draft(self, proposal: Proposal) -> Incident:
        """The incident a proposal stands for: its building (or the area's, with common
        areas), its subject as the text in every language, from its first report on."""
        settings = self.services.settings
        cluster = proposal.cluster
        if cluster.area:
            found = settings.area(cluster.area)
            building = found[1].building if found else None
            buildings: tuple[str, ...] = (building,) if building else ()
            common = True
        else:
            buildings, common = (cluster.building or "",), False
        texts = {lang: self.subject(cluster, lang) for lang in settings.languages}
        started = await self._first_report(proposal)
        return Incident(
            estate=cluster.estate,
            buildings=buildings,
            common_areas=common,
            category=cluster.category,
            subcategory=cluster.subcategory,
            department=proposal.department,
            texts=texts,
            started_at=started or proposal.first_at,
            eta=None,
            declared_by=None,
        )

    async def _first_report(self, proposal: Proposal) -> datetime | None:
        moments = []
        for ticket_id in proposal.tickets:
            ticket = await self.services.store.get_ticket(ticket_id)
            if ticket is not None:
                moments.append(ticket.created_at)
        return min(moments) if moments else None


def _spread(tickets: list[Ticket]) -> timedelta | None:
    """From the first report to the last (at least a minute), or None without reports."""
    if not tickets:
        return None
    moments = [t.created_at for t in tickets]
    return max(max(moments) - min(moments), timedelta(minutes=1))
