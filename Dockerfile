# EstateDesk: the bot, installed the way the README installs it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PTB_TIMEDELTA=true \
    DATABASE_PATH=/data/estatedesk.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .
COPY flows ./flows
COPY config.yaml ./config.yaml

RUN useradd --system --uid 10001 --home-dir /app estatedesk \
    && mkdir -p /data && chown estatedesk /data
USER estatedesk
VOLUME ["/data"]

# The token comes from the environment: docker run -e TELEGRAM_BOT_TOKEN=... -v desk:/data
CMD ["python", "-m", "bot", "run", "--config", "/app/config.yaml"]
