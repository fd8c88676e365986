# rotation-bot in a container: `docker build -t rotation-bot .` then
#   docker run -d --name rotation-bot --stop-timeout 30 --env-file .env \
#     -v rotation-bot-data:/data rotation-bot
# SIGTERM (docker stop) stops the bot cleanly within ~20 s; --stop-timeout 30 (compose:
# stop_grace_period: 30s) gives it that time, as Docker's default is 10 s.
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
STOPSIGNAL SIGTERM
CMD ["rotation-bot", "run"]
