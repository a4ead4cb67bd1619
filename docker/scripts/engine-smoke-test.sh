#!/bin/bash
# Proves an engine image without bbf-entrypoint: run it as
#   docker run --rm -p 127.0.0.1::1433 -v "$PWD/docker/scripts/engine-smoke-test.sh:/smoke.sh:ro" \
#     --entrypoint /bin/bash IMAGE /smoke.sh
# It initdbs a scratch cluster in /tmp, starts postgres with babelfishpg_tds,
# creates the extensions, initializes Babelfish (multi-db) and keeps the server
# in the foreground, so TDS clients can connect to port 1433 (login
# babelfish_user / SMOKE_PASSWORD, default Smoke-Test-1).
set -euo pipefail
password="${SMOKE_PASSWORD:-Smoke-Test-1}"
data=/tmp/smoke-data
postgres --version
initdb -D "$data" -U postgres --locale=C.UTF-8 -E UTF8 --auth-local=trust --auth-host=md5
{
    echo "shared_preload_libraries = 'babelfishpg_tds'"
    echo "listen_addresses = '*'"
    echo "unix_socket_directories = '/tmp'"
} >> "$data/postgresql.conf"
echo "host all all 0.0.0.0/0 md5" >> "$data/pg_hba.conf"
pg_ctl -D "$data" -l /tmp/smoke-server.log -w start
sql() { psql -h /tmp -U postgres -v ON_ERROR_STOP=1 -X -q "$@"; }
sql -d postgres -c "CREATE USER babelfish_user WITH SUPERUSER CREATEDB CREATEROLE PASSWORD '$password' INHERIT" \
    -c "CREATE DATABASE babelfish_db OWNER babelfish_user"
sql -d babelfish_db -c "CREATE EXTENSION babelfishpg_tds CASCADE" \
    -c "GRANT ALL ON SCHEMA sys TO babelfish_user" \
    -c "ALTER SYSTEM SET babelfishpg_tsql.database_name = 'babelfish_db'" \
    -c "ALTER SYSTEM SET babelfishpg_tsql.migration_mode = 'multi-db'" \
    -c "SELECT pg_reload_conf()"
sql -d babelfish_db -c "CALL sys.initialize_babelfish('babelfish_user')"
sql -d babelfish_db -At -c "SELECT extname || ' ' || extversion FROM pg_extension ORDER BY 1"
echo "SMOKE READY: Babelfish initialized; TDS on port 1433"
pg_ctl -D "$data" -m fast -w stop
exec postgres -D "$data"
