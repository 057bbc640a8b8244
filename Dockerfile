# sopbot: the Telegram bot in a small image.
#
#   docker build -t sopbot .
#   docker run -d --name sopbot --restart unless-stopped \
#       -e TELEGRAM_BOT_TOKEN=123456:ABC… -v sopbot-data:/data sopbot
#
# The bot's own database lives on the /data volume. The search index and jieba's
# dictionary cache depend only on the SOP files, the lexicon and the code, all of which are
# in the image, so they are built here, once: a container answers about a second after it
# starts. tests/test_dockerfile.py replays these steps without Docker.

# -- build: install sopbot and its dependencies into a virtualenv --------------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# The base image's pip installs into the virtualenv, which so carries no pip of its own.
RUN python -m venv --without-pip /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY knowledge ./knowledge
COPY bot ./bot
RUN python -m pip --python /opt/venv/bin/python install .

# -- runtime: the virtualenv, a non-root user, the index built ------------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SOPBOT_DB=/data/sopbot.db \
    SOPBOT_CORPUS_DIR=/data/corpus \
    SOPBOT_INDEX=/opt/sopbot/index.db \
    SOPBOT_CACHE_DIR=/opt/sopbot/cache
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin sopbot \
    && mkdir -p /data /opt/sopbot \
    && chown sopbot:sopbot /data /opt/sopbot
COPY --from=build /opt/venv /opt/venv
USER sopbot
# Built for the packaged SOP, owned by the bot's user: after `sopbot import` (the corpus
# on /data changed) or taught questions, the bot rebuilds it in place when it next starts.
RUN sopbot index
WORKDIR /data
VOLUME /data
# Settings, database and index (a probe question), without the network: `docker ps` shows
# "unhealthy" when the volume is not writable or the database is from a newer sopbot.
# Generous timings: after an SOP import the index is rebuilt (about 10 s) at start.
HEALTHCHECK --interval=60s --timeout=60s --start-period=60s --retries=3 \
    CMD ["sopbot", "doctor", "--quick"]
CMD ["sopbot", "run"]
