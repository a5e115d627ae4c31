#!/usr/bin/env bash
# Load benchmark of the complaint centre: bash bench/run.sh [N]        (default N=100000)
# Env: DB (database name, xiaoneng_bench)  DUR (seconds per scenario, 20)  CONC (wrk
#      connections, 2)  PORT (8766)  PGHOST (127.0.0.1)  PGUSER (postgres)  TAG (result suffix)
#      KEEP_DB=1 reuses a database that already holds the cases (skips drop/migrate/generate).
# Steps: recreate the PostgreSQL database, migrate, load the demo district, generate N cases,
# collect static files, count SQL per page (queries.py), start gunicorn (2 sync workers,
# DEBUG=0, 127.0.0.1), log in through the real login form (supervisor for reading, clerk and
# clerk2 for registration), run wrk per scenario (bench.lua), read the workers' RSS.
# Output: bench/results/<db>-<N>[-TAG].txt. Loopback only; every step is bounded in time.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(dirname "$HERE")
N=${1:-100000}; DB=${DB:-xiaoneng_bench}; DUR=${DUR:-20}; CONC=${CONC:-2}; PORT=${PORT:-8766}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
URL=http://127.0.0.1:$PORT; PY=$ROOT/.venv/bin/python
export DATABASE_URL=postgres://$PGUSER@$PGHOST:5432/$DB DEBUG=0 CONN_MAX_AGE=60
export SECRET_KEY=${SECRET_KEY:-bench-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')}
export ALLOWED_HOSTS=127.0.0.1,testserver XIAONENG_VAR_DIR=${XIAONENG_VAR_DIR:-/tmp/xn-bench-var}
# A fixed, public data key for the benchmark's fake complainants (generation and serving agree).
export XIAONENG_DATA_KEY=${XIAONENG_DATA_KEY:-$(printf 'xiaoneng-bench-data-key-not-a-secret-01' | base64 -w0)}
export PYTHONWARNINGS=ignore
RES=$HERE/results; mkdir -p "$RES"; OUTF=$RES/$DB-$N${TAG:+-$TAG}.txt
WORK=$(mktemp -d /tmp/xn-bench.XXXXXX); GPID=""
stop_server() { if [ -n "$GPID" ]; then kill "$GPID" 2>/dev/null || true; wait "$GPID" 2>/dev/null || true; GPID=""; fi; }
trap 'stop_server; rm -rf "$WORK"' EXIT
manage() { (cd "$ROOT" && timeout 1800 "$PY" manage.py "$@"); }
get() { curl -s --max-time 120 "$@"; }
token() { grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
cookie() { awk -v n="$1" '$6 == n { print $7 }' "$2"; }
sql() { psql -d "$DB" -tAc "$1"; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

{ echo "== $DB N=$N DUR=$DUR CONC=$CONC date=$(date -u +%FT%TZ)"
  echo "cpus: $(nproc) x $(lscpu | sed -n 's/^Model name: *//p'); mem: $(free -g | awk '/^Mem/ {print $2}') GiB"
  echo "python: $($PY -V 2>&1); $($PY -m pip list 2>/dev/null | grep -Ei '^(django|gunicorn|psycopg|psycopg-binary) ' | tr -s ' ' | paste -sd';')"
  echo "postgres: $(psql -d postgres -tAc 'select version()' | cut -d, -f1); $(wrk --version 2>&1 | head -1 | cut -c1-30)"
} | tee "$OUTF"

if [ -z "${KEEP_DB:-}" ]; then
  dropdb --if-exists "$DB"; createdb "$DB"
  manage migrate -v0
  manage demo_load --quiet-logins 2>/dev/null | tee -a "$OUTF" || manage shell -v0 -c \
    "from xiaoneng.core.demo import demo_load; print('demo_load():', demo_load())" | tee -a "$OUTF"
  (cd "$ROOT" && timeout 1800 "$PY" bench/generate_cases.py "$N") | tee -a "$OUTF"
fi
manage collectstatic --noinput -v0
echo "cases in the database: $(sql 'select count(*) from cases_case'); events: $(sql 'select count(*) from cases_caseevent'); audit rows: $(sql 'select count(*) from audit_auditentry')" | tee -a "$OUTF"
(cd "$ROOT" && timeout 600 "$PY" bench/queries.py --explain) | tee -a "$OUTF"

(cd "$ROOT" && exec timeout 3600 .venv/bin/gunicorn config.wsgi:application --workers 2 \
   --worker-class sync --bind "127.0.0.1:$PORT" --timeout 120 --log-level warning) &
GPID=$!
for _ in $(seq 60); do get -o /dev/null "$URL/accounts/login/" && break; sleep 0.5; done

login() {  # login USER JAR: the real login form (CSRF cookie + form token); prints the session
  local tok; tok=$(get -c "$2" -b "$2" "$URL/accounts/login/" | token)
  get -o /dev/null -c "$2" -b "$2" -H "Referer: $URL/accounts/login/" \
    --data-urlencode "username=$1" --data-urlencode "password=Demo@2026" \
    --data-urlencode "csrfmiddlewaretoken=$tok" "$URL/accounts/login/"
  cookie sessionid "$2"
}
export SESSION CSRF SESSIONS CSRFS CMIN CMAX CATEGORY PATHQ SCEN
SESSION=$(login supervisor "$WORK/sup"); CSRF=$(cookie csrftoken "$WORK/sup")
s1=$(login clerk "$WORK/c1"); s2=$(login clerk2 "$WORK/c2")
SESSIONS="$s1,$s2"; CSRFS="$(cookie csrftoken "$WORK/c1"),$(cookie csrftoken "$WORK/c2")"
[ -n "$SESSION" ] && [ -n "$s1" ] && [ -n "$s2" ] || { echo "login failed" | tee -a "$OUTF"; exit 1; }
read -r CMIN CMAX < <(sql "select min(id), max(id) from cases_case" | tr '|' ' ')
CATEGORY=$(sql "select id from cases_category where code = 'TWCP'")
YEAR=$(sql "select max(year) from cases_case")

pages=("/cases/" "/cases/?status=in_progress&channel=phone&category=$CATEGORY" "/cases/queues/"
       "/cases/ledger/" "/cases/ledger/?status=in_progress&channel=phone&category=$CATEGORY"
       "/cases/ledger/?q=%E6%8E%A8%E8%AF%BF" "/cases/statistics/?year=$YEAR&group_by=unit")
present=()
for p in "${pages[@]}" "/cases/$CMAX/" "/cases/new/"; do  # warm-up + sanity; absent pages skipped
  ses=$SESSION; [ "$p" = /cases/new/ ] && ses=$s1
  code=$(get -o /dev/null -w '%{http_code}' -b "sessionid=$ses" "$URL$p")
  echo "check $p -> HTTP $code" | tee -a "$OUTF"
  if [ "$code" = 200 ]; then [[ "$p" == /cases/$CMAX/ || "$p" == /cases/new/ ]] || present+=("$p")
  elif [ "$code" != 404 ]; then echo "check failed: $p" | tee -a "$OUTF"; exit 1; fi
done

run() {  # run SCEN [PATH]
  local threads=1; SCEN=$1; PATHQ=${2:-}; [ "$1" = register ] && threads=$CONC
  local line; line=$(timeout $((DUR + 120)) wrk -t$threads -c"$CONC" -d"${DUR}s" --timeout 60s \
    -s "$HERE/bench.lua" "$URL" | grep '^RESULT')
  # load1: the machine's 1-minute load average after the run (2 cores; other jobs inflate it)
  echo "RESULT db=$DB N=$N ${line#RESULT } load1=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUTF"
  local max; max=$(sed 's/.*max_ms=\([0-9]*\).*/\1/' <<<"$line"); sleep $((max / 1000 + 1))
}
for p in "${present[@]}"; do run get "$p"; done
run case
SESSION=$s1 CSRF=${CSRFS%%,*} run get /cases/new/   # the form alone (clerk), to isolate POST
before=$(sql "select count(*) from cases_case")
run register
after=$(sql "select count(*) from cases_case")
echo "register check: cases before=$before after=$after created=$((after - before))" | tee -a "$OUTF"

total=$(grep -c '^RESULT' "$OUTF" || true)
master=$(pgrep -P "$GPID" | head -1); workers=$(pgrep -P "$master" || true)
for w in $workers; do
  echo "worker pid=$w rss_mb=$(( $(ps -o rss= -p "$w") / 1024 ))" | tee -a "$OUTF"
done
echo "requests served before the RSS reading: $(grep -o 'requests=[0-9]*' "$OUTF" | cut -d= -f2 | paste -sd+ | bc) over $total scenarios" | tee -a "$OUTF"
stop_server
echo "results: $OUTF"
