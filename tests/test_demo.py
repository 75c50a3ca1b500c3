"""``python -m bot demo``: refusals, the page's API against bad input, restart, reset, clock."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image

from bot.demo.safety import DEMO_APPLICATION_ID, REAL_DATABASE, REAL_TELEGRAM
from bot.demo.texts import LANGUAGES, page_texts
from bot.texts import placeholders
from tests.demo_harness import Demo, owner_report_script, running_demo
from tests.harness import ROOT, Desk, Words, read_rows, sqlite_only
from tests.test_e2e_staff import file_ticket
from tests.test_texts_hant import MAINLAND

WAIT = 15.0


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return {**env, "PTB_TIMEDELTA": "true", **extra}


def _demo(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--port", "0", *args],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_page_catalogs_have_same_keys_and_placeholders() -> None:
    reference = page_texts("en")
    for lang in LANGUAGES:
        table = page_texts(lang)
        assert set(table) == set(reference), lang
        for key, text in table.items():
            assert placeholders(text) == placeholders(reference[key]), f"{lang}: {key}"
            assert text.strip(), f"{lang}: {key}"
    hant = page_texts("zh-Hant")  # Hong Kong wording, as the bot's own zh-Hant catalog
    for word, instead in MAINLAND.items():
        assert [k for k, v in hant.items() if word in v] == [], f"{word}: write {instead}"


def test_refuses_a_real_token_in_the_environment() -> None:
    done = _demo(TELEGRAM_BOT_TOKEN="123456:real-looking-token")
    assert done.returncode == REAL_TELEGRAM, done.stderr
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    assert "123456:real-looking-token" not in done.stderr + done.stdout


def test_refuses_a_real_telegram_url() -> None:
    done = _demo(TELEGRAM_API_BASE_URL="https://api.telegram.org/bot")
    assert done.returncode == REAL_TELEGRAM, done.stderr
    assert "api.telegram.org" in done.stderr
    assert "Traceback" not in done.stderr


@sqlite_only
async def test_refuses_a_database_with_real_tickets(desk: Desk, fake: Any) -> None:
    await file_ticket(desk, fake.user(4242, language_code="en"))
    await desk.stop()
    before = desk.db_path.read_bytes()
    done = await asyncio.to_thread(_demo, "--db", str(desk.db_path))
    assert done.returncode == REAL_DATABASE, done.stderr
    assert "1 ticket" in done.stderr and "Traceback" not in done.stderr
    assert desk.db_path.read_bytes() == before  # not marked, not migrated, not touched


def test_refuses_a_database_url() -> None:
    done = _demo("--db", "postgresql://desk@db.example/desk")
    assert done.returncode == REAL_DATABASE, done.stderr
    assert not (ROOT / "postgresql:").exists()  # nothing written where the URL points as a path


async def test_process_prints_the_url_serves_the_page_and_stops(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        "0",
        "--lang",
        "zh-Hant",
        cwd=ROOT,
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        found = re.search(r"http://127\.0\.0\.1:\d+/", line.decode())
        assert found, line
        async with aiohttp.ClientSession() as http:
            async with http.get(found.group(0)) as res:
                assert res.status == 200 and "demo.js" in await res.text()
            async with http.get(found.group(0) + "api/texts") as res:
                assert (await res.json())["lang"] == "zh-Hant"
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 60) == 0
        log = (await proc.stderr.read()).decode()
        folder = re.search(r"database (\S+)/demo\.sqlite3", log)
        assert folder, log
        gone = not await asyncio.to_thread(Path(folder.group(1)).exists)
        assert gone  # the temporary database went with the demo
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# --- the page's API -----------------------------------------------------------------------


def _labels(message: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [
        (r, c, label) for r, row in enumerate(message["buttons"]) for c, label in enumerate(row)
    ]


async def tap(demo: Demo, persona: str, *labels: str, member: str | None = None) -> None:
    """Press the newest button showing one of the labels (whole words), as the page does."""
    pattern = re.compile("(?:^|\\s)(?:" + "|".join(map(re.escape, labels)) + ")(?:\\s|$)")
    for _ in range(int(WAIT / 0.1)):
        chat = (await demo.state(persona))["chat"]
        for message in reversed(chat["messages"]):
            for row, col, label in _labels(message):
                if pattern.search(label):
                    body = {"persona": persona, "action": "press", "message": message["id"]}
                    if member is not None:
                        body["as"] = member
                    status, answer = await demo.post("api/act", {**body, "row": row, "col": col})
                    assert status == 200, answer
                    return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no button {labels} in {persona}: {chat['messages'][-3:]}")


async def shown(demo: Demo, persona: str, needle: str) -> dict[str, Any]:
    """Wait until a message in the persona's chat shows ``needle``."""
    for _ in range(int(WAIT / 0.1)):
        chat = (await demo.state(persona))["chat"]
        for message in chat["messages"]:
            if needle in (message["text"] or ""):
                return dict(message)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{needle!r} not in {persona}'s chat")


