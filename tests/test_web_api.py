"""The dashboard's API end to end: the real bot with its web server, the fake Telegram, HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakebot import FakeBotApi
from tests.harness import Desk, FakeClock
from tests.test_e2e_staff import LI_SUP, WANG, ZHANG, ZHOU_ADMIN, card_of, file_ticket, zh
from tests.web import PUBLIC_URL, base_url, tma, with_web

OWNER = 4101
KAREN = 5842176903  # staff, service department


@pytest.fixture
async def desk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """The bot with the dashboard on."""
    bot = Desk(fake, tmp_path, edit=with_web)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A browser-less HTTP client with its own cookie jar."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def get(http: aiohttp.ClientSession, desk: Desk, path: str, **kw: Any) -> tuple[int, Any]:
    async with http.get(base_url(desk) + path, **kw) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body


async def post(
    http: aiohttp.ClientSession, desk: Desk, path: str, body: Any, **kw: Any
) -> tuple[int, Any]:
    async with http.post(base_url(desk) + path, json=body, **kw) as response:
        return response.status, await response.json()


async def test_healthz_needs_no_sign_in(desk: Desk, http: aiohttp.ClientSession) -> None:
    status, report = await get(http, desk, "/healthz")
    # In the bot process: the bot's whole health (bot.tg.health), the replica's role included.
    assert status == 200 and report["ok"] and report["database"] == "ok", report
    assert report["role"] in ("single", "poller", "worker") and report["outbox_pending"] >= 0


async def test_who_gets_in(desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession) -> None:
    now = desk.clock()
    assert (await get(http, desk, "/api/board"))[0] == 401
    status, body = await get(http, desk, "/api/board", headers={"Authorization": "tma x=1"})
    assert status == 401 and body["error"] == "unauthorized"
    status, _ = await get(http, desk, "/api/board", headers=tma(LI_SUP, now, "1:other"))
    assert status == 401
    status, body = await get(http, desk, "/api/board", headers=tma(OWNER, now))
    assert status == 403 and body["error"] == "forbidden"
    status, body = await get(http, desk, "/api/me", headers=tma(LI_SUP, now))
    assert status == 200 and body["manages"] and body["role"] == "supervisor"
    assert body["texts"]["web.column.new"]


async def test_board_filters_and_bad_input(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    row = await file_ticket(desk, fake.user(OWNER, language_code="en"))
    auth = tma(LI_SUP, desk.clock())
    status, board = await get(http, desk, "/api/board", headers=auth)
    assert status == 200
    columns = {c["id"]: c for c in board["columns"]}
    assert [i["number"] for i in columns["assigned"]["items"]] == [row["number"]]
    assert columns["assigned"]["items"][0]["assignee_id"] == WANG
    # Search by number and by text, filters, paging.
    for query in (f"q={row['number'].lower()}", "q=no+water", "estate=harbour_view", "overdue=0"):
        status, page = await get(http, desk, f"/api/tickets?{query}", headers=auth)
        assert status == 200 and page["total"] == 1, query
    status, page = await get(http, desk, "/api/tickets?estate=emerald_lake", headers=auth)
    assert page["total"] == 0
    # Another department's supervisor does not see it at all.
    status, page = await get(http, desk, "/api/tickets", headers=tma(5930127784, desk.clock()))
    assert page["total"] == 0
    status, _ = await get(
        http, desk, f"/api/tickets/{row['number']}", headers=tma(5930127784, desk.clock())
    )
    assert status == 404
    for query, code in (
        ("estate=atlantis", 400),
        ("assignee=12", 400),
        ("page=0", 400),
        ("per_page=1000", 400),
        ("colour=red", 400),
        ("q=" + "x" * 101, 400),
        ("overdue=maybe", 400),
        ("q=" + "x" * 3000, 414),
    ):
        status, body = await get(http, desk, f"/api/tickets?{query}", headers=auth)
        assert status == code and body["message"], query
    status, body = await get(http, desk, "/api/tickets/HV-20990101-0001", headers=auth)
    assert status == 404 and body["error"] == "not_found"


async def test_plain_staff_read_their_own_queue_only(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    row = await file_ticket(desk, fake.user(OWNER, language_code="en"))
    mine = tma(WANG, desk.clock())
    status, page = await get(http, desk, "/api/tickets", headers=mine)
    assert [i["number"] for i in page["items"]] == [row["number"]]
    status, ticket = await get(http, desk, f"/api/tickets/{row['number']}", headers=mine)
    assert status == 200 and ticket["actions"] == []
    status, body = await post(
        http, desk, f"/api/tickets/{row['number']}/actions",
        {"action": "accept", "version": ticket["version"]}, headers=mine,
    )  # fmt: skip
    assert status == 403 and body["error"] == "read_only"
    status, page = await get(http, desk, "/api/tickets", headers=tma(ZHANG, desk.clock()))
    assert page["total"] == 0


async def test_a_transfer_from_the_dashboard_moves_the_telegram_cards(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    row = await file_ticket(desk, fake.user(OWNER, language_code="en"))
    wang, zhang = fake.user(WANG), fake.user(ZHANG)
    old_card = await card_of(wang, row["number"])
    auth = tma(LI_SUP, desk.clock())
    path = f"/api/tickets/{row['number']}"
    _, ticket = await get(http, desk, path, headers=auth)
    assert "transfer" in ticket["actions"]
    assert ZHANG in [p["id"] for p in ticket["targets"]["staff"]]
    # Outside the ticket's team or estate: refused, nothing written.
    for target in ({"to": 6392758014}, {"to": 7129046613}, {"department": "atlantis"}, {}):
        body = {"action": "transfer", "version": ticket["version"], "text": "x", **target}
        status, answer = await post(http, desk, path + "/actions", body, headers=auth)
        assert status == 400 and answer["error"] == "bad_target", target
    body = {"action": "transfer", "version": ticket["version"], "text": "night shift", "to": ZHANG}
    status, answer = await post(http, desk, path + "/actions", body, headers=auth)
    assert status == 200 and answer["ticket"]["assignee_id"] == ZHANG
    assert answer["ticket"]["timeline"][-1]["via_dashboard"]
    # The same request again, with the version it saw: someone changed it meanwhile.
    status, answer = await post(http, desk, path + "/actions", body, headers=auth)
    assert status == 409 and answer["error"] == "changed"
    await card_of(zhang, row["number"])
    left = await wang.wait_for_edit(old_card.message_id)
    assert left.text and "HV-" in left.text and not left.buttons
    events = await desk.rows("SELECT kind, data FROM ticket_events WHERE ticket_id = ?", row["id"])
    assert '"via": "dashboard"' in events[-1]["data"]
    # Telegram's /ticket shows it on the timeline too.
    li = fake.user(LI_SUP)
    await li.command("/ticket", row["number"])
    z = zh(desk)
    await li.wait_for_message(lambda m: z.t("web.via_dashboard") in (m.text or ""))


async def test_two_supervisors_at_once_one_wins(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    row = await file_ticket(desk, fake.user(OWNER, language_code="en"))
    path = f"/api/tickets/{row['number']}"
    _, ticket = await get(http, desk, path, headers=tma(LI_SUP, desk.clock()))
    bodies = [
        ({"action": "transfer", "version": ticket["version"], "text": "a", "to": ZHANG}, LI_SUP),
        ({"action": "accept", "version": ticket["version"]}, ZHOU_ADMIN),
    ]
    results = await asyncio.gather(
        *(
            post(http, desk, path + "/actions", b, headers=tma(who, desk.clock()))
            for b, who in bodies
        )
    )
    assert sorted(status for status, _ in results) == [200, 409]
    loser = next(body for status, body in results if status == 409)
    assert loser["error"] == "changed" and row["number"] in loser["message"]


async def test_login_link_session_and_csrf(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    li = fake.user(LI_SUP)
    await li.command("/dashboard")
    message = await li.wait_for_message(lambda m: PUBLIC_URL in (m.text or ""))
    link = re.search(r"https://desk\.example\.com(/login/\S+)", message.text or "")
    assert link is not None
    # Over https the Mini App button comes too, opening the board.
    [[button]] = message.raw["reply_markup"]["inline_keyboard"]
    assert button["web_app"] == {"url": f"{PUBLIC_URL}/board"}
    path = link.group(1)
    async with http.get(base_url(desk) + path, allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/board"
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    # The Secure cookie is not sent over plain http: hand it over as the browser would on https.
    token = cookie.split(";")[0].split("=", 1)[1]
    jar = {"estatedesk_session": token}
    status, me = await get(http, desk, "/api/me", cookies=jar)
    assert status == 200 and me["csrf"]
    # The link works once.
    async with http.get(base_url(desk) + path, allow_redirects=False) as response:
        assert response.status == 403
        assert zh(desk).t("web.login_used") in await response.text()
    row = await file_ticket(desk, fake.user(OWNER, language_code="en"))
    action = f"/api/tickets/{row['number']}/actions"
    _, ticket = await get(http, desk, f"/api/tickets/{row['number']}", cookies=jar)
    body = {"action": "note", "version": ticket["version"], "text": "call the owner"}
    status, answer = await post(http, desk, action, body, cookies=jar)
    assert status == 403 and answer["error"] == "csrf"
    forged = {"X-CSRF-Token": me["csrf"], "Origin": "https://evil.example"}
    status, answer = await post(http, desk, action, body, cookies=jar, headers=forged)
    assert status == 403 and answer["error"] == "csrf"
    good = {"X-CSRF-Token": me["csrf"], "Origin": PUBLIC_URL}
    status, answer = await post(http, desk, action, body, cookies=jar, headers=good)
    assert status == 200, answer
    # Idle too long: the session is over.
    assert isinstance(desk.clock, FakeClock)
    desk.clock.advance(hours=9)
    assert (await get(http, desk, "/api/me", cookies=jar))[0] == 401


async def test_staff_get_the_dashboard_as_their_menu_button(desk: Desk, fake: FakeBotApi) -> None:
    menus = fake.bot().menu_buttons
    assert menus[LI_SUP] == {
        "type": "web_app",
        "text": zh(desk).t("dashboard.menu"),
        "web_app": {"url": f"{PUBLIC_URL}/board"},
    }
    assert OWNER not in menus and None not in menus  # owners keep the command menu


async def test_owners_are_not_given_a_dashboard(desk: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(OWNER, language_code="en")
    await owner.command("/dashboard")
    await owner.wait_for_message(lambda m: "staff only" in (m.text or ""))
    assert await desk.rows("SELECT * FROM web_logins") == []


async def test_the_dashboard_alone_acts_and_the_bot_sends_the_cards(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    """``python -m bot web`` beside the bot: its own store on the same database; what it
    writes to the outbox, the running bot's worker delivers."""
    from bot.web.standalone import serve

    row = await file_ticket(desk, fake.user(OWNER, language_code="en"), photo=True)
    wang, zhang = fake.user(WANG), fake.user(ZHANG)
    old_card = await card_of(wang, row["number"])
    web = desk.settings.web.model_copy(update={"listen": "127.0.0.1:0"})
    alone = desk.settings.model_copy(update={"web": web})
    stop = asyncio.Event()
    task = asyncio.create_task(serve(alone, stop, clock=desk.clock))
    try:
        port = await _port_of(task)
        url = f"http://127.0.0.1:{port}/api/tickets/{row['number']}"
        auth = tma(LI_SUP, desk.clock())
        async with http.get(url, headers=auth) as response:
            ticket = await response.json()
        async with http.get(url + "/photos/0", headers=auth) as response:
            assert response.status == 200 and response.content_type == "image/jpeg"
            assert await response.read()
        body = {"action": "transfer", "version": ticket["version"], "text": "night", "to": ZHANG}
        async with http.post(url + "/actions", json=body, headers=auth) as response:
            assert response.status == 200, await response.text()
        await card_of(zhang, row["number"])
        await wang.wait_for_edit(old_card.message_id)
    finally:
        stop.set()
        await task


