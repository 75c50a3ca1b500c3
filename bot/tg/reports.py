"""Reports in Telegram: /stats for supervisors, the daily digest, the weekly report and the
monthly public summary.

Scheduled reports follow docs/architecture.md ("Time"): the store remembers the last period each
report was sent for, the due time follows from it, and the timer's entry is only a cache of
that — rebuilt at start-up, harmless when it fires late, early or twice. A report claims its
period in the store before it is sent, so it goes out once across restarts and processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from telegram import Bot, InputMediaPhoto, Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.config.models import StaffMember
from bot.core.language import pick_language
from bot.core.periods import Period, parse_period
from bot.core.scope import reach_of
from bot.reports.builder import Report, build_report
from bot.reports.labelled_charts import report_charts
from bot.reports.messages import public_text, telegram_text
from bot.reports.schedule import (
    REPORT_KINDS,
    ReportKind,
    Run,
    Timing,
    describe,
    latest,
    pending,
    upcoming,
)
from bot.reports.words import Words
from bot.store.reports import EVERYTHING, Scope
from bot.tg.render import send
from bot.tg.services import Services, visitor_of
from bot.timer import Timer

if TYPE_CHECKING:
    from bot.reports.charts import Chart

log = logging.getLogger(__name__)

ALL_CHARTS: tuple[str, ...] = ("opened_by_day", "deadlines", "satisfaction", "heat_map")
PUBLIC_CHARTS: tuple[str, ...] = ("deadlines", "satisfaction")  # no names, no ticket numbers
_TITLES: dict[ReportKind, str] = {
    "daily": "report.daily_title",
    "weekly": "report.weekly_title",
    "monthly": "report.public_title",
}
_SEND_TRIES = 3
_T = TypeVar("_T")


def scope_of(member: StaffMember) -> Scope:
    """What a supervisor's reports cover: their patch, by the rule of bot.core.scope."""
    reach = reach_of(member)
    return Scope(departments=reach.departments, estates=reach.estates)


class ReportsDesk:
    """/stats, and the sending of reports to supervisors and the public channel."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.queries = services.store  # report reads and scheduled-run records

    async def report(self, period: Period, scope: Scope) -> Report:
        """Compute a report now."""
        return await build_report(
            self.queries, self.services.settings, period, self.services.clock(), scope
        )

    # ----- /stats ----------------------------------------------------------------------------

    async def on_stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats [day|week|month|YYYY-MM-DD..YYYY-MM-DD]: supervisors and admins only."""
        visitor = await visitor_of(update, self.services)
        if visitor is None:
            return
        catalog = self.services.catalog
        member = self.services.settings.staff_member(visitor.id)
        if member is None or member.role == "staff":
            # Owners hear it is a staff thing; staff that it is for supervisors.
            key = "refusal.not_staff" if member is None else "refusal.not_supervisor"
            await send(context.bot, visitor.chat_id, catalog.text(visitor.lang, key))
            return
        spec = " ".join(context.args or []) or "day"
        try:
            period = parse_period(spec, self.services.clock(), self.services.settings.tz)
        except ValueError:
            await send(
                context.bot,
                visitor.chat_id,
                catalog.text(visitor.lang, "report.bad_period")
                + "\n"
                + catalog.text(visitor.lang, "report.usage"),
            )
            return
        log.info("user %s asked for statistics %s", visitor.id, period.label)
        report = await self.report(period, scope_of(member))
        await self.deliver(context.bot, visitor.chat_id, visitor.lang, report, "report.title")

    # ----- sending ---------------------------------------------------------------------------

    async def deliver(
        self,
        bot: Bot,
        chat_id: int,
        lang: str,
        report: Report,
        title_key: str,
        charts: Sequence[Chart] | None = None,
    ) -> None:
        """A report to one chat: its text, then its charts as one album."""
        words = Words(self.services.settings, self.services.catalog, lang)
        for text in telegram_text(words, report, title_key):
            await _retrying(partial(send, bot, chat_id, text))
        if report.empty:
            return
        if charts is None:
            charts = await self.charts(report, lang, ALL_CHARTS)
        await self.send_charts(bot, chat_id, charts)

    async def charts(self, report: Report, lang: str, which: Sequence[str]) -> list[Chart]:
        """Draw charts in a worker thread (a few hundred milliseconds of CPU)."""
        return await asyncio.to_thread(
            report_charts, self.services.settings, self.services.catalog, lang, report, which
        )

    @staticmethod
    async def send_charts(bot: Bot, chat_id: int, charts: Sequence[Chart]) -> None:
        """Charts as photos: an album when there are several."""
        if not charts:
            return
        if len(charts) == 1:
            chart = charts[0]
            await _retrying(
                partial(
                    bot.send_photo,
                    chat_id,
                    chart.png,
                    caption=chart.title,
                    filename=f"{chart.name}.png",
                )
            )
            return
        media = [InputMediaPhoto(c.png, caption=c.title, filename=f"{c.name}.png") for c in charts]
        await _retrying(partial(bot.send_media_group, chat_id, media))

    async def lang_of(self, member: StaffMember) -> str:
        """A staff member's language: config, else their choice, else Telegram's."""
        settings = self.services.settings
        if member.language:
            return member.language
        person = await self.services.store.get_person(member.telegram_id)
        return pick_language(
            person.language if person else None,
            person.language_code if person else None,
            settings.languages,
            settings.default_language,
        )

    async def push(self, bot: Bot, run: Run) -> int:
        """Send a scheduled report to everyone it is for; returns how many chats got it."""
        if run.kind == "monthly":
            return await self._push_public(bot, run)
        settings = self.services.settings
        readers = [m for m in settings.staff if m.role in ("supervisor", "admin")]
        reports: dict[Scope, Report] = {}
        drawn: dict[tuple[Scope, str], list[Chart]] = {}
        sent = 0
        for member in readers:
            scope = scope_of(member)
            if scope not in reports:
                reports[scope] = await self.report(run.period, scope)
            report = reports[scope]
            lang = await self.lang_of(member)
            if (scope, lang) not in drawn and not report.empty:
                drawn[(scope, lang)] = await self.charts(report, lang, ALL_CHARTS)
            try:
                await self.deliver(
                    bot,
                    member.telegram_id,
                    lang,
                    report,
                    _TITLES[run.kind],
                    drawn.get((scope, lang), []),
                )
                sent += 1
            except Forbidden:
                log.info(
                    "%s report not delivered to %s: they have not opened the bot",
                    run.kind,
                    member.telegram_id,
                )
            except TelegramError:
                log.exception("%s report not delivered to %s", run.kind, member.telegram_id)
        return sent

    async def _push_public(self, bot: Bot, run: Run) -> int:
        channel = self.services.settings.reports.public_channel_id
        if channel is None:
            return 0
        lang = self.services.settings.default_language
        report = await self.report(run.period, EVERYTHING)
        words = Words(self.services.settings, self.services.catalog, lang)
        try:
            for text in public_text(words, report):
                await _retrying(partial(send, bot, channel, text))
            if not report.empty:
                await self.send_charts(bot, channel, await self.charts(report, lang, PUBLIC_CHARTS))
        except TelegramError:
            log.exception("monthly summary not delivered to channel %s", channel)
            return 0
        return 1