async def say(demo: Demo, persona: str, text: str) -> None:
    """Type a message."""
    status, answer = await demo.post(
        "api/act", {"persona": persona, "action": "text", "text": text}
    )
    assert status == 200, answer


async def keyboard_tap(demo: Demo, persona: str, label: str) -> None:
    """Tap a reply-keyboard button once the page shows it."""
    for _ in range(int(WAIT / 0.1)):
        shown_now = [
            b["text"] for row in (await demo.state(persona))["chat"]["keyboard"] for b in row
        ]
        if label in shown_now:
            body = {"persona": persona, "action": "tap", "label": label}
            status, answer = await demo.post("api/act", body)
            assert status == 200, answer
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no keyboard button {label!r} in {persona}'s chat")


async def file_report(demo: Demo, w: Words) -> None:
    """Mrs Chen reports a leak (``owner_report_script``) through the page's API."""
    assert (await demo.post("api/act", {"persona": "owner1", "action": "start"}))[0] == 200
    seen: dict[str, int] = {}
    for step in owner_report_script(w, photo=False):
        if step.kind == "press":
            await tap(demo, "owner1", step.value)
        elif step.kind == "tap":
            await keyboard_tap(demo, "owner1", step.value)
        elif step.kind == "type":
            await say(demo, "owner1", step.value)
        elif step.kind == "see":
            seen[step.value] = (await shown(demo, "owner1", step.value))["id"]
        else:
            body = {"persona": "owner1", "action": "sample", "sample": step.value}
            assert (await demo.post("api/act", {**body, "caption": step.caption}))[0] == 200
    # One card, edited in place from the first question to the summary.
    assert seen[w.t("intake.ask_estate")] == seen[w.t("intake.card_summary")]
    card = next(
        m
        for m in (await demo.state())["chat"]["messages"]
        if m["id"] == seen[w.t("intake.card_summary")]
    )
    assert card["edited"]


def _done(state: dict[str, Any]) -> list[bool]:
    return [step["done"] for step in state["training"]]


