# One image for every process (web, worker, beat); docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# All runtime dependencies ship as binary wheels (psycopg2-binary, shapely with GEOS, numpy, Pillow,
# cryptography), so the slim image needs no compiler or system libraries.
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# collectstatic needs settings to load with DEBUG off; these build-time values are never used at run time.
RUN mkdir -p var \
 && DEBUG=0 \
    SECRET_KEY=build-only-not-secret \
    FIELD_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    FIELD_HASH_KEY=build-only-not-secret \
    AUDIT_CHAIN_KEY=build-only-not-secret \
    AUDIT_SIGNING_KEY=build-only-not-secret \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0

RUN useradd --create-home --uid 1000 app \
 && mkdir -p var/media \
 && chown -R app:app var
USER app

EXPOSE 8000
CMD ["gunicorn", "gridmgmt.wsgi", "--bind", "0.0.0.0:8000", "--threads", "4", "--access-logfile", "-"]
