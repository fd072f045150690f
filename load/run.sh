#!/usr/bin/env bash
# make load: the application under gunicorn with production settings against the
# PostgreSQL database ctg_load, driven from a second process on 127.0.0.1 for a
# bounded time, then a check that every acknowledged write is in the database.
# By hand, not in CI. Variables: LOAD_USERS (200 from make, 50 here), LOAD_DURATION (60s), LOAD_PORT
# (8765), LOAD_SCALE (scale data set size, 130 conventions), LOAD_WORKERS (cores + 1),
# LOAD_THREADS (4), LOAD_THINK (seconds between a user's requests, 5-15), LOAD_SPAWN_RATE
# (logins per second, 1),
# LOAD_DATABASE_URL, LOAD_REDIS_URL. The client runs on the same machine as the server.
# Exit code: 0 when 0 errors and 0 lost writes (a p95 over 500 ms is a WARNING
# line, not a failure), 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
USERS=${LOAD_USERS:-50}
DURATION=${LOAD_DURATION:-60s}
PORT=${LOAD_PORT:-8765}
SCALE=${LOAD_SCALE:-130}
# Gunicorn sized for the cores: one process per core plus one (a process computes on one
# core at a time; the spare one works while another waits), threads for the waits on
# PostgreSQL. Each thread keeps its own database connection (CONN_MAX_AGE): workers x
# threads connections, checked against max_connections below.
WORKERS=${LOAD_WORKERS:-$(( $(nproc) + 1 ))}
THREADS=${LOAD_THREADS:-4}
THINK=${LOAD_THINK:-5-15}
# Logins per second during the ramp-up: a login costs about half a CPU second (PBKDF2); 2
# cores absorb 2 to 3 a second when quiet, fewer when shared: 200 people arriving in 3 minutes.
SPAWN_RATE=${LOAD_SPAWN_RATE:-1}
RUN_DIR=load/.run
mkdir -p "$RUN_DIR"

export DATABASE_URL=${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ctg_load}
export REDIS_URL=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/5}
export DEBUG=0
export SECRET_KEY
SECRET_KEY=$($PY -c "import secrets; print(secrets.token_urlsafe(50))")
export ALLOWED_HOSTS=127.0.0.1,localhost
# Plain HTTP on the loopback: no HTTPS redirect, cookies not marked Secure.
export SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0
export MEDIA_ROOT=$PWD/$RUN_DIR/media
export LOG_LEVEL=WARNING

case "$DATABASE_URL" in
  postgres://*@127.0.0.1:*|postgres://*@localhost:*) ;;
  *) echo "LOAD_DATABASE_URL must point at PostgreSQL on 127.0.0.1" >&2; exit 2 ;;
esac
case "$REDIS_URL" in
  redis://127.0.0.1:*|redis://localhost:*) ;;
  *) echo "LOAD_REDIS_URL must point at Redis on 127.0.0.1" >&2; exit 2 ;;
esac

echo "== database ${DATABASE_URL##*/}"
$PY -c "from bench.scales import ensure_database; ensure_database() and print('created')"
$PY manage.py migrate --noinput -v0
# The e-mails queued by the opinions go to this Redis database (no worker: emptied at the end).
$PY -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL'], socket_timeout=3).flushdb()" \
  || { echo "Redis is not answering at $REDIS_URL" >&2; exit 2; }

echo "== data: demo, scale data set ($SCALE conventions), load accounts and fiches"
# Setup runs its Celery tasks in-process (report build) and keeps its e-mails in memory.
SETUP_ENV="REDIS_URL= CELERY_TASK_ALWAYS_EAGER=1 EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend"
env $SETUP_ENV $PY manage.py seed_demo --with-report > "$RUN_DIR/seed.log"
env $SETUP_ENV $PY manage.py generate_scale_data --conventions "$SCALE" > "$RUN_DIR/scale.log"
head -1 "$RUN_DIR/scale.log"
PER_ROLE=$(( (USERS + 4) / 5 )); (( PER_ROLE < 10 )) && PER_ROLE=10
SECONDS_RUN=$($PY -c "import sys; sys.path.insert(0, 'load'); from client import parse_duration as p; print(int(p('$DURATION')))")
SHEETS=$(( SECONDS_RUN / 2 + 20 ))  # more submitted fiches than a member reviews in the run
env $SETUP_ENV $PY load/setup_load.py --per-role "$PER_ROLE" --sheets "$SHEETS" \
  --manifest "$RUN_DIR/manifest.json"
$PY manage.py collectstatic --noinput -v0