async def test_the_report_in_hong_kong_wording(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.sqlite3", lang="zh-Hant") as demo:
        w = Words(demo.session.settings, "zh-Hant")  # the owners' zh-hk is zh-Hant to the bot
        await file_report(demo, w)
        state = await demo.state()
        assert _done(state)[:2] == [True, True]
        assert "報修" in state["training"][1]["text"]  # the page's script, in the new path
        rows = await read_rows(demo.db, None, "SELECT subcategory, language FROM tickets")
        assert rows == [{"subcategory": "burst_pipe", "language": "zh-Hant"}]


async def test_forged_and_bad_requests_get_a_clear_answer(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.sqlite3") as demo:
        await demo.post("api/act", {"persona": "owner1", "action": "start"})
        welcome = await shown(demo, "owner1", "Harbour View")
        emulator = demo.session.need_emulator()
        before = emulator.stats.updates_enqueued
        act = "api/act"
        cases: list[tuple[str, Any, bool, str]] = [
            (act, {"persona": "owner1", "action": "start"}, False, "not one the page sends"),
            (act, ["not", "an", "object"], True, "not one the page sends"),
            (act, {"persona": "mallory", "action": "start"}, True, "no such chat"),
            (act, {"persona": "owner1", "action": "explode"}, True, "not one the page sends"),
            (act, {"persona": "owner1", "action": "text", "text": "  "}, True, "Type a message"),
            (act, {"persona": "owner1", "action": "text", "text": "x" * 10_000}, True, "10000"),
            (
                act,
                {"persona": "owner1", "action": "text", "text": "hi", "reply_to": 999},
                True,
                "no longer in the chat",
            ),
            (
                act,
                {"persona": "owner1", "action": "press", "message": 999, "row": 0, "col": 0},
                True,
                "no longer in the chat",
            ),
            (
                act,
                {
                    "persona": "owner1",
                    "action": "press",
                    "message": welcome["id"],
                    "row": 9,
                    "col": 0,
                },
                True,
                "no longer on the message",
            ),
            (
                act,
                {"persona": "owner1", "action": "press", "message": "1", "row": 0, "col": 0},
                True,
                "not one the page sends",
            ),
            (
                act,
                {"persona": "owner1", "action": "tap", "label": "Delete everything"},
                True,
                "keyboard button",
            ),
            (
                act,
                {"persona": "owner2", "action": "scan", "area": "../../etc"},
                True,
                "no such common area",
            ),
            (
                act,
                {"persona": "owner1", "action": "sample", "sample": "leak", "caption": "x" * 1025},
                True,
                "1024",
            ),
            (
                act,
                {"persona": "owner1", "action": "sample", "sample": "leak", "caption": ["x"]},
                True,
                "not one the page sends",
            ),
            (act, {"persona": "group", "action": "text", "text": "hi"}, True, "Pick who acts"),
            (
                act,
                {"persona": "group", "action": "text", "text": "hi", "as": "owner1"},
                True,
                "Pick who acts",
            ),
            ("api/clock", {"minutes": 7}, True, "10 minutes, 1 hour or 1 day"),
            ("api/clock", {"minutes": 10}, False, "not one the page sends"),
            ("api/reset", {}, False, "not one the page sends"),
        ]
        for path, body, guard, needle in cases:
            status, answer = await demo.post(path, body, guard=guard)
            assert status == 400, (body, answer)
            assert needle in answer["error"], (body, answer)
        async with aiohttp.ClientSession() as http:
            form = aiohttp.FormData({"persona": "owner1"})
            form.add_field("file", b"#!/bin/sh\necho not a picture", filename="x.jpg")
            async with http.post(demo.url + "api/photo", data=form, headers={"X-Demo": "1"}) as r:
                assert r.status == 400 and "not a picture" in (await r.json())["error"]
            form = aiohttp.FormData({"persona": "owner1", "caption": "y" * 2000})
            form.add_field("file", _png(), filename="x.png")
            async with http.post(demo.url + "api/photo", data=form, headers={"X-Demo": "1"}) as r:
                assert r.status == 400 and "2000" in (await r.json())["error"]
            async with http.get(demo.url + "static/..%2F..%2Fsafety.py") as r:
                assert r.status == 404
        assert emulator.stats.updates_enqueued == before  # nothing reached the bot
        assert (await demo.state())["now"].endswith("10:00")  # the clock did not move


LIGHT = "The lobby light keeps flickering"


def _png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(picture, format="PNG")
    return picture.getvalue()


async def test_a_qr_scan_and_a_photo_with_a_caption_fill_the_card(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.sqlite3") as demo:
        w = Words(demo.session.settings, "en")
        status, _ = await demo.post(
            "api/act", {"persona": "owner2", "action": "scan", "area": "hv-1-lobby"}
        )
        assert status == 200
        await shown(demo, "owner2", w.t("intake.ask_what"))  # a report, its place known
        texts = [m["text"] for m in (await demo.state("owner2"))["chat"]["messages"]]
        assert w.t("start.unknown_link") not in texts
        picture = _png()
        async with aiohttp.ClientSession() as http:
            form = aiohttp.FormData({"persona": "owner2", "caption": LIGHT})
            form.add_field("file", picture, filename="wall.png")
            async with http.post(demo.url + "api/photo", data=form, headers={"X-Demo": "1"}) as r:
                assert r.status == 200, await r.text()
            card = await shown(demo, "owner2", w.t("intake.card_summary"))
            # The caption described the problem: the card proposes the rest, edited in place.
            assert w.area("hv-1-lobby") in card["text"]
            assert w.sub("facilities", "lighting") in card["text"]
            assert w.t("flow.photos_summary", count=1) in card["text"]
            assert w.urgency("routine") in card["text"]
            chat = (await demo.state("owner2"))["chat"]
            mine = next(m for m in chat["messages"] if m["photo"])
            assert mine["text"] == LIGHT and not mine["bot"]
            async with http.get(demo.url + "api/file/" + mine["photo"]) as r:
                assert r.status == 200 and (await r.read()) == picture
        cards = [m for m in chat["messages"] if m["bot"] and m["buttons"]]
        assert [c["id"] for c in cards] == [card["id"]]  # one card, not a message per question
        status, _ = await demo.post("api/act", {"persona": "owner2", "action": "sticker"})
        assert status == 200
        for _ in range(100):  # the bot answers the sticker, as it must mid-flow
            chat = (await demo.state("owner2"))["chat"]
            messages = chat["messages"]
            sticker = next((i for i, m in enumerate(messages) if m["sticker"]), len(messages))
            if any(m["bot"] and m["text"] for m in messages[sticker + 1 :]):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(chat["messages"][-3:])
        # Changing a proposal edits the same card in place.
        await tap(demo, "owner2", "✏️ " + w.t("field.urgency"))
        await tap(demo, "owner2", w.urgency("urgent"))
        for _ in range(int(WAIT / 0.1)):
            chat = (await demo.state("owner2"))["chat"]
            now = next(m for m in chat["messages"] if m["id"] == card["id"])
            if w.t("intake.card_summary") in now["text"] and w.urgency("urgent") in now["text"]:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(now)
        assert now["edited"] and w.urgency("routine") not in now["text"]
        cards = [m for m in chat["messages"] if m["bot"] and m["buttons"]]
        assert [c["id"] for c in cards] == [card["id"]]
        await tap(demo, "owner2", w.t("flow.btn_submit"))
        await shown(demo, "owner2", w.t("intake.ask_phone"))
        await keyboard_tap(demo, "owner2", w.t("flow.btn_skip"))
        await shown(demo, "owner2", "HV-")
        rows = await read_rows(
            demo.db,
            None,
            "SELECT area, subcategory, urgency, description, owner_phone FROM tickets",
        )
        assert rows == [
            {
                "area": "hv-1-lobby",
                "subcategory": "lighting",
                "urgency": "urgent",
                "description": LIGHT,
                "owner_phone": None,
            }
        ]
        photos = await read_rows(demo.db, None, "SELECT photos FROM tickets")
        assert len(json.loads(photos[0]["photos"])) == 1


async def test_escalation_restart_and_reset(tmp_path: Path) -> None:
    db = tmp_path / "kept.sqlite3"
    async with running_demo(db) as demo:
        w = Words(demo.session.settings, "en")
        await file_report(demo, w)
        rows = await read_rows(
            demo.db, None, "SELECT estate, building, unit, subcategory, owner_phone FROM tickets"
        )
        phone = "+15550000001"  # Mrs Chen's own (made-up) number, from the share-contact button
        assert rows == [
            {
                "estate": "harbour_view",
                "building": "3",
                "unit": "1502",
                "subcategory": "burst_pipe",
                "owner_phone": phone,
            }
        ]
        state = await demo.state()
        assert _done(state)[:2] == [True, True]
        assert not _done(state)[-1]
        boss = "staff-6021834457"  # 李工, the maintenance supervisor
        count = next(p["count"] for p in state["personas"] if p["key"] == boss)
        assert (await demo.post("api/clock", {"minutes": 60}))[0] == 200  # accept within 30 min
        for _ in range(int(WAIT / 0.1)):
            state = await demo.state(boss)
            if _done(state)[-1]:
                break
            await asyncio.sleep(0.1)
        assert _done(state)[-1], state["training"]  # ticked by the timeline, not by a click
        assert "11:0" in state["now"]
        assert next(p["count"] for p in state["personas"] if p["key"] == boss) > count
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA application_id").fetchone()[0] == DEMO_APPLICATION_ID
    raw.close()
    async with running_demo(db) as demo:  # a restart on the kept database
        state = await demo.state()
        assert _done(state)[1] and _done(state)[-1]  # the ticket and its escalation survived
        status, _ = await demo.post("api/reset", {})
        assert status == 200
        state = await demo.state()
        assert state["generation"] == 1 and not any(_done(state))
        assert state["now"].endswith("10:00") and state["chat"]["messages"] == []


async def test_share_contact_button_answers_the_real_phone_question(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.sqlite3") as demo:
        w = Words(demo.session.settings, "en")
        owner = 910_000_002
        await demo.post("api/act", {"persona": "owner2", "action": "scan", "area": "hv-1-lobby"})
        await shown(demo, "owner2", w.t("intake.ask_what"))
        await say(demo, "owner2", LIGHT)
        await shown(demo, "owner2", w.t("intake.card_summary"))
        await tap(demo, "owner2", w.t("flow.btn_submit"))
        await shown(demo, "owner2", w.t("intake.ask_phone"))  # asked once, after Submit
        share, skip = w.t("flow.btn_share_contact"), w.t("flow.btn_skip")
        page = (await demo.state("owner2"))["chat"]
        assert page["keyboard"] == [
            [{"text": share, "contact": True}],
            [{"text": skip, "contact": False}],
        ]
        bot = demo.session.need_emulator().bot()
        before = bot.stats.updates_enqueued
        forged = {"persona": "owner2", "action": "tap", "label": "📱 +1 555 0100"}
        assert (await demo.post("api/act", forged))[0] == 400  # only the buttons shown
        body = {"persona": "owner2", "action": "tap", "label": share}
        assert (await demo.post("api/act", body))[0] == 200
        assert bot.stats.updates_enqueued == before + 1
        mine = [m for m in bot.chat(owner).messages.values() if not m.from_bot]
        contact = mine[-1].data["contact"]
        assert contact["user_id"] == owner and contact["phone_number"].startswith("+")
        await shown(demo, "owner2", "HV-")
        page = (await demo.state("owner2"))["chat"]
        assert page["keyboard"] == []  # a one-time keyboard hides once used
        assert (
            next(m for m in page["messages"] if m["contact"])["contact"]
            == (contact["phone_number"])
        )
        status, answer = await demo.post("api/act", body)
        assert status == 400 and "keyboard button" in answer["error"]
        rows = await read_rows(demo.db, None, "SELECT area, owner_phone FROM tickets")
        assert rows == [{"area": "hv-1-lobby", "owner_phone": contact["phone_number"]}]
        people = await read_rows(
            demo.db, None, "SELECT phone FROM users WHERE telegram_id = ?", owner
        )
        assert people == [{"phone": contact["phone_number"]}]


async def test_a_call_telegram_would_refuse_is_shown_on_the_page(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.sqlite3") as demo:
        emulator = demo.session.need_emulator()
        token = demo.session.settings.telegram.token
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{emulator.url}{token}/sendMessage", json={"chat_id": 910_000_001, "text": ""}
            ) as res,
        ):
            assert res.status == 400
        refused = (await demo.state())["refused"]
        assert refused == ["sendMessage: text: message text is empty"]
        emulator.take_refused()  # made on purpose: the demo's own check passes


def test_personas_follow_the_config() -> None:
    from bot.config import expand_env, read_yaml, settings_from_data
    from bot.demo.personas import personas

    data = expand_env(read_yaml(ROOT / "config.yaml"), {})
    people = personas(settings_from_data(data), "zh-Hant")
    roles = [(p.role, p.name) for p in people]
    assert roles[:2] == [("owner", "陳女士"), ("owner", "林先生")]
    assert ("engineer", "王强 (王师傅)") in roles and ("supervisor", "李建国 (李工)") in roles
    assert people[-1].role == "group" and people[-1].chat_id == -1001234567890
    # Without a staff group: the first department, its people, and no group chat.
    for dept in data["departments"]:
        dept.pop("group_chat_id", None)
    people = personas(settings_from_data(data), "en")
    assert [p.role for p in people].count("group") == 0
    assert ("supervisor", "李建国 (李工)") in [(p.role, p.name) for p in people]


def test_a_bad_port_or_a_busy_one_is_explained() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--port", "99999"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "not a port number" in done.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bot", "demo", "--port", str(port)],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 4, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr


async def test_an_engineer_accepts_in_the_staff_group(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.sqlite3") as demo:
        w = Words(demo.session.settings, "en")
        await file_report(demo, w)
        group = Words(demo.session.settings, demo.session.settings.default_language)
        await shown(demo, "group", "HV-")
        await tap(demo, "group", group.t("card.btn_accept"), member="staff-7034518826")
        for _ in range(int(WAIT / 0.1)):
            steps = (await demo.state("group"))["training"]
            if next(s["done"] for s in steps if s["role"] == "engineer"):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(steps)
        rows = await read_rows(demo.db, None, "SELECT assignee_id, status FROM tickets")
        assert rows == [{"assignee_id": 7034518826, "status": "accepted"}]


async def test_who_is_on_duty_follows_the_demo_clock(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.sqlite3") as demo:

        def duty(state: dict[str, Any]) -> dict[str, bool]:
            return {p["key"]: p["on_duty"] for p in state["personas"] if p["role"] == "engineer"}

        day, night = "staff-7034518826", "staff-6875203341"  # 王师傅 08:30-18:00, 张伟 22-08
        state = await demo.state()
        assert (duty(state)[day], duty(state)[night]) == (True, False)
        for _ in range(12):  # Thursday 10:00 → 22:00, an hour at a time as the page does
            assert (await demo.post("api/clock", {"minutes": 60}))[0] == 200
        state = await demo.state()
        assert state["now"].endswith("22:00") or state["now"].endswith("22:01")
        assert (duty(state)[day], duty(state)[night]) == (False, True)
