"""The reference: a bare python-telegram-bot echo bot (no database, no flows).

Every message gets one reply with an inline button; every button press is answered and gets one
message with a button too, so a simulated person can walk the same 7 steps as the intake.
Run as ``python -m bench.echo_bot`` with TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL set
(ECHO_TRANSPORT=aiohttp: over the real bot's HTTP transport instead of PTB's default httpx).
"""

from __future__ import annotations

import os
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.tg.request import AiohttpRequest

MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text back with a button."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(f"echo: {message.text or '…'}", reply_markup=MARKUP)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button press and say so with a new message."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, f"pressed: {query.data}", reply_markup=MARKUP)


def build(token: str, base_url: str | None, transport: str = "httpx") -> Application:  # type: ignore[type-arg]
    """The Application: PTB's defaults (httpx), or the real bot's HTTP transport (aiohttp),
    so our own work per update can be told apart from the transport's."""
    builder = ApplicationBuilder().token(token).concurrent_updates(False)
    if base_url:
        builder = builder.base_url(base_url)
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest(connection_pool_size=256))
        builder = builder.get_updates_request(
            AiohttpRequest(connection_pool_size=1, read_timeout=40.0, retry_pauses=())
        )
    else:
        builder = builder.get_updates_read_timeout(40.0)
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, on_message))
    app.add_handler(CallbackQueryHandler(on_press))
    return app


def main() -> None:
    """Poll until SIGTERM or SIGINT."""
    app = build(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ.get("TELEGRAM_API_BASE_URL"),
        os.environ.get("ECHO_TRANSPORT", "httpx"),
    )
    app.run_polling(
        allowed_updates=ALLOWED_UPDATES, timeout=timedelta(seconds=10), close_loop=False
    )


if __name__ == "__main__":
    main()