async def _port_of(task: asyncio.Task[None]) -> int:
    from bot.web import standalone

    for _ in range(200):
        if standalone.last_port is not None:
            return standalone.last_port
        assert not task.done(), task
        await asyncio.sleep(0.05)
    raise AssertionError("the standalone dashboard did not start")


async def test_reports_charts_and_exports_keep_to_the_viewers_patch(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    import io
    import zipfile

    from openpyxl import load_workbook

    row = await file_ticket(desk, fake.user(OWNER, language_code="en"))
    li, chen = tma(LI_SUP, desk.clock()), tma(5930127784, desk.clock())  # maintenance, environment
    status, report = await get(http, desk, "/api/reports?period=week", headers=li)
    assert status == 200 and not report["empty"] and report["lines"]
    assert (await get(http, desk, "/api/reports?period=week", headers=tma(WANG, desk.clock())))[
        0
    ] == 403
    for bad in ("someday", "2020-01-01..2026-01-01", "2026-12-01..2026-11-01"):
        status, body = await get(http, desk, f"/api/reports?period={bad}", headers=li)
        assert status == 400 and body["error"] == "bad_period", bad
    async with http.get(
        base_url(desk) + "/api/reports/charts/deadlines?period=week", headers=li
    ) as r:
        assert r.status == 200 and r.content_type == "image/png"
        assert (await r.read()).startswith(b"\x89PNG")
    async with http.get(
        base_url(desk) + "/api/reports/export?period=week&format=xlsx", headers=li
    ) as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(await r.read()), read_only=True)
        numbers = [c[1] for c in book["tickets"].iter_rows(min_row=2, values_only=True)]
        assert numbers == [row["number"]]
    async with http.get(
        base_url(desk) + "/api/reports/export?period=week&format=csv", headers=chen
    ) as r:
        assert r.status == 200 and r.content_type == "application/zip"
        files = zipfile.ZipFile(io.BytesIO(await r.read()))
        tickets = next(n for n in files.namelist() if "tickets" in n)
        # Another department's supervisor gets the header line only.
        assert len(files.read(tickets).decode("utf-8-sig").strip().splitlines()) == 1


