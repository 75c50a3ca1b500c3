"""The notices' storage contract (``NoticeStore``), on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.core.announcements import Notice, NoticeCounts
from bot.core.models import Outgoing, Person, Priority
from bot.store import Storage
from tests.pg import pg_url  # noqa: F401  (the fixture the store fixture asks for)
from tests.test_store_contract import NOW, store  # noqa: F401  (the fixture: both backends)

NOTICE = Notice(
    id=0,
    estate="harbour_view",
    buildings=("3", "5"),
    kind="planned",
    texts={"zh-Hans": "停水", "en": "Water off"},
    starts_at=NOW + timedelta(hours=20),
    ends_at=NOW + timedelta(hours=28),
    send_at=NOW,
    expires_at=NOW + timedelta(hours=28),
    created_by=7,
    created_at=NOW,
)


async def homes(db: Storage, *places: tuple[int, str]) -> None:
    """Owners with a home in a building of harbour_view (and a profile)."""
    for owner, building in places:
        await db.upsert_person(Person(owner, f"Owner{owner}", language_code="en"), NOW)
        await db.remember_home(owner, "harbour_view", building, f"{building}01", NOW)


async def test_a_notice_moves_from_draft_by_compare_and_set(
    store: Storage,  # noqa: F811
) -> None:
    nid = await store.add_notice(NOTICE)
    got = await store.get_notice(nid)
    assert got == replace(NOTICE, id=nid)
    assert await store.get_notice(nid + 100) is None
    assert await store.notices_recent() == []  # drafts are not listed
    assert await store.notices_due(NOW) == []
    assert await store.notice_status(nid, ("draft",), "scheduled", NOW)
    assert not await store.notice_status(nid, ("draft",), "scheduled", NOW)  # pressed twice
    assert [n.id for n in await store.notices_due(NOW)] == [nid]
    assert await store.notices_due(NOW - timedelta(seconds=1)) == []
    # Of two replicas claiming it at once, one wins.
    won = await asyncio.gather(
        store.notice_status(nid, ("scheduled",), "active", NOW),
        store.notice_status(nid, ("scheduled",), "active", NOW),
    )
    assert sorted(won) == [False, True]
    assert [n.id for n in await store.notices_active(NOW)] == [nid]
    assert await store.notices_active(NOTICE.expires_at) == []  # expired: no late joiners
    assert not await store.notice_status(nid, ("draft", "scheduled"), "cancelled", NOW)
    await store.notice_status_message(nid, 7, 42)
    got = await store.get_notice(nid)
    assert got is not None and (got.status_chat, got.status_message) == (7, 42)
    assert [n.id for n in await store.notices_recent()] == [nid]


async def test_the_audience_is_the_owners_in_scope_once_each(
    store: Storage,  # noqa: F811
) -> None:
    await homes(store, (1, "3"), (2, "5"), (3, "1"), (4, "3"), (1, "5"))
    nid = await store.add_notice(NOTICE)
    notice = replace(NOTICE, id=nid)
    assert await store.notice_reach(notice) == 3
    assert await store.notice_reach(replace(notice, buildings=())) == 4  # the whole estate
    await store.set_notices_off(4, True, NOW)
    assert await store.notices_off(4) and not await store.notices_off(1)
    audience = await store.notice_audience(notice)
    assert [a[0] for a in audience] == [1, 2]  # 4 turned planned notices off
    assert audience[0][2] == "en"
    urgent = replace(notice, kind="emergency")
    assert [a[0] for a in await store.notice_audience(urgent)] == [1, 2, 4]
    await store.set_notices_off(4, False, NOW)
    assert not await store.notices_off(4)

    messages = [Outgoing(o, f"to {o}", priority=Priority.BULK) for o in (1, 2)]
    # Two fan-outs at once (replicas): every owner is queued once.
    queued = await asyncio.gather(
        store.notice_fanout(nid, messages, NOW), store.notice_fanout(nid, messages, NOW)
    )
    assert sorted(queued) == [0, 2]
    assert await store.notice_fanout(nid, messages, NOW) == 0
    assert [a[0] for a in await store.notice_audience(notice)] == [4]
    heads = await store.due_outbox(NOW)
    assert sorted(i.message.chat_id for i in heads) == [1, 2]
    assert {i.message.priority for i in heads} == {Priority.BULK}
    assert await store.notice_counts(nid) == NoticeCounts(2, 0, 0, 0)

    one, two = sorted(heads, key=lambda i: i.message.chat_id)
    await store.outbox_sent(one.id, 9, NOW)
    await store.outbox_failed(two.id, "Forbidden: bot was blocked by the user", NOW)
    assert await store.notice_unreachable(two.id)
    assert not await store.notice_unreachable(one.id + two.id + 1000)
    assert await store.notice_counts(nid) == NoticeCounts(2, 1, 1, 0)
    assert (await store.notice_counts(nid)).pending == 0
    assert await store.notice_counts(nid + 1) == NoticeCounts()
