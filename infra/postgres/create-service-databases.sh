#!/usr/bin/env bash
# Docker only: creates one database and one login role per service on first start of the
# postgres container (docker-entrypoint-initdb.d). Native mode does the same from
# tools/infra/src/service-databases.ts. Each role owns only its own database.
set -euo pipefail
create() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$1" -v password="$2" -v db="$3" -v replication="$4" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE %s', :'role', :'password', :'replication') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SQL
}
# Producers may stream their WAL (the log-based relay, RELAY_MODE=logical).
create order_service "${ORDER_DB_PASSWORD:-order_service_dev}" orders REPLICATION
create shipping_service "${SHIPPING_DB_PASSWORD:-shipping_service_dev}" shipping REPLICATION
create email_service "${EMAIL_DB_PASSWORD:-email_service_dev}" email NOREPLICATION

# Debezium's role (docker compose --profile debezium): it may log in, stream the WAL and
# connect to the producers' databases. SELECT on their outbox tables only, granted by the
# compose service connect-grants once the services' migrations have created the tables; no
# default privileges, which would reach every future table, business tables included.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v password="${DEBEZIUM_DB_PASSWORD:-debezium_dev}" <<'SQL'
SELECT format('CREATE ROLE debezium LOGIN REPLICATION PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE', :'password') \gexec
GRANT CONNECT ON DATABASE orders, shipping TO debezium;
SQL
