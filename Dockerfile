# Production image for web, worker and beat (docker-compose.yml): the locked runtime
# dependencies only (requirements.lock); test and lint tools are in requirements-dev.lock.
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/app/.venv/bin:$PATH
WORKDIR /app
COPY requirements.lock ./
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY . .
# collectstatic needs settings that parse; the real secret arrives at run time.
RUN DEBUG=0 SECRET_KEY=build-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH \
    python manage.py collectstatic --noinput
RUN useradd --create-home releasehub && mkdir -p var && chown releasehub var
USER releasehub
EXPOSE 8000
