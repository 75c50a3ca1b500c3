"""The web channel: the supervisor dashboard and Telegram Mini App (aiohttp.web + Jinja2).

It acts only through the use cases (``bot.desk``) and the storage interfaces, like the
Telegram adapter beside it, and never through Telegram handlers.
"""