async def test_duty_page_data_and_admins_switching_duty(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    status, duty = await get(http, desk, "/api/duty", headers=tma(LI_SUP, desk.clock()))
    assert status == 200 and not duty["admin"]
    harbour = next(r for r in duty["rows"] if "Harbour" in r["estate"] or "海景" in r["estate"])
    assert harbour["now"] and len(harbour["later"]) == 14
    body = {"telegram_id": WANG, "on": False}
    status, answer = await post(http, desk, "/api/duty", body, headers=tma(LI_SUP, desk.clock()))
    assert status == 403 and answer["error"] == "forbidden"
    admin = tma(ZHOU_ADMIN, desk.clock())
    for bad in ({"telegram_id": 1, "on": False}, {"telegram_id": WANG, "on": "no"}, []):
        assert (await post(http, desk, "/api/duty", bad, headers=admin))[0] == 400
    status, answer = await post(http, desk, "/api/duty", body, headers=admin)
    assert status == 200 and answer == {"ok": True, "telegram_id": WANG, "on": False}
    assert WANG in await desk.store.unavailable_staff()
    _, duty = await get(http, desk, "/api/duty", headers=admin)
    assert duty["admin"] and not next(p for p in duty["people"] if p["id"] == WANG)["on"]


async def test_every_action_from_the_dashboard_through_the_desk(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    from datetime import timedelta

    row = await file_ticket(desk, fake.user(OWNER, language_code="en"))
    path = f"/api/tickets/{row['number']}"
    auth = tma(LI_SUP, desk.clock())

    async def act(action: str, **extra: Any) -> tuple[int, Any]:
        _, ticket = await get(http, desk, path, headers=auth)
        body = {"action": action, "version": ticket["version"], **extra}
        return await post(http, desk, path + "/actions", body, headers=auth)

    assert (await act("note", text=""))[1]["error"] == "empty_text"
    assert (await act("note", text="x" * 2001))[1]["error"] == "text_too_long"
    assert (await act("dance"))[1]["error"] == "bad_action"
    for action, extra, status in (
        ("note", {"text": "Owner called, will be home after 14:00"}, "assigned"),
        ("accept", {}, "accepted"),
        ("start", {}, "accepted"),
        ("pause", {}, "accepted"),
        ("resume", {}, "accepted"),
        ("resolve", {"text": "Valve replaced"}, "resolved"),
    ):
        code, answer = await act(action, **extra)
        assert code == 200, (action, answer)
        assert answer["ticket"]["status"] == status, action
    _, ticket = await get(http, desk, path, headers=auth)
    assert "resolve" not in ticket["actions"] and "accept" not in ticket["actions"]
    assert (await act("resolve", text="again"))[1]["error"] == "no_change"
    code, answer = await act("reopen", text="Owner says it drips again")
    assert code == 200 and answer["ticket"]["status"] == "assigned"
    assert all(e["via_dashboard"] for e in answer["ticket"]["timeline"][2:])
    # Resolved again, rated low: the follow-up call is closed from the dashboard.
    await act("accept")
    await act("resolve", text="Washer replaced too")
    [survey] = await desk.store.surveys_pending(row["id"])
    now = desk.clock()
    assert await desk.store.survey_mark(
        survey.id, expect="scheduled", status="sent", column="sent_at", now=now
    )
    assert await desk.store.survey_rate(survey.id, 1, now)
    assert await desk.store.followup_open(survey.id, now + timedelta(hours=24))
    _, ticket = await get(http, desk, path, headers=auth)
    assert "called_back" in ticket["actions"] and ticket["surveys"][0]["rating"] == 1
    code, answer = await act("called_back")  # the call's outcome is asked for, as in Telegram
    assert code == 400 and answer["error"] == "outcome_needed", answer
    code, answer = await act("called_back", text="Owner happy with the new washer")
    assert code == 200 and answer["ticket"]["status"] == "closed", answer
    events = await desk.store.ticket_events(row["id"])
    assert any("Owner happy with the new washer" in str(e.data) for e in events)
    await desk.outbox_settled()


async def test_a_session_ends_when_the_person_leaves_the_staff_list(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    from bot.desk.dashboard import DashboardLogins

    assert desk.runtime is not None and desk.runtime.services is not None
    services = desk.runtime.services
    link = await DashboardLogins(services).issue_link(KAREN)
    assert link is not None
    async with http.get(base_url(desk) + link.removeprefix(PUBLIC_URL), allow_redirects=False) as r:
        token = r.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    jar = {"estatedesk_session": token}
    assert (await get(http, desk, "/api/me", cookies=jar))[0] == 200
    # The admin takes her off the list (config.yaml edited and reloaded).
    staff = [m for m in services.settings.staff if m.telegram_id != KAREN]
    services.settings = services.settings.model_copy(update={"staff": staff})
    status, body = await get(http, desk, "/api/me", cookies=jar)
    assert status == 403 and body["error"] == "forbidden"
    assert await desk.rows("SELECT * FROM web_sessions WHERE telegram_id = ?", KAREN) == []


async def test_a_taken_port_stops_the_start_with_a_clear_reason(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    import socket

    from bot.tg.runtime import CannotStart

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        def on_taken_port(data: dict[str, Any]) -> None:
            data["web"] = {"listen": f"127.0.0.1:{port}"}

        bot = Desk(fake, tmp_path, edit=on_taken_port)
        with pytest.raises(CannotStart, match=f"cannot serve the dashboard on 127.0.0.1:{port}"):
            await bot.start()
        # Everything it had started is stopped again: the database can be opened anew.
        bot.settings = bot.settings.model_copy(
            update={"web": bot.settings.web.model_copy(update={"listen": None})}
        )
        await bot.start()
        await bot.stop()


def test_the_web_command_needs_an_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main
    from tests.harness import ROOT

    monkeypatch.delenv("WEB_LISTEN", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-token")
    assert main(["web", "--config", str(ROOT / "config.yaml")]) == 2
    assert "web.listen is not set" in capsys.readouterr().out
    monkeypatch.setenv("WEB_LISTEN", "localhost:99999")
    assert main(["web", "--config", str(ROOT / "config.yaml")]) == 2
    assert "web.listen: 'localhost:99999' is not host:port" in capsys.readouterr().err
