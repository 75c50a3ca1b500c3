"""Building the python-telegram-bot Application: handlers, command menus, error handling."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

from telegram import BotCommand, BotCommandScopeChat, MenuButtonWebApp, Update, WebAppInfo
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.core.abuse import RateWindow
from bot.core.models import OutboxItem
from bot.desk.announcements import Announcements
from bot.desk.deadlines import DeadlineJobs
from bot.desk.incidents import IncidentDesk
from bot.desk.proposals import IncidentProposals
from bot.desk.submission import Submission
from bot.desk.surveys import SurveyJobs
from bot.desk.tickets import TicketDesk
from bot.tg.announcements import NoticeDesk, NoticeLoop
from bot.tg.buttons import Buttons
from bot.tg.cards import Cards
from bot.tg.dashboard import DashboardCommand
from bot.tg.governor import Governor
from bot.tg.incidents import IncidentChannel
from bot.tg.intake import PHONE, Conversations
from bot.tg.notice_flow import FLOW as NOTICE_FLOW
from bot.tg.notice_flow import NoticeFlow
from bot.tg.outbox import OutboxWorker
from bot.tg.owner import OwnerDesk
from bot.tg.owner_tickets import OwnerTickets
from bot.tg.proposals import ProposalChannel
from bot.tg.reports import ReportsDesk
from bot.tg.request import AiohttpRequest
from bot.tg.services import Services, visitor_of
from bot.tg.staff import StaffDesk
from bot.tg.surveys import OUTCOME_FLOW, SURVEY_FLOW, SurveyDesk
from bot.timer import Timer

log = logging.getLogger(__name__)

OWNER_COMMANDS = ("start", "new", "my", "cancel", "language", "help")
STAFF_COMMANDS = ("queue", "ticket", "duty", "open", "incident", "notice", "stats", "dashboard")
# setMyCommands takes two-letter language codes, so zh-Hant cannot get a menu of its own.
_COMMAND_LANGUAGE_CODES = {"zh-Hans": "zh", "en": "en"}


@dataclass(frozen=True)
class Wiring:
    """The Application and the parts the runtime starts beside it."""

    app: Application  # type: ignore[type-arg]
    desk: TicketDesk
    deadlines: DeadlineJobs
    surveys: SurveyJobs
    outbox: OutboxWorker
    governor: Governor
    notices: NoticeLoop
    incidents: IncidentDesk


def build_application(
    services: Services,
    token: str,
    base_url: str | None,
    timer: Timer,
    outbox_idle: float = 1.0,
    replica: str | None = None,
) -> Wiring:
    """The Application with every handler registered (not yet initialised or started), the
    card renderer the outbox delivers cards with, and the ticket desk the scheduler uses.
    ``replica``: this process's id among replicas, which claim outbox messages by it."""
    # No JobQueue: APScheduler wakes by the wall clock; bot.timer wakes by the bot's clock.
    builder = ApplicationBuilder().token(token).concurrent_updates(False).job_queue(None)
    if base_url:
        builder = builder.base_url(base_url).base_file_url(file_base_url(base_url))
    # 256 connections as PTB's default: the outbox sends to many chats side by side. The long
    # poll has its own connection and back-off (the poller's), so no retries there, and no
    # pacing: only sends and edits count against Telegram's limits.
    pace = services.settings.telegram
    governor = Governor(
        pace.messages_per_second, pace.chat_messages_per_second, pace.group_messages_per_minute
    )
    builder = builder.request(
        AiohttpRequest(connection_pool_size=256, governor=governor, token=token)
    )
    builder = builder.get_updates_request(
        AiohttpRequest(connection_pool_size=1, read_timeout=40.0, retry_pauses=(), token=token)
    )
    app = builder.build()
    # The use cases (bot.desk), then the Telegram side that calls them and sends what they queue.
    ticket_desk = TicketDesk(services)
    deadlines = DeadlineJobs(timer, services, ticket_desk)
    survey_jobs = SurveyJobs(services, ticket_desk, timer)
    # What a ticket change re-plans: its deadlines, then its survey.
    ticket_desk.on_change.extend([deadlines.schedule, survey_jobs.schedule_ticket])
    announcements = Announcements(services)

    async def undeliverable(item: OutboxItem) -> None:
        # A notice to an owner who blocked the bot counts as blocked; a ticket's is handed on.
        if item.message.ticket_id is None:
            await announcements.unreachable(item.id)
        else:
            await ticket_desk.undeliverable(item)

    incident_desk = IncidentDesk(services, ticket_desk)
    # The bot's incident proposals: considered after every new report, drawn as cards.
    proposals = IncidentProposals(services, incident_desk)
    proposal_channel = ProposalChannel(services, proposals)
    cards = Cards(services, ticket_desk, proposals=proposal_channel)
    outbox = OutboxWorker(
        app.bot,
        services,
        cards.deliver,
        idle_poll=outbox_idle,
        undeliverable=undeliverable,
        holder=replica,
    )
    notice_loop = NoticeLoop(app.bot, announcements)
    notices = NoticeDesk(services, announcements, notice_loop)
    submission = Submission(
        services, ticket_desk, reply_now=outbox.deliver_reply, after_filed=[proposals.consider]
    )
    conversations = Conversations(services, submission)
    # /notice alone: the guided conversation, a card flow ending in the form's preview.
    notices.guided = NoticeFlow(services, announcements, conversations)
    conversations.finishers[NOTICE_FLOW] = notices.guided.finish
    tickets = OwnerTickets(services, ticket_desk, conversations)
    staff = StaffDesk(services, ticket_desk, conversations, cards)
    surveys = SurveyDesk(services, ticket_desk, conversations, survey_jobs)
    incidents = IncidentChannel(services, incident_desk, conversations)
    desk = OwnerDesk(services, conversations, tickets, staff, surveys, gate=incidents.owners.gate)
    conversations.finishers.update(tickets.finishers())
    conversations.finishers.update(staff.finishers())
    conversations.finishers[SURVEY_FLOW] = surveys.finish
    conversations.finishers[PHONE] = desk.finish_phone
    conversations.finishers[OUTCOME_FLOW] = surveys.finish_outcome
    conversations.finishers.update(incidents.finishers())
    conversations.after_step.append(incidents.owners.place_gate)
    buttons = Buttons(
        services, desk, tickets, staff, conversations, surveys, notices, incidents, proposal_channel
    )
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", desk.on_start, private))
    app.add_handler(CommandHandler("new", desk.on_new, private))
    app.add_handler(CommandHandler("my", desk.on_my, private))
    app.add_handler(CommandHandler("cancel", desk.on_cancel, private))
    app.add_handler(CommandHandler("language", desk.on_language, private))
    app.add_handler(CommandHandler("help", desk.on_help, private))
    app.add_handler(CommandHandler("queue", staff.on_queue, private))
    app.add_handler(CommandHandler("ticket", staff.on_ticket, private))
    app.add_handler(CommandHandler("duty", staff.on_duty, private))
    app.add_handler(CommandHandler("open", staff.on_open, private))
    app.add_handler(CommandHandler("incident", incidents.on_incident, private))
    app.add_handler(CommandHandler("stats", ReportsDesk(services).on_stats, private))
    app.add_handler(CommandHandler("dashboard", DashboardCommand(services).on_dashboard, private))
    app.add_handler(CommandHandler("notice", notices.on_notice, private))
    app.add_handler(CommandHandler("notices", notices.on_notices, private))
    app.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & filters.COMMAND, desk.on_unknown_command
        )
    )
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, desk.on_message))
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, desk.on_edited))
    app.add_handler(CallbackQueryHandler(buttons.on_callback))
    app.add_handler(TypeHandler(Update, _flood_guard(services)), group=-2)
    # Telegram may deliver an update again after a crash; its id tells us it was handled.
    app.add_handler(TypeHandler(Update, _skip_if_handled(services)), group=-1)
    app.add_handler(TypeHandler(Update, _mark_handled(services)), group=99)
    app.add_error_handler(_error_handler(services))
    return Wiring(
        app, ticket_desk, deadlines, survey_jobs, outbox, governor, notice_loop, incident_desk
    )


