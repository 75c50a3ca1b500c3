"""/dashboard: the Mini App button (over HTTPS) and a one-time login link for a computer."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
    WebAppInfo,
)
from telegram.ext import ContextTypes

from bot.desk.dashboard import DashboardLogins
from bot.tg.services import Services, visitor_of

log = logging.getLogger(__name__)


class DashboardCommand:
    """Staff ask for the dashboard; owners are told it is not for them."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.logins = DashboardLogins(services)

    async def on_dashboard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/dashboard in a private chat."""
        visitor = await visitor_of(update, self.services)
        if visitor is None:
            return
        catalog, lang = self.services.catalog, visitor.lang
        if self.logins.may_sign_in(visitor.id) is None:
            await context.bot.send_message(visitor.chat_id, catalog.text(lang, "refusal.not_staff"))
            return
        web = self.services.settings.web
        link = await self.logins.issue_link(visitor.id)
        if web.public_url is None or link is None:
            text = catalog.text(lang, "dashboard.not_configured")
            await context.bot.send_message(visitor.chat_id, text)
            return
        minutes = int(web.login_link_ttl.total_seconds() // 60)
        lines = [
            catalog.text(lang, "dashboard.intro"),
            catalog.text(lang, "dashboard.link", minutes=minutes, url=link),
        ]
        markup = None
        if web.https:  # Telegram opens Mini Apps over HTTPS only
            button = InlineKeyboardButton(
                catalog.text(lang, "dashboard.btn_open"),
                web_app=WebAppInfo(f"{web.public_url}/board"),
            )
            markup = InlineKeyboardMarkup([[button]])
        await context.bot.send_message(
            visitor.chat_id,
            "\n\n".join(lines),
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        log.info("dashboard: login link issued to %s", visitor.id)
