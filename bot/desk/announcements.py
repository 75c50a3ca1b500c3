"""Notices to owners (公告) as use cases: draft, send or schedule, fan out, count, opt out.

A notice goes to the owners known in its scope by their remembered homes, each once, in their
language, through the outbox at ``Priority.BULK`` (below every answer, card and relay), so a
broadcast never delays anyone who is acting. Due times live in the database: ``tick`` (run
by the channel every couple of seconds and at start) claims the notices whose send time has
come (a compare-and-set, so of several replicas one sends), queues late joiners of the active
ones until they expire, and reports where each stands. Channel-neutral: no PTB, no SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from bot.core.announcements import (
    FormError,
    Notice,
    NoticeCounts,
    build,
    owner_text,
    parse_form,
    preview_text,
    status_text,
)
from bot.core.language import pick_language
from bot.core.models import Outgoing, Priority
from bot.desk.context import DeskServices

Refusal = Literal["not_staff", "not_manager", "other_estate"]
Outcome = Literal["sending", "scheduled", "cancelled", "gone", "not_yours", "expired", "done"]


@dataclass(frozen=True)
class Draft:
    """A form read: the stored draft and its preview, or the refusal to show instead."""

    notice: Notice | None
    text: str
    code: str | None = None  # the FormError's code when a check refused it


@dataclass(frozen=True)
class Progress:
    """A notice being sent, its counts, and the sender's status text."""

    notice: Notice
    counts: NoticeCounts
    text: str


