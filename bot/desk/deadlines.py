"""The scheduler: one timer entry per due moment of each open ticket, derived from the database.

Jobs are a cache of what the tickets say (docs/architecture.md, "Time"): each carries only the
ticket id and what to check, re-reads the ticket when it runs, and does nothing if the moment has
passed or the work is on record already. At start-up every open ticket's jobs are made anew, so
what came due while the bot was down runs at once, and exactly once.
"""

from __future__ import annotations

import logging

from bot.core.actions import SYSTEM, Escalate
from bot.core.duetimes import KINDS, Due, plan
from bot.core.lifecycle import Refusal
from bot.core.models import Outgoing, Ticket, TicketEvent
from bot.desk.context import DeskServices
from bot.desk.tickets import TicketDesk
from bot.timer import Timer

log = logging.getLogger(__name__)

# Open tickets planned per read of their timelines at start-up (a few milliseconds of work).
REBUILD_BATCH = 200


class DeadlineJobs:
    """Keeps each open ticket's jobs in step with its deadlines and timeline."""

    def __init__(self, timer: Timer, services: DeskServices, desk: TicketDesk) -> None:
        self.timer = timer
        self.services = services
        self.desk = desk
        self._live: set[int] | None = None  # while rebuilding: tickets live work scheduled

    async def rebuild(self) -> int:
        """Make the jobs of every open ticket (at start-up); returns how many were made.

        One read of the open tickets (a million-ticket desk has ~50,000), then their timelines
        a batch at a time, so updates handled meanwhile wait for no more than one batch. A
        ticket that live work scheduled since the rebuild began is left as that work planned
        it, not overwritten from the older read.
        """
        self._live = set()
        try:
            tickets = await self.services.store.tickets_in_progress()
            count = 0
            for start in range(0, len(tickets), REBUILD_BATCH):
                batch = tickets[start : start + REBUILD_BATCH]
                timelines = await self.services.store.events_in_progress(batch[0].id, batch[-1].id)
                for ticket in batch:
                    if ticket.id not in self._live:
                        count += self._plan(ticket, timelines.get(ticket.id, []))
        finally:
            self._live = None
        log.info("scheduler: %d jobs for %d open tickets", count, len(tickets))
        return count

    async def schedule(self, ticket: Ticket) -> int:
        """Replace the ticket's jobs with what its deadlines and timeline call for now."""
        events = await self.services.store.ticket_events(ticket.id)
        if self._live is not None:
            self._live.add(ticket.id)
        return self._plan(ticket, events)

    def _plan(self, ticket: Ticket, events: list[TicketEvent]) -> int:
        cal = self.services.calendars.of(ticket.department)
        dues = plan(self.services.settings, cal, ticket, events)
        wanted = {d.kind for d in dues}
        for kind in KINDS:
            if kind not in wanted:
                self.timer.cancel(_name(kind, ticket.id))
        for due in dues:
            self._add(ticket.id, due)
        return len(dues)

    def _add(self, ticket_id: int, due: Due) -> None:
        async def run() -> None:
            await self.fire(ticket_id, due.kind)

        self.timer.at(_name(due.kind, ticket_id), due.at, run)

    async def fire(self, ticket_id: int, kind: str) -> None:
        """Do what is due for a ticket now, if it still is."""
        store = self.services.store
        ticket = await store.get_ticket(ticket_id)
        if ticket is None:
            return
        events = await store.ticket_events(ticket_id)
        cal = self.services.calendars.of(ticket.department)
        due = next(
            (d for d in plan(self.services.settings, cal, ticket, events) if d.kind == kind), None
        )
        now = self.services.clock()
        if due is None:
            return  # done already, or the ticket moved on
        if due.at > now:
            self._add(ticket_id, due)  # the deadline moved later since this was planned
            return
        if kind in ("accept_nudge", "resolve_nudge"):
            await self._nudge(ticket, due)
        elif kind == "accept_due":
            await self._missed_accept(ticket, due)
        elif kind == "resolve_due":
            await self._missed_resolve(ticket, due)
        else:
            await self._alert_manager(ticket, due)
        fresh = await store.get_ticket(ticket_id)
        if fresh is not None:
            await self.schedule(fresh)

    async def _nudge(self, ticket: Ticket, due: Due) -> None:
        stage = "accept" if due.kind == "accept_nudge" else "resolve"
        messages = []
        if ticket.assignee_id is not None:
            lang = await self.desk.lang_of(ticket.assignee_id)
            text = self.desk.text(lang)
            messages.append(
                Outgoing(
                    ticket.assignee_id,
                    text.t(
                        f"notify.assignee.nudge_{stage}",
                        number=ticket.number,
                        by=text.due(due.deadline),
                        left=text.left(due.deadline),
                    ),
                    ticket_id=ticket.id,
                )
            )
        await self.desk.record(
            ticket, "nudged", {"stage": stage, "due": due.deadline.isoformat()}, messages
        )

    async def _missed_accept(self, ticket: Ticket, due: Due) -> None:
        """Hand the ticket to the next person on duty (or the fallback); tell the supervisor."""
        skip = frozenset({ticket.assignee_id} if ticket.assignee_id is not None else ())
        route = await self.desk.route(ticket.department, ticket.estate, skip)
        also: list[Outgoing] = []
        manager = self.services.settings.escalation.manager
        if manager is not None and route.assignee in (None, ticket.assignee_id):
            # Nobody left to hand it to (it already sits with the fallback): the manager hears.
            lang = await self.desk.lang_of(manager)
            text = self.desk.text(lang)
            also.append(
                Outgoing(
                    manager,
                    text.t(
                        "notify.manager.unaccepted",
                        number=ticket.number,
                        by=text.when(ticket.accept_due),
                    ),
                    ticket_id=ticket.id,
                )
            )
        await self._escalate(ticket, Escalate("accept", route.assignee, due.deadline), also)

    async def _missed_resolve(self, ticket: Ticket, due: Due) -> None:
        await self._escalate(ticket, Escalate("resolve", None, due.deadline), [])

    async def _escalate(self, ticket: Ticket, action: Escalate, also: list[Outgoing]) -> None:
        level = self.services.settings.urgency(ticket.urgency)
        if level is not None and level.tell_owner_when_late:
            lang = await self.desk.lang_of(ticket.owner_id)
            also.append(
                Outgoing(
                    ticket.owner_id,
                    self.desk.text(lang).t("notify.owner.late", number=ticket.number),
                    ticket_id=ticket.id,
                )
            )
        result = await self.desk.act(ticket.id, action, SYSTEM, also=also)
        if isinstance(result, Refusal):
            log.info("ticket %s: escalation not needed (%s)", ticket.number, result.code)
        elif result is not None:
            log.warning(
                "ticket %s: %s deadline missed; escalated to %s",
                ticket.number,
                action.stage,
                result[0].assignee_id,
            )

    async def _alert_manager(self, ticket: Ticket, due: Due) -> None:
        manager = self.services.settings.escalation.manager
        if manager is None:
            return
        lang = await self.desk.lang_of(manager)
        message = Outgoing(
            manager,
            self.desk.text(lang).t(
                "notify.manager.overdue",
                number=ticket.number,
                by=self.desk.text(lang).when(due.deadline),
            ),
            ticket_id=ticket.id,
        )
        await self.desk.record(
            ticket,
            "manager_alerted",
            {"stage": "resolve", "due": due.deadline.isoformat()},
            [message],
        )


def _name(kind: str, ticket_id: int) -> str:
    """The job's id and name: one job per kind and ticket."""
    return f"{kind}:{ticket_id}"