async def _retrying(call: Callable[[], Awaitable[_T]]) -> _T:
    """A Bot API call, tried again after flood limits and network trouble."""
    for attempt in range(1, _SEND_TRIES + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == _SEND_TRIES:
                raise
            wait = exc.retry_after
            await asyncio.sleep(wait.total_seconds() if isinstance(wait, timedelta) else wait)
        except Forbidden:
            raise
        except NetworkError:
            if attempt == _SEND_TRIES:
                raise
            await asyncio.sleep(attempt)
    raise AssertionError("unreachable")


class ReportJobs:
    """The scheduled reports' jobs, derived from the store's record of what was sent."""

    def __init__(self, timer: Timer, bot: Bot, services: Services, desk: ReportsDesk) -> None:
        self.timer = timer
        self.bot = bot
        self.services = services
        self.desk = desk
        self.queries = desk.queries
        reports = services.settings.reports
        self.timing = Timing(reports.digest_time, reports.weekly_day, services.settings.tz)

    def kinds(self) -> list[ReportKind]:
        """The reports config.yaml asks for."""
        reports = self.services.settings.reports
        wanted = {
            "daily": reports.daily_digest,
            "weekly": reports.weekly_report,
            "monthly": reports.public_channel_id is not None,
        }
        return [k for k in REPORT_KINDS if wanted[k]]

    async def start(self) -> None:
        """Schedule each report's next run (at once, if one came due while the bot was down)."""
        now = self.services.clock()
        for kind in self.kinds():
            if await self.queries.last_run(kind) is None:
                # First start: begin with the next due time instead of a report at install.
                await self.queries.claim_run(kind, latest(kind, now, self.timing).key)
            last = await self.queries.last_run(kind)
            run = pending(kind, last, now, self.timing)
            if run is not None:
                log.info("scheduler: %s report missed while down; sending now", describe(run))
                self._at(kind, now)
            else:
                self._next(kind)

    def _next(self, kind: ReportKind) -> None:
        run = upcoming(kind, self.services.clock(), self.timing)
        self._at(kind, run.due)
        log.info("scheduler: next %s", describe(run))

    def _at(self, kind: ReportKind, when: datetime) -> None:
        async def run() -> None:
            try:
                await self.fire(self.bot, kind)
            except Exception:  # a failing report must not stop the next one being scheduled
                log.exception("scheduled %s report failed", kind)
            self._next(kind)

        self.timer.at(f"report:{kind}", when, run)

    async def fire(self, bot: Bot, kind: ReportKind) -> Run | None:
        """Send the report that is due now, unless it was sent already; returns it if sent."""
        last = await self.queries.last_run(kind)
        run = pending(kind, last, self.services.clock(), self.timing)
        if run is None or not await self.queries.claim_run(kind, run.key):
            return None
        sent = await self.desk.push(bot, run)
        log.info("%s report for %s sent to %d chats", kind, run.period.label, sent)
        return run


async def schedule_reports(timer: Timer, bot: Bot, services: Services) -> ReportJobs:
    """Start the daily digest, weekly report and monthly summary jobs (call at start-up)."""
    jobs = ReportJobs(timer, bot, services, ReportsDesk(services))
    await jobs.start()
    return jobs
