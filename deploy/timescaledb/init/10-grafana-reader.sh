#!/usr/bin/env bash
# Creates grafana_reader, the read-only role Grafana's 指标库 datasource logs in with
# (deploy/grafana/provisioning/datasources). Run once by the image's entrypoint when the data
# volume is new (docker-compose.yml mounts it into /docker-entrypoint-initdb.d, after
# TimescaleDB's own init scripts), as POSTGRES_USER: the role the services migrate the schema
# with, so the default privileges below cover every table the migrations create later.
# The password comes from GRAFANA_DB_PASSWORD (the .env file), never from this script.
set -euo pipefail

: "${GRAFANA_DB_PASSWORD:?set GRAFANA_DB_PASSWORD: the password of the grafana_reader role}"

# psql's :'var' quotes the password as a literal, whatever characters it has.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v reader_password="$GRAFANA_DB_PASSWORD" -v owner="$POSTGRES_USER" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE grafana_reader LOGIN PASSWORD :'reader_password';
-- Even a query a person edits in Grafana cannot write, and a runaway one is stopped.
ALTER ROLE grafana_reader SET default_transaction_read_only = on;
ALTER ROLE grafana_reader SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE :"db" TO grafana_reader;
GRANT USAGE ON SCHEMA public TO grafana_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO grafana_reader;
-- Tables, views and continuous aggregates the migrations create from now on.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO grafana_reader;
SQL