class Announcements:
    """The notices use cases, for every channel (Telegram, the dashboard)."""

    def __init__(self, services: DeskServices) -> None:
        self.services = services

    def refusal(self, telegram_id: int, estate: str | None = None) -> Refusal | None:
        """Why someone may not send notices (to ``estate``), or None: supervisors and admins,
        each within the estates of their patch."""
        member = self.services.settings.staff_member(telegram_id)
        if member is None:
            return "not_staff"
        if member.role not in ("supervisor", "admin"):
            return "not_manager"
        if estate is not None and member.role != "admin" and not member.works_in(estate):
            return "other_estate"
        return None

    def t(self, lang: str, key: str, **params: object) -> str:
        """A catalog text."""
        return self.services.catalog.text(lang, key, **params)

    async def draft(self, sender: int, lang: str, raw: str) -> Draft:
        """Read a sender's form; store it as a draft and preview it, or say what is wrong."""
        refused = self.refusal(sender)
        if refused is not None:
            return Draft(None, self.t(lang, f"notice.refused_{refused}"))
        now = self.services.clock()
        notice, error = parse_form(raw, self.services.settings, now, sender)
        if error is not None or notice is None:
            draft = self._refused(lang, error)
            return replace(draft, text=draft.text + "\n\n" + self.t(lang, "notice.form_hint"))
        return await self._keep(sender, lang, notice)

    async def draft_answers(
        self, sender: int, lang: str, fields: Mapping[str, str], texts: Mapping[str, str]
    ) -> Draft:
        """The guided conversation's answers (as the form's fields): the same checks, the
        same draft and preview as a typed form."""
        refused = self.refusal(sender)
        if refused is not None:
            return Draft(None, self.t(lang, f"notice.refused_{refused}"))
        now = self.services.clock()
        notice, error = build(fields, texts, self.services.settings, now, sender)
        if error is not None or notice is None:
            return self._refused(lang, error)
        return await self._keep(sender, lang, notice)

    def _refused(self, lang: str, error: FormError | None) -> Draft:
        """Why a form or the conversation's answers cannot be a notice."""
        code = error.code if error is not None else "empty"
        params = error.params if error is not None else {}
        return Draft(None, self.t(lang, f"notice.err_{code}", **params), code)

    async def _keep(self, sender: int, lang: str, notice: Notice) -> Draft:
        """Store a checked notice as a draft and preview it (or refuse another patch)."""
        now = self.services.clock()
        refused = self.refusal(sender, notice.estate)
        if refused is not None:
            return Draft(None, self.t(lang, f"notice.refused_{refused}"))
        notice_id = await self.services.store.add_notice(notice)
        notice = replace(notice, id=notice_id)
        reach = await self.services.store.notice_reach(notice)
        text = preview_text(notice, self.services.settings, self.services.catalog, lang, now, reach)
        return Draft(notice, text)

    async def confirm(self, sender: int, notice_id: int) -> tuple[Outcome, Notice | None]:
        """[Send] on a preview: schedule the draft (its send time may be now)."""
        store = self.services.store
        notice = await store.get_notice(notice_id)
        if notice is None:
            return "gone", None
        if notice.created_by != sender or self.refusal(sender, notice.estate) is not None:
            return "not_yours", notice
        if notice.status != "draft":
            return ("cancelled" if notice.status == "cancelled" else "done"), notice
        now = self.services.clock()
        if notice.expires_at <= now:
            return "expired", notice
        if not await store.notice_status(notice_id, ("draft",), "scheduled", now):
            return "done", await store.get_notice(notice_id)
        outcome: Outcome = "scheduled" if notice.send_at > now else "sending"
        return outcome, replace(notice, status="scheduled")

    async def cancel(self, sender: int, notice_id: int) -> tuple[Outcome, Notice | None]:
        """[Cancel] on a preview or a scheduled notice (by its sender or an admin): it is
        never sent."""
        store = self.services.store
        notice = await store.get_notice(notice_id)
        if notice is None:
            return "gone", None
        member = self.services.settings.staff_member(sender)
        admin = member is not None and member.role == "admin"
        if notice.created_by != sender and not admin:  # its sender, or an admin, calls it off
            return "not_yours", notice
        now = self.services.clock()
        if await store.notice_status(notice_id, ("draft", "scheduled"), "cancelled", now):
            return "cancelled", replace(notice, status="cancelled")
        return ("cancelled" if notice.status == "cancelled" else "done"), notice

    async def tick(self) -> list[Progress]:
        """Send what is due, queue late joiners, and say where each active notice stands."""
        store = self.services.store
        now = self.services.clock()
        progress = []
        for notice in await store.notices_due(now):
            if notice.expires_at <= now:
                # Its time passed while no bot ran: nobody gets it, and the sender is told.
                if await store.notice_status(notice.id, ("scheduled",), "expired", now):
                    progress.append(await self._progress(replace(notice, status="expired")))
                continue
            # Of several replicas (or a tick and a restart) one claims it and sends it.
            await store.notice_status(notice.id, ("scheduled",), "active", now)
        for notice in await store.notices_active(now):
            await self.fan_out(notice)
            progress.append(await self._progress(notice))
        return progress

    async def _progress(self, notice: Notice) -> Progress:
        """Where a notice stands, in its sender's words."""
        counts = await self.services.store.notice_counts(notice.id)
        lang = await self._lang_of(notice.created_by)
        now = self.services.clock()
        text = status_text(notice, counts, self.services.settings, self.services.catalog, lang, now)
        return Progress(notice, counts, text)

    async def fan_out(self, notice: Notice) -> int:
        """Queue the notice for every owner in scope who has not had it; how many were queued."""
        store = self.services.store
        settings = self.services.settings
        now = self.services.clock()
        audience = await store.notice_audience(notice)
        if not audience:
            return 0
        texts: dict[str, str] = {}
        messages = []
        for owner, chosen, code in audience:
            lang = pick_language(chosen, code, settings.languages, settings.default_language)
            if lang not in texts:
                texts[lang] = owner_text(notice, settings, self.services.catalog, lang, now)
            # Emergencies too: at NOTICE thousands of rows would queue ahead of relays and
            # surveys (a chat's head is picked by priority, then id).
            messages.append(Outgoing(owner, texts[lang], priority=Priority.BULK))
        queued = await store.notice_fanout(notice.id, messages, now)
        if queued:
            self.services.bell.ring()
        return queued

    async def status(self, notice_id: int, lang: str) -> str | None:
        """The sender's status text of one notice, or None if there is none."""
        store = self.services.store
        notice = await store.get_notice(notice_id)
        if notice is None:
            return None
        counts = await store.notice_counts(notice_id)
        now = self.services.clock()
        return status_text(notice, counts, self.services.settings, self.services.catalog, lang, now)

    async def recent(self, sender: int, lang: str) -> str:
        """The latest notices in the sender's patch with their counts (``/notice`` alone)."""
        store = self.services.store
        now = self.services.clock()
        lines = []
        for notice in await store.notices_recent(10):
            if self.refusal(sender, notice.estate) is not None:
                continue
            counts = await store.notice_counts(notice.id)
            lines.append(
                "• "
                + status_text(
                    notice, counts, self.services.settings, self.services.catalog, lang, now
                )
            )
        if not lines:
            return self.t(lang, "notice.recent_none")
        return self.t(lang, "notice.recent_head") + "\n" + "\n".join(lines[:5])

    async def unreachable(self, outbox_id: int) -> bool:
        """An owner blocked the bot: count their delivery as blocked (not failed)."""
        return await self.services.store.notice_unreachable(outbox_id)

    async def set_off(self, owner: int, off: bool) -> None:
        """An owner turns non-urgent notices off or on again."""
        await self.services.store.set_notices_off(owner, off, self.services.clock())

    async def is_off(self, owner: int) -> bool:
        """Whether an owner turned non-urgent notices off."""
        return await self.services.store.notices_off(owner)

    async def _lang_of(self, telegram_id: int) -> str:
        """The language to write to someone in."""
        settings = self.services.settings
        member = settings.staff_member(telegram_id)
        if member is not None and member.language:
            return member.language
        person = await self.services.store.get_person(telegram_id)
        return pick_language(
            person.language if person else None,
            person.language_code if person else None,
            settings.languages,
            settings.default_language,
        )
