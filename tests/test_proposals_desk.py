"""IncidentProposals on both backends: a common area's reports make a proposal whose incident
takes the area's building with its common areas; an estate-wide area's takes the estate;
reports an open incident covers, or from nowhere in particular, propose nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.incidents import Incident
from bot.core.models import Ticket
from bot.desk.incidents import Refused
from bot.desk.proposals import Declared, IncidentProposals
from bot.store import Storage
from tests.pg import pg_server, pg_url  # noqa: F401
from tests.test_incidents import LIU, NOW, SUPERVISOR, desk_on, who
from tests.test_incidents import store as store  # the fixture
from tests.test_store_contract import opened, pending


async def area_reports(store: Storage, area: str, count: int, start: int = 0) -> list[Ticket]:
    """``count`` no-water reports by QR code from ``area``, a minute apart up to NOW."""
    from datetime import timedelta

    out = []
    for n in range(count):
        at = NOW - timedelta(minutes=count - n)
        fields: dict[str, Any] = {
            "category": "water_power",
            "subcategory": "no_water",
            "department": "maintenance",
            "building": None,
            "unit": None,
            "area": area,
            "at": at,
        }
        out.append(await opened(store, chat=8000 + start + n, token=f"a{start + n}", **fields))
    return out


async def test_a_lobby_cluster_declares_its_building_with_common_areas(
    store: Storage,
    tmp_path: Path,
) -> None:
    incidents = desk_on(store, tmp_path)
    proposals = IncidentProposals(incidents.services, incidents)
    tickets: list[Ticket] = []
    for n in range(4):
        tickets += await area_reports(store, "hv-3-lobby", 1, start=n)
        assert await proposals.consider(tickets[-1]) is None  # not yet a cluster
    tickets += await area_reports(store, "hv-3-lobby", 1, start=4)
    proposal = await proposals.consider(tickets[-1])
    assert proposal is not None and len(proposal.tickets) == 5
    cards = [m for m in await pending(store) if m.card]
    assert [m.chat_id for m in cards] == [SUPERVISOR]
    text = await proposals.text(proposal, "zh-Hans")
    assert text.startswith("⚠️ 1 分钟内 3栋大堂 收到 5 条“停水”报事")
    assert f"{tickets[0].number} · 14:09 · 3栋大堂 · " in text
    assert await proposals.declare(who(incidents, LIU), proposal.id) == Refused("not_allowed")
    declared = await proposals.declare(who(incidents, SUPERVISOR), proposal.id)
    assert isinstance(declared, Declared) and declared.linked == 5 and not declared.existing
    incident = declared.incident
    assert (incident.buildings, incident.common_areas) == (("3",), True)
    assert incident.texts == {"zh-Hans": "停水", "zh-Hant": "停水", "en": "No water"}
    assert incident.started_at == min(t.created_at for t in tickets) and incident.eta is None
    assert await proposals.declare(who(incidents, SUPERVISOR), proposal.id) == Refused("decided")
    # The next report from that lobby is the incident's: no new proposal.
    more = await area_reports(store, "hv-3-lobby", 1, start=10)
    assert await proposals.consider(more[0]) is None


async def test_an_estate_wide_area_declares_the_estate_and_joins_an_open_incident(
    store: Storage,
    tmp_path: Path,
) -> None:
    incidents = desk_on(store, tmp_path)
    proposals = IncidentProposals(incidents.services, incidents)
    tickets = await area_reports(store, "hv-gate", 5)
    proposal = await proposals.consider(tickets[-1])
    assert proposal is not None
    draft = await proposals._draft(proposal)
    assert (draft.buildings, draft.common_areas) == ((), True)  # the whole estate
    # An incident of that kind was declared meanwhile by hand: the reports join it.
    first = await incidents.declare(
        who(incidents, SUPERVISOR),
        Incident(
            estate="harbour_view",
            buildings=("5",),
            common_areas=True,
            category="water_power",
            subcategory=None,
            department="maintenance",
            texts={"zh-Hans": "停水"},
            started_at=NOW,
            eta=None,
            declared_by=None,
        ),
    )
    assert isinstance(first, Incident)
    joined = await proposals.declare(who(incidents, SUPERVISOR), proposal.id)
    assert isinstance(joined, Declared) and joined.existing and joined.incident.id == first.id
    # The gate is an estate-wide common area: in every scope that takes common areas.
    assert joined.linked == 5
    # A report from nowhere in particular makes no proposal.
    nowhere = await opened(store, chat=8100, token="n", building=None, unit=None, area=None)
    assert await proposals.consider(nowhere) is None
