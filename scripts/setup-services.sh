#!/usr/bin/env bash
# Make this machine ready for erpcap's tests: Debian packages, PostgreSQL with
# pg_stat_statements preloaded and HypoPG, and the local services (PostgreSQL, MariaDB,
# Redis, RabbitMQ) running on loopback. Idempotent: a ready machine takes a second or two.
set -euo pipefail

log() { printf 'setup: %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "not root and no sudo: install and start the services by hand (see docs/testing.md)"; exit 0
  fi
fi

# -- Debian packages -------------------------------------------------------------------
PG_MAJOR=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1 || true)
PG_MAJOR=${PG_MAJOR:-15}
want=()
dpkg -s "postgresql-${PG_MAJOR}-hypopg" >/dev/null 2>&1 || want+=("postgresql-${PG_MAJOR}-hypopg")
command -v chromium >/dev/null 2>&1 || want+=(chromium)
# CJK fonts so that headless Chromium renders the zh-CN report readably.
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || want+=(fonts-noto-cjk)
# The slow-SQL benchmark's yardsticks (benchmarks/bench_sql.py); no daemons.
command -v pgbadger >/dev/null 2>&1 || want+=(pgbadger)
command -v pt-query-digest >/dev/null 2>&1 || want+=(percona-toolkit)
if [ ${#want[@]} -gt 0 ]; then
  log "installing ${want[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi

# Prometheus and its exporters (the prometheus collector's tests start their own on free
# loopback ports): installed, but their packaged daemons must not run on the default ports.
prom_want=()
for pkg in prometheus prometheus-node-exporter prometheus-postgres-exporter prometheus-mysqld-exporter; do
  # (dpkg -s also succeeds for a removed package whose configuration files remain)
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' || prom_want+=("$pkg")
done
if [ ${#prom_want[@]} -gt 0 ]; then
  log "installing ${prom_want[*]} (their daemons left stopped)"
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then  # invoke-rc.d then starts nothing during the install
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    made_policy=yes
  fi
  prom_install() {
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=300 "${prom_want[@]}" >/dev/null
  }
  prom_ok=yes
  prom_install || { $SUDO apt-get update -qq && prom_install; } || prom_ok=""
  [ -n "$made_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d
  [ -n "$prom_ok" ] || { log "could not install ${prom_want[*]}"; exit 1; }
  # Stop anything that started all the same (systemd units are enabled at install; a
  # policy-rc.d that was already there may allow starts).
  for unit in prometheus prometheus-node-exporter prometheus-postgres-exporter prometheus-mysqld-exporter; do
    if [ -d /run/systemd/system ]; then
      $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$unit" ]; then
      $SUDO "/etc/init.d/$unit" stop >/dev/null 2>&1 || true
    fi
  done
fi

# -- PostgreSQL ------------------------------------------------------------------------
AS_PG="runuser -u postgres --"; [ -n "$SUDO" ] && AS_PG="sudo -u postgres"
psql_su() { PGOPTIONS="-c client_min_messages=warning" $AS_PG psql -X -q -v ON_ERROR_STOP=1 "$@"; }
pg_start() { $SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" main "$1" >/dev/null; }
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  log "starting PostgreSQL ${PG_MAJOR}"
  pg_start start || true
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
preload=$(psql_su -d postgres -Atc "SHOW shared_preload_libraries")
if [[ "$preload" != *pg_stat_statements* ]]; then
  log "preloading pg_stat_statements (restarts PostgreSQL)"
  new=${preload:+$preload,}pg_stat_statements
  psql_su -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = '${new}'"
  pg_start restart
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# Extensions in template1 reach every database the tests create.
for db in template1 postgres; do
  psql_su -d "$db" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS hypopg"
done

# -- MariaDB, Redis, RabbitMQ ----------------------------------------------------------
if ! mariadb-admin -uroot ping >/dev/null 2>&1; then
  log "starting MariaDB"
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
# performance_schema (the mysql collector's statement digests) can only be switched on at
# server start: a config file, and one restart when the running server has it off.
MY_CONF_DIR=/etc/mysql/mariadb.conf.d
if [ -d /etc/mysql ]; then
  $SUDO mkdir -p "$MY_CONF_DIR"
  if ! grep -qs "^!includedir $MY_CONF_DIR" /etc/mysql/my.cnf; then
    printf '\n!includedir %s/\n' "$MY_CONF_DIR" | $SUDO tee -a /etc/mysql/my.cnf >/dev/null
  fi
  printf '# written by erpcap scripts/setup-services.sh\n[mysqld]\nperformance_schema = ON\n' \
    | $SUDO tee "$MY_CONF_DIR/90-erpcap.cnf" >/dev/null
fi
mariadb_up() { mariadb-admin -uroot ping >/dev/null 2>&1; }
for _ in $(seq 1 60); do mariadb_up && break; sleep 0.5; done
if [ "$($SUDO mariadb -uroot -N -B -e 'SELECT @@performance_schema' 2>/dev/null)" = 0 ]; then
  log "switching on performance_schema (restarts MariaDB)"
  $SUDO mariadb-admin -uroot shutdown
  for _ in $(seq 1 60); do pgrep -x mariadbd >/dev/null || break; sleep 0.5; done
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do mariadb_up && break; sleep 0.5; done
  if [ "$($SUDO mariadb -uroot -N -B -e 'SELECT @@performance_schema' 2>/dev/null)" != 1 ]; then
    log "MariaDB still has performance_schema off: put performance_schema=ON under [mysqld]"
  fi
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  log "starting Redis"
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  log "starting RabbitMQ"
  $SUDO rabbitmq-server -detached
fi
# Wait for the brokers to accept connections.
for _ in $(seq 1 60); do
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && break
  sleep 1
done
log "ready: PostgreSQL ${PG_MAJOR} (pg_stat_statements, hypopg), MariaDB, Redis, RabbitMQ, chromium"
