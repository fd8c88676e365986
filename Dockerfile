# rotation-bot in a container: `docker build -t rotation-bot .` then
#   docker run -d --name rotation-bot --env-file .env -v rotation-bot-data:/data rotation-bot
# The database (chats, subscriptions, alerts, outbox, price cache) lives in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/rotation-bot.sqlite \
    CACHE_DIR=/data/cache \
    MPLCONFIGDIR=/data/cache/matplotlib

RUN useradd --create-home --uid 10001 rotation \
    && mkdir -p /data && chown rotation /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY market ./market
COPY signals ./signals
COPY storage ./storage
RUN pip install .

USER rotation
VOLUME ["/data"]
CMD ["rotation-bot", "run"]