echo "== gunicorn on 127.0.0.1:$PORT ($WORKERS workers x $THREADS threads)"
if $PY -c "import socket,sys; s=socket.socket(); sys.exit(1 if s.connect_ex(('127.0.0.1', $PORT)) else 0)"; then
  echo "port $PORT is taken: set LOAD_PORT" >&2; exit 2
fi
: > "$RUN_DIR/gunicorn.log"
.venv/bin/gunicorn ctg.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" --threads "$THREADS" \
  --worker-class gthread --timeout 60 --graceful-timeout 10 \
  --error-logfile "$RUN_DIR/gunicorn.log" --capture-output &
GUNICORN_PID=$!
stop_server() {
  if kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$GUNICORN_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT INT TERM
ready=0
for _ in $(seq 1 60); do
  if $PY -c "import http.client as h; c=h.HTTPConnection('127.0.0.1', $PORT, timeout=2); c.request('GET', '/connexion/'); assert c.getresponse().status == 200" 2>/dev/null; then
    ready=1; break
  fi
  kill -0 "$GUNICORN_PID" 2>/dev/null || break
  sleep 0.5
done
if (( ! ready )); then
  echo "gunicorn did not answer GET /connexion/ with 200:" >&2; tail -30 "$RUN_DIR/gunicorn.log" >&2; exit 1
fi

# CPU seconds used so far by the gunicorn workers (children of our gunicorn only).
worker_cpu() {
  local total=0 pid
  for pid in $(cat /proc/"$GUNICORN_PID"/task/*/children 2>/dev/null); do
    total=$(( total + $(awk '{print $14 + $15}' /proc/"$pid"/stat 2>/dev/null || echo 0) ))
  done
  echo $(( total * 100 / $(getconf CLK_TCK) ))  # hundredths of a second
}

echo "== load: $USERS users for $DURATION"
cpu_before=$(worker_cpu); t_before=$(date +%s)
client_rc=0
$PY load/client.py --port "$PORT" --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$DURATION" --think "$THINK" --ramp-limit 300s \
  --manifest "$RUN_DIR/manifest.json" --writes "$RUN_DIR/writes.jsonl" \
  --summary "$RUN_DIR/summary.json" || client_rc=$?
cpu_used=$(( $(worker_cpu) - cpu_before )); wall=$(( $(date +%s) - t_before ))
echo "gunicorn workers used $((cpu_used / 100)).$(printf %02d $((cpu_used % 100))) CPU seconds in ${wall} s of load (ramp-up included; PostgreSQL not counted)"
$PY - <<'EOF' || true
import os, psycopg2, urllib.parse as u
url = u.urlsplit(os.environ["DATABASE_URL"])
conn = psycopg2.connect(host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
                        password=url.password, dbname=url.path.lstrip("/"))
with conn.cursor() as cur:
    cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
    held = cur.fetchone()[0] - 1
    cur.execute("SHOW max_connections")
    print(f"PostgreSQL connections held by the application at the end: {held} "
          f"(persistent, CONN_MAX_AGE; max_connections {cur.fetchone()[0]}, shared by the machine)")
EOF
stop_server
trap - EXIT INT TERM
if grep -q -E "Traceback|Error" "$RUN_DIR/gunicorn.log"; then
  echo "(server errors in $RUN_DIR/gunicorn.log, most frequent first)"
  grep -E "Error" "$RUN_DIR/gunicorn.log" | sort | uniq -c | sort -rn | sed -n 1,10p || true
fi

echo "== lost writes"
check_rc=0
$PY load/check_writes.py "$RUN_DIR/writes.jsonl" "$RUN_DIR/manifest.json" || check_rc=$?
$PY -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).flushdb()"

$PY - "$RUN_DIR/summary.json" "$RUN_DIR/writes.check.json" "$USERS" <<'EOF'
import json, sys
s, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ok = s["errors"] == 0 and c["lost"] == 0 and c["inconsistent"] == 0
fast = s["p95_ms"] < 500
think = "-".join(f"{t:g}" for t in s.get("think_s", []))
print(f"\nVERDICT ({sys.argv[3]} users, think time {think} s, {s['rps']:.1f} requests/s): "
      f"{s['errors']} errors (target 0), {c['lost']} lost writes (target 0): "
      f"{'PASS' if ok else 'FAIL'}; p95 {s['p95_ms']:.0f} ms (target < 500 ms): "
      f"{'PASS' if fast else 'MISSED'}")
if not fast:
    print("WARNING: p95 over 500 ms (a warning, not a failure of make load: the pages over "
          "the target are marked above; the machine load average is shown with the window)")
sys.exit(0 if ok else 1)
EOF
verdict_rc=$?
exit $(( client_rc || check_rc || verdict_rc ))
