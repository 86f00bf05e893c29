# The image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY config ./config
COPY moderation ./moderation
COPY classifier ./classifier
COPY training ./training
COPY workers ./workers
COPY manage.py ./
RUN pip install --no-cache-dir -c constraints.txt . \
    && DJANGO_SETTINGS_MODULE=config.settings.base python manage.py collectstatic --noinput

# The volumes mounted under var/ (models, metrics) start with these folders' owner.
RUN useradd --system --uid 1000 toxmod && mkdir -p /app/var/models /app/var/prometheus \
    && chown -R toxmod /app/var
USER toxmod
EXPOSE 8000
