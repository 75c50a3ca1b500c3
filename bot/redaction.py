"""Keeping the bot token out of every text that leaves the process: errors, logs, the database.

Telegram puts the token in the path of every Bot API URL (``…/bot<token>/sendMessage``), and
HTTP libraries quote the URL in their error messages. Whoever holds the token controls the bot,
so a text that may carry a URL goes through :func:`redact` before it is printed, logged or stored.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

REDACTED = "<token>"
# What a token looks like (bot id, colon, 35 characters): also caught when nobody said which.
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


def redact(text: str, *tokens: str) -> str:
    """The text with the given tokens (plain or URL-quoted) and anything token-shaped blanked."""
    for token in tokens:
        if not token:
            continue
        for form in dict.fromkeys((token, quote(token), quote(token, safe=""))):
            text = text.replace(form, REDACTED)
    return _TOKEN_SHAPE.sub(REDACTED, text)


class TokenFilter(logging.Filter):
    """Blanks the token in a log record's message, arguments and traceback before it is shown."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record is the handler's to report
            return True
        record.msg, record.args = redact(message, self.token), None
        if record.exc_info and not record.exc_text:
            # Formatted here, so the handler's formatter shows the cleaned text as it is.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


def hide_token_in_logs(token: str, *handlers: logging.Handler) -> None:
    """Install :class:`TokenFilter` on the handlers (default: the root logger's)."""
    for handler in handlers or tuple(logging.getLogger().handlers):
        if not any(isinstance(f, TokenFilter) and f.token == token for f in handler.filters):
            handler.addFilter(TokenFilter(token))