def file_base_url(base_url: str) -> str:
    """Where a Bot API server at ``…/bot`` serves files (``…/file/bot``), as Telegram does."""
    root = base_url.rstrip("/")
    return (root.removesuffix("/bot") if root.endswith("/bot") else root) + "/file/bot"


async def register_commands(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Set the command menu in the default language and per language Telegram can tell apart."""
    settings = services.settings

    def commands(lang: str) -> list[BotCommand]:
        return [BotCommand(c, services.catalog.text(lang, f"command.{c}")) for c in OWNER_COMMANDS]

    await app.bot.set_my_commands(commands(settings.default_language))
    for lang in settings.languages:
        code = _COMMAND_LANGUAGE_CODES.get(lang)
        if code:
            await app.bot.set_my_commands(commands(lang), language_code=code)
    # Staff see their own commands too, in their chat only.
    for member in settings.staff:
        lang = member.language or settings.default_language
        staff_menu = commands(lang) + [
            BotCommand(c, services.catalog.text(lang, f"command.{c}")) for c in STAFF_COMMANDS
        ]
        try:
            await app.bot.set_my_commands(staff_menu, scope=BotCommandScopeChat(member.telegram_id))
        except TelegramError as exc:
            # Telegram refuses a chat scope until the person has opened the bot: not fatal.
            log.info("no staff command menu for %s yet: %s", member.telegram_id, exc)
    web = settings.web
    if web.https and web.public_url:
        # Staff get the dashboard as their chat's menu button (Mini Apps need HTTPS).
        for member in settings.staff:
            lang = member.language or settings.default_language
            button = MenuButtonWebApp(
                services.catalog.text(lang, "dashboard.menu"), WebAppInfo(f"{web.public_url}/board")
            )
            try:
                await app.bot.set_chat_menu_button(member.telegram_id, button)
            except TelegramError as exc:
                log.info("no dashboard menu button for %s yet: %s", member.telegram_id, exc)


def _flood_guard(services: Services):  # type: ignore[no-untyped-def]
    """A handler that drops a person's messages past the per-minute limit (staff exempt)."""
    windows: dict[int, RateWindow] = {}

    async def guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        query = update.callback_query
        if user is None or services.settings.staff_member(user.id) is not None:
            return
        if query is None and not _private(update):
            # No handler answers group chatter, so it costs nothing and is not counted against
            # the person's own allowance in their private chat.
            return
        limit = services.settings.limits.messages_per_minute
        window = windows.setdefault(user.id, RateWindow(limit))
        if window.hit(time.monotonic()):
            return
        log.warning(
            "user %s is over the message limit; dropping update %s", user.id, update.update_id
        )
        toast: str | None = None
        if not window.warned and update.effective_chat is not None:
            window.warned = True  # say it once, not once per dropped message
            visitor = await visitor_of(update, services)
            lang = visitor.lang if visitor else services.settings.default_language
            text = services.catalog.text(lang, "limits.slow_down")
            if _private(update):
                await context.bot.send_message(update.effective_chat.id, text)
            else:
                toast = text  # a press in a group: only the presser reads it
        if query is not None:
            with contextlib.suppress(TelegramError):
                await query.answer(toast)
        raise ApplicationHandlerStop

    return guard


def _private(update: Update) -> bool:
    """Whether the update comes from a private chat (the bot speaks in no other on its own)."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def _skip_if_handled(services: Services):  # type: ignore[no-untyped-def]
    """A handler that stops processing of updates already handled."""

    async def skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.update_id > services.handled_before:
            return  # newer than anything handled before this start: cannot be a repeat
        if await services.store.update_handled(update.update_id):
            log.info("update %s was already handled; dropping the repeat", update.update_id)
            raise ApplicationHandlerStop

    return skip


def _mark_handled(services: Services):  # type: ignore[no-untyped-def]
    """A handler that records the update id once every other handler has run."""

    async def mark(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await services.store.mark_update_handled(update.update_id, services.clock())

    return mark


def _error_handler(services: Services):  # type: ignore[no-untyped-def]
    """Log a failed update with its id and tell the person something went wrong."""

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s failed", update_id, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        try:
            visitor = await visitor_of(update, services)
            lang = visitor.lang if visitor else services.settings.default_language
            text = services.catalog.text(lang, "error.generic")
            if _private(update):
                await context.bot.send_message(update.effective_chat.id, text)
            elif update.callback_query is not None:
                # In a group only the presser is told, by a toast: the group hears nothing.
                await update.callback_query.answer(text)
        except Exception:  # the error handler itself must never raise
            log.exception("could not tell chat about the failed update %s", update_id)

    return on_error
