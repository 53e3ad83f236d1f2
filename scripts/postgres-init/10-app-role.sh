#!/bin/sh
# Run once by the postgres image, on an empty volume (/docker-entrypoint-initdb.d): the role
# the app connects as. It owns nothing, so it can neither alter a table nor drop or disable a
# trigger; `manage.py db_roles --apply` (the web service, after `migrate`) grants it its rows.
# POSTGRES_USER owns the database and runs the migrations. docs/security.md, "Database roles".
set -eu
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="$APP_DB_USER" -v password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
SQL
