# syntax=docker/dockerfile:1.7
# LeadEngine API image: `leadengine serve` by default; the same image runs `leadengine worker`,
# `leadengine db upgrade` (the release step) and `leadengine-broker-sim`.
#
#   docker build -t leadengine .
#   docker run --rm -p 8000:8000 -e DATABASE_URL=postgresql://… -e JWT_SECRET=… leadengine
#
# Two stages: the build stage resolves the locked dependencies with uv; the runtime stage holds
# only the virtual environment (no uv, no compilers, no sources) and runs as a non-root user.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src

# Third-party dependencies first, from the lock file and the members' metadata only, so this
# layer is rebuilt when dependencies change, not on every source edit.
COPY pyproject.toml uv.lock ./
COPY packages/core/pyproject.toml packages/core/
COPY packages/contracts/pyproject.toml packages/contracts/
COPY packages/shared/pyproject.toml packages/shared/
COPY packages/storage/pyproject.toml packages/storage/
COPY packages/integrations/pyproject.toml packages/integrations/
COPY apps/api/pyproject.toml apps/api/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --all-packages --all-extras --no-install-workspace

# Then our wheels, installed (not editable) into the same environment.
COPY packages packages
COPY apps apps
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --all-packages --all-extras --no-editable


FROM python:${PYTHON_VERSION}-slim AS runtime
RUN groupadd --system --gid 10001 leadengine \
    && useradd --system --uid 10001 --gid leadengine --home-dir /app --shell /usr/sbin/nologin leadengine \
    && mkdir -p /app /var/lib/whatsapp/sessions \
    && chown leadengine:leadengine /app /var/lib/whatsapp/sessions
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
USER leadengine:leadengine
EXPOSE 8000
# Liveness only: /healthz answers while the process serves. Orchestrators should also probe
# /ready (database reachable and migrated) before sending traffic.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=2)"]
CMD ["leadengine", "serve"]
