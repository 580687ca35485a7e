#!/usr/bin/env bash
# EngageLab callback benchmark: signed callbacks per second that EDM stores durably (each is
# committed to PostgreSQL before it is answered), beside pgbench's single-row INSERT rate on
# the same machine as the ceiling. Run by hand from anywhere; see README.md.
set -euo pipefail

DURATION=${DURATION:-60}      # seconds of the pgbench run and of the measured wrk run
WARMUP=${WARMUP:-30}          # seconds of EDM warm-up (JIT: C2 compiles for ~20 s of load)
CONNECTIONS=${CONNECTIONS:-64}  # wrk connections, and pgbench clients
THREADS=${THREADS:-2}         # wrk threads, and pgbench -j
EDM_PORT=${EDM_PORT:-18090}
HEAP=${HEAP:-512m}
JAVA_OPTS=${JAVA_OPTS:-}      # extra JVM options for EDM, e.g. a JFR recording
PG_POOL=${PG_POOL:-}          # EDM_PG_POOL_SIZE for EDM when set (default: conf/edm.yaml's)
QUIET_WAIT=${QUIET_WAIT:-900}  # wait up to this many seconds for other benchmarks to finish first
SAMPLE_MS=${SAMPLE_MS:-500}   # pg_stat_activity sampling interval during both runs
DB=${DB:-edm_bench_webhook}
PGB_DB=${PGB_DB:-edm_bench_webhook_pgbench}
STREAM=${STREAM:-edm:bench:webhook:hits}
SECRET=${SECRET:-bench-webhook-secret-$RANDOM$RANDOM}
PASSWORD=${PASSWORD:-bench-admin-pw-$RANDOM$RANDOM}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"
JAR=${JAR:-$ROOT/target/edm.jar}

# We drop and recreate the databases and the stream: refuse names that are not obviously ours.
[[ $DB == *bench* && $PGB_DB == *bench* && $STREAM == *bench* && $DB != "$PGB_DB" ]] ||
  { echo "DB, PGB_DB and STREAM must contain 'bench' (and the databases differ)"; exit 2; }

log() { printf '== [%3ds] %s\n' "$SECONDS" "$*" >&2; }
psql_q() { PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -U postgres -d "${2:-$DB}" -XAtqc "$1"; }
port_free() { ! ss -ltn "sport = :$1" | grep -q LISTEN; }

# --- 1. tools and the jar -------------------------------------------------------------------
need=()
for t in wrk:wrk gawk:gawk jq:jq curl:curl psql:postgresql-client pgbench:postgresql-contrib \
         openssl:openssl redis-cli:redis-tools jstack:openjdk-17-jdk-headless; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if ((${#need[@]})); then
  log "installing ${need[*]}"
  apt-get install -y "${need[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi
if [[ ! -f $JAR ]]; then
  log "building $JAR"
  (cd "$ROOT" && mvn -q -B package -DskipTests)
fi
port_free "$EDM_PORT" || { echo "port $EDM_PORT busy"; exit 2; }

WORK=$(mktemp -d /tmp/edm-webhook-bench.XXXXXX)
EDM_PID='' SAMPLER_PID='' CPU_PID='' THREAD_PID=''
cleanup() {
  set +e  # best effort: every step runs even if an earlier one fails
  for p in $SAMPLER_PID $CPU_PID $THREAD_PID; do kill "$p" 2>/dev/null; done
  if [[ -n $EDM_PID ]]; then kill "$EDM_PID" 2>/dev/null; wait "$EDM_PID" 2>/dev/null; fi
  redis-cli DEL "$STREAM" >/dev/null 2>&1
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $WORK and databases $DB, $PGB_DB"; else
    psql_q "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null 2>&1
    psql_q "DROP DATABASE IF EXISTS $PGB_DB WITH (FORCE)" postgres >/dev/null 2>&1
    rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A copy of the jar, so rebuilds by others during the run do not disturb it.
cp "$JAR" "$WORK/edm.jar"; cp -r "$ROOT/conf" "$WORK/conf"

# --- 2. the callback and its signature --------------------------------------------------------
# One valid signature for a fixed timestamp (timestampWindowSeconds defaults to 0: no window),
# by the HMAC recipe: hex HMAC-SHA256 of the timestamp keyed by the secret.
TS=$(date +%s)
SIG=$(printf %s "$TS" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
ITIME0=$(( $(date +%s) * 1000 ))
# A "delivered" status callback in the provider's envelope (the shape of the shared fixture
# delivered.json), ~600 bytes. @ID@ is a per-request id and @ITIME@ the itime (ms): email_id and
# itime differ on every request, so each is a new event (dedupe key email_id|type|itime).
TEMPLATE='{"server":"email","message_id":"@ID@.sc-10_8_2_31-inbound","from":"Spring News <news@mail.example.com>","subject":"Spring offer: twenty percent off everything in the shop until Sunday","to":"Reader @ID@ <r-@ID@@example.net>","itime":@ITIME@,"custom_args":{"message_id":"6f1c2a52-1f3e-4c2b-9a57-0c7e5d2b8a10","campaign_id":"0b7a3c4e-5d6f-4a8b-9c0d-1e2f3a4b5c6d"},"status":{"message_status":"delivered","status_data":{"email_id":"@ID@.sc-10_8_2_31-inbound0$r-@ID@@example.net","task_id":"-1","api_user":"example_api_user","label_id":0,"message":"250 2.0.0 OK queued as @ID@"}}}'
sample_body() { local t=${TEMPLATE//@ID@/$1}; printf '%s' "${t//@ITIME@/$ITIME0}"; }
BODY_BYTES=$(sample_body wh-run-1-1000000 | wc -c)

# wrk keeps one Lua state per thread; setup() numbers them, init() reads the run's label.
# Counters are globals so done() can read them from each thread.
cat >"$WORK/callbacks.lua" <<LUA
local template = [==[$TEMPLATE]==]
local itime0 = $ITIME0
wrk.method = "POST"
wrk.path = "/webhook/engagelab"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-WebHook-Timestamp"] = "$TS"
wrk.headers["X-WebHook-AppKey"] = "email"
wrk.headers["X-WebHook-Signature"] = "$SIG"

local threads, nthreads = {}, 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

label, n, ok, non2xx, notstored, codes = "run", 0, 0, 0, 0, ""
local seen = {}
function init(args)
  label = args[1] or "run"
end

function request()
  n = n + 1
  local id = string.format("wh-%s-%d-%d", label, tid, n)
  local itime = string.format("%.0f", itime0 + tid * 10000000 + n)
  wrk.body = template:gsub("@ID@", id):gsub("@ITIME@", itime)
  return wrk.format()
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    -- EDM answers {"success":true,"data":{"stored":1,"duplicates":0,...}}
    if not body:find('"stored":1', 1, true) then notstored = notstored + 1 end
  else
    non2xx = non2xx + 1
    seen[status] = (seen[status] or 0) + 1
    local parts = {}
    for k, v in pairs(seen) do parts[#parts + 1] = k .. "x" .. v end
    codes = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  local o, bad, ns, c = 0, 0, 0, {}
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); bad = bad + t:get("non2xx"); ns = ns + t:get("notstored")
    if t:get("codes") ~= "" then c[#c + 1] = t:get("codes") end
  end
  io.write(string.format("LUA ok %d\nLUA non2xx %d\nLUA notstored %d\nLUA codes %s\n",
    o, bad, ns, #c > 0 and table.concat(c, ",") or "-"))
  io.write(string.format("LUA errors connect %d read %d write %d timeout %d status %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("LUA p%s_ms %.2f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("LUA max_ms %.2f\n", latency.max / 1000))
end
LUA

# --- 3. samplers: what PostgreSQL's backends wait on, and who uses the CPUs ---------------------
# Every SAMPLE_MS: one line per (state, wait) of the database's client backends.
sampler() {  # sampler DB OUT
  local q="SELECT coalesce(state,'?') || ' ' || coalesce(wait_event_type || ':' || wait_event, 'CPU')
           FROM pg_stat_activity WHERE datname = '$1' AND backend_type = 'client backend'
             AND pid <> pg_backend_pid()"
  while :; do psql_q "$q" postgres 2>/dev/null >>"$2"; echo "--" >>"$2"; sleep "$(awk -v m="$SAMPLE_MS" 'BEGIN { print m / 1000 }')"; done
}
# Share of samples per (state, wait), as % of backend-samples, and the mean backend count.
waits() {  # waits OUT
  awk '$0 == "--" { s++; next } { n++; c[$0]++ }
    END { printf "mean %.1f backends/sample over %d samples;", (s ? n / s : 0), s
          for (k in c) printf "\n      %5.1f%%  %s", 100 * c[k] / n, k }' "$1" |
    { read -r head; echo "$head"; sort -t% -k1 -rn | head -8; }
}
# Mid-run, %CPU over 2 s (2 cores = 200%): ours by name (EDM is "edm"), anything else busy
# by command and pid (a build or tests elsewhere skew a 2-core benchmark), then the CPU line.
cpu_split() {  # cpu_split DELAY OUT
  sleep "$1"; top -b -n 2 -d 2 -w 200 >"$2.raw"
  awk -v edm="${EDM_PID:-none}" '/^top/ { f++ } f == 2 && /^%Cpu/ { sub(/^%Cpu\(s\): */, ""); line = $0 }
    f == 2 && $1 ~ /^[0-9]+$/ {
      if ($1 == edm) c["edm"] += $9
      else if ($12 ~ /^(wrk|pgbench|postgres|top|psql)$/) c[$12] += $9
      else if ($9 >= 5) o = o sprintf("%s(pid %s) %.0f%%  ", $12, $1, $9) }
    END { for (k in c) { if (c[k] >= 2) printf "%s %.0f%%  ", k, c[k]; print k, c[k] >"'"$2.vals"'" }
          printf "| others: %s| %s\n", (o == "" ? "none " : o), line }' "$2.raw" >"$2"
}
# CPU milliseconds per request of a process group from its mid-run %CPU: cpu_ms NAME FILE RATE
cpu_ms() { awk -v k="$1" -v r="$3" '$1 == k { printf "%.2f", 10 * $2 / r; f = 1 } END { if (!f) printf "?" }' "$2.vals" 2>/dev/null; }

# Mid-run, EDM's %CPU per thread over 2 s (100% = one core), named via jstack: shows whether
# one event loop is saturated, or the time goes to GC or the JIT.
thread_split() {  # thread_split DELAY OUT
  sleep "$1"
  local hz; hz=$(getconf CLK_TCK)
  ticks() { for t in /proc/"$EDM_PID"/task/*; do
    awk -v t="${t##*/}" '{ sub(/^.*\) /, ""); print t, $12 + $13 }' "$t/stat" 2>/dev/null; done; }
  ticks >"$2.t0"; sleep 2; ticks >"$2.t1"
  jstack "$EDM_PID" 2>/dev/null | gawk '/^"/ && / nid=/ { match($0, /^"[^"]*"/); n = substr($0, 2, RLENGTH - 2)
    match($0, / nid=0x[0-9a-f]+/); printf "%d %s\n", strtonum(substr($0, RSTART + 5, RLENGTH - 5)), n }' >"$2.names" || true
  awk -v hz="$hz" 'FILENAME ~ /names$/ { id = $1; $1 = ""; sub(/^ /, ""); name[id] = $0; next }
    FILENAME ~ /t0$/ { a[$1] = $2; next }
    { n = ($1 in name) ? name[$1] : "tid " $1
      if (n !~ /^vert\.x-eventloop/) { sub(/#[0-9]+$/, "#*", n); sub(/[0-9]+$/, "*", n) }  # GC, JIT: one line each
      c[n] += 100 * ($2 - a[$1]) / hz / 2 }
    END { for (k in c) if (c[k] >= 1) printf "%.0f%% %s\n", c[k], k }' "$2.names" "$2.t0" "$2.t1" |
    sort -rn | head -8 | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $0 }' >"$2"
}

# Another benchmark (a wrk or pgbench, or a sibling bench/*/run.sh's EDM, which runs from a
# /tmp/edm-*-bench.* dir) or a Maven build or test run on this 2-core box would skew the
# figures (and theirs): wait for them to end.
others_busy() {
  { pgrep -x 'wrk|pgbench'; pgrep -f 'gc:file=/tmp/edm-[a-z]+-bench\.|plexus-classworlds|surefirebooter'; } |
    grep -vx "${EDM_PID:-none}" | tr '\n' ' '
}
quiet() {
  local waited=0 busy
  while busy=$(others_busy) && [[ -n $busy ]]; do
    ((waited == 0)) && log "waiting for other benchmarks to finish (pids $busy)"
    ((waited >= QUIET_WAIT)) && { log "still busy after ${QUIET_WAIT}s; measuring anyway"; return; }
    sleep 5; waited=$((waited + 5))
  done
  ((waited == 0)) || log "quiet after ${waited}s"
}

# --- 4. the ceiling first (EDM is not running yet, so nothing competes): pgbench -------------
psql_q "DROP DATABASE IF EXISTS $PGB_DB WITH (FORCE)" postgres >/dev/null
psql_q "CREATE DATABASE $PGB_DB" postgres >/dev/null
# The same shape as webhook.requests: a text body and a jsonb, one row per transaction.
psql_q "CREATE TABLE requests (id bigserial PRIMARY KEY, body text NOT NULL,
  headers jsonb NOT NULL, verified text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())" "$PGB_DB"
HEADERS_JSON=$(jq -nc --arg ts "$TS" --arg sig "$SIG" '{"x-webhook-timestamp":$ts,
  "x-webhook-appkey":"email","x-webhook-signature":$sig,"content-type":"application/json",
  "user-agent":"wrk","x-peer-address":"127.0.0.1"}')
{ echo '\set n random(1, 1000000000)'
  # :n makes each body differ; the rest is a real callback body of the same length.
  printf "INSERT INTO requests (body, headers, verified) VALUES ('%s', '%s'::jsonb, 'hmac');\n" \
    "$(sample_body "wh-pgb-:n" | sed "s/'/''/g")" "$HEADERS_JSON"
} >"$WORK/insert.sql"
quiet
log "pgbench: one INSERT per transaction, $CONNECTIONS clients, -j $THREADS, ${DURATION}s"
sampler "$PGB_DB" "$WORK/waits-pgbench.txt" & SAMPLER_PID=$!
cpu_split $((DURATION / 2)) "$WORK/cpu-pgbench.txt" & CPU_PID=$!
pgbench -h 127.0.0.1 -U postgres -n -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" \
  -f "$WORK/insert.sql" "$PGB_DB" >"$WORK/pgbench.txt" 2>"$WORK/pgbench.err" ||
  { cat "$WORK/pgbench.err" "$WORK/pgbench.txt"; exit 1; }
kill "$SAMPLER_PID" 2>/dev/null; SAMPLER_PID=''; wait "$CPU_PID"; CPU_PID=''
PGB_TPS=$(awk '/^tps = / { print $3; exit }' "$WORK/pgbench.txt")
PGB_LAT=$(awk '/^latency average/ { print $4; exit }' "$WORK/pgbench.txt")
PGB_TX=$(awk '/number of transactions actually processed/ { print $NF; exit }' "$WORK/pgbench.txt")
PGB_ROWS=$(psql_q "SELECT count(*) FROM requests" "$PGB_DB")
PGB_WIDTH=$(psql_q "SELECT avg(pg_column_size(r.*))::int FROM (SELECT * FROM requests LIMIT 1000) r" "$PGB_DB")
psql_q "DROP DATABASE IF EXISTS $PGB_DB WITH (FORCE)" postgres >/dev/null  # free its connections
log "pgbench: $PGB_TPS tps"

# --- 5. start EDM ---------------------------------------------------------------------------
psql_q "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null
redis-cli DEL "$STREAM" >/dev/null
(cd "$WORK" && if [[ -n $PG_POOL ]]; then export EDM_PG_POOL_SIZE=$PG_POOL; fi
  EDM_HTTP_PORT=$EDM_PORT EDM_PG_URL=postgresql://postgres@127.0.0.1:5432/$DB \
  EDM_TRACKING_STREAM=$STREAM EDM_STATE_DIR=$WORK/state IMAGE_UPLOAD_PATH=$WORK/uploads \
  TRACKING_BASE_URL=http://127.0.0.1:$EDM_PORT WEBHOOK_BASE_URL=http://127.0.0.1:$EDM_PORT \
  WEBHOOK_SECRET=$SECRET EDM_ADMIN_PASSWORD=$PASSWORD \
  exec java -Xms"$HEAP" -Xmx"$HEAP" $JAVA_OPTS -Xlog:gc:file="$WORK/gc.log" -jar edm.jar >"$WORK/edm.log" 2>&1) &
EDM_PID=$!
EDM=http://127.0.0.1:$EDM_PORT
log "EDM starting (pid $EDM_PID, log $WORK/edm.log)"
wait_healthy "$EDM" "$EDM_PID" "$WORK/edm.log"

# Probes: a signed callback is stored and verified by hmac; a wrongly signed one is refused.
probe() {  # probe SIGNATURE -> "status body"
  sample_body "wh-probe-$RANDOM$RANDOM" | curl -s -o "$WORK/probe.json" -w '%{http_code}' \
    "$EDM/webhook/engagelab" -H 'Content-Type: application/json' -H "X-WebHook-Timestamp: $TS" \
    -H 'X-WebHook-AppKey: email' -H "X-WebHook-Signature: $1" --data-binary @-
  printf ' %s' "$(cat "$WORK/probe.json")"
}
GOOD=$(probe "$SIG") BAD=$(probe "${SIG//?/0}")
log "probe signed:   $GOOD"
log "probe unsigned: $BAD"
[[ $GOOD == 200* && $GOOD == *'"verified":"hmac"'* && $GOOD == *'"stored":1'* ]] ||
  { echo "a signed callback was not stored"; exit 1; }
[[ $BAD == 401* ]] || { echo "a wrongly signed callback was not refused with 401"; exit 1; }

field() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
lua() { awk -v k="$1" '$1 == "LUA" && $2 == k { $1 = $2 = ""; sub(/^ +/, ""); print; exit }' "$2"; }
metric() { curl -sf "$EDM/metrics" | awk -v k="$1" '$1 == k { printf "%.0f", $2; f=1 } END { if (!f) print 0 }'; }
rows() { psql_q "SELECT count(*) FROM webhook.events WHERE email_id LIKE 'wh-$1-%'"; }
bench() {  # bench LABEL SECONDS OUT
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2"s --latency -s "$WORK/callbacks.lua" "$EDM" -- "$1" >"$3"
}
outbox() { psql_q "SELECT count(*) FROM webhook.outbox"; }
drain_outbox() {  # waits until every stored effect is applied (outbox empty) or it stalls 30 s
  local last=-1 since=$SECONDS now
  while now=$(outbox); ((now > 0)); do
    ((now != last)) && { last=$now; since=$SECONDS; }
    ((SECONDS - since >= 30)) && return 1
    sleep 0.5
  done
}
settle() {  # waits until a label's row count stops changing (requests in flight when wrk stopped)
  local last=-1 now
  while now=$(rows "$1"); ((now != last)); do last=$now; sleep 1; done
  echo "$now"
}

# --- 6. warm-up, then the measured run --------------------------------------------------------
quiet
if ((WARMUP > 0)); then
  log "EDM warm-up, ${WARMUP}s"
  bench warm "$WARMUP" "$WORK/wrk-warmup.txt"
  log "warm-up: $(field Requests/sec: "$WORK/wrk-warmup.txt") req/s, non-2xx $(lua non2xx "$WORK/wrk-warmup.txt")"
  sleep 2
  # The measured run starts with no effects left over from the warm-up.
  drain_outbox || log "outbox still holds $(outbox) entries after the warm-up"
fi
OUTBOX0=$(psql_q "SELECT count(*) FROM webhook.outbox")
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
EDM_T0=$(proc_ticks "$EDM_PID")
COMMITS0=$(psql_q "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DB'")
curl -sf "$EDM/metrics" >"$WORK/metrics-0.txt" || true
log "EDM /webhook/engagelab, ${DURATION}s ($CONNECTIONS connections, $THREADS threads)"
sampler "$DB" "$WORK/waits-edm.txt" & SAMPLER_PID=$!
cpu_split $((DURATION / 2)) "$WORK/cpu-edm.txt" & CPU_PID=$!
thread_split $((DURATION / 2 + 3)) "$WORK/threads-edm.txt" & THREAD_PID=$!
bench run "$DURATION" "$WORK/wrk-edm.txt"
kill "$SAMPLER_PID" 2>/dev/null; SAMPLER_PID=''; wait "$CPU_PID" "$THREAD_PID"; CPU_PID='' THREAD_PID=''
OUTBOX1=$(psql_q "SELECT count(*) FROM webhook.outbox")
EDM_T1=$(proc_ticks "$EDM_PID")
COMMITS1=$(psql_q "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DB'")
curl -sf "$EDM/metrics" >"$WORK/metrics-1.txt" || true

# --- 7. durability: every 2xx must be a row in webhook.events --------------------------------
OK=$(lua ok "$WORK/wrk-edm.txt")
STORED=$(settle run)
# Effects are applied through the outbox, at a lower share while callbacks pour in: the time
# until every one is applied shows how far behind the burst left them.
T_DRAIN=$SECONDS
drain_outbox && OUTBOX_DRAIN="$((SECONDS - T_DRAIN)) s after the run (plus settling)" ||
  OUTBOX_DRAIN="NOT drained: $(outbox) entries left, stalled 30 s"
REQ_ROWS=$(psql_q "SELECT count(*) FROM webhook.requests WHERE body LIKE '%\"wh-run-%'")
EDM_WIDTH=$(psql_q "SELECT avg(pg_column_size(r.*))::int FROM (SELECT * FROM webhook.requests LIMIT 1000) r")/$(psql_q "SELECT avg(pg_column_size(e.*))::int FROM (SELECT * FROM webhook.events LIMIT 1000) e")
DUPKEYS=$(psql_q "SELECT count(*) - count(DISTINCT email_id) FROM webhook.events WHERE email_id LIKE 'wh-run-%'")
if ((STORED >= OK)); then DURABLE="yes (+$((STORED - OK)) answered after wrk stopped counting)"; else DURABLE="NO: $((OK - STORED)) answered 2xx but not stored"; fi

# --- 8. report -------------------------------------------------------------------------------
# The webhook concern's PostgreSQL pool over the measured run (Vert.x pool metrics): how long
# requests waited for a connection, and how long each held one.
pool_delta() {  # pool_delta SERIES: growth of edm-webhook's SERIES between the snapshots
  awk -v k="vertx_pool_$1{pool_name=\"edm-webhook\",pool_type=\"sql\"}" '$1 == k { v[FILENAME] = $2 }
    END { printf "%.3f", v[ARGV[2]] - v[ARGV[1]] }' "$WORK/metrics-0.txt" "$WORK/metrics-1.txt" 2>/dev/null || echo 0
}
POOL_N=$(pool_delta queue_time_seconds_count) POOL_WAIT=$(pool_delta queue_time_seconds_sum)
POOL_USE=$(pool_delta usage_seconds_sum)
POOL_SIZE=${PG_POOL:-$(awk '/^pg:/ { f = 1 } f && /poolSize/ { print $2; exit }' "$WORK/conf/edm.yaml")}
POOL_LINE=$(awk -v n="$POOL_N" -v w="$POOL_WAIT" -v u="$POOL_USE" -v s="$POOL_SIZE" -v d="$DURATION" 'BEGIN {
  if (n > 0) printf "%d acquisitions, mean wait %.1f ms, mean hold %.1f ms, busy %.0f%% of %d connections",
    n, 1000 * w / n, 1000 * u / n, 100 * u / (s * d), s; else print "no pool metrics" }')
APPLIED=$(awk -v k=edm_webhook_events_applied_total '$1 == k { v[FILENAME] = $2 } END { printf "%d", v[ARGV[2]] - v[ARGV[1]] }' \
  "$WORK/metrics-0.txt" "$WORK/metrics-1.txt" 2>/dev/null || echo '?')
RPS=$(field Requests/sec: "$WORK/wrk-edm.txt")
REQS=$(awk '/requests in/ { print $1 }' "$WORK/wrk-edm.txt")
OKPS=$(awk -v o="$OK" -v d="$DURATION" 'BEGIN { printf "%.1f", o / d }')
RATIO=$(awk -v e="$OKPS" -v p="$PGB_TPS" 'BEGIN { printf "%.3f", e / p }')
P50=$(lua p50_ms "$WORK/wrk-edm.txt") P99=$(lua p99_ms "$WORK/wrk-edm.txt")
MET=$(awk -v r="$RATIO" -v p="$P99" -v n="$(lua non2xx "$WORK/wrk-edm.txt")" 'BEGIN {
  print (r >= 0.5 && p < 50 && n == 0) ? "MET" : "MISSED" }')
echo
printf '%-40s %s\n' \
  "pgbench single-row INSERT tx/s (ceiling)" "$PGB_TPS  (latency avg $PGB_LAT ms, $PGB_TX tx, $PGB_ROWS rows)" \
  "EDM callbacks/s (2xx / s)" "$OKPS  (wrk Requests/sec $RPS, $REQS responses)" \
  "ratio EDM/pgbench" "$RATIO" \
  "EDM latency p50 / p99 (ms)" "$P50 / $P99  (p90 $(lua p90_ms "$WORK/wrk-edm.txt"), p99.9 $(lua p99.9_ms "$WORK/wrk-edm.txt"), max $(lua max_ms "$WORK/wrk-edm.txt"))" \
  "target: ratio >= 0.5, p99 < 50 ms" "$MET" \
  "non-2xx responses (by status)" "$(lua non2xx "$WORK/wrk-edm.txt")  ($(lua codes "$WORK/wrk-edm.txt"))" \
  "wrk socket errors" "$(lua errors "$WORK/wrk-edm.txt")" \
  "2xx but not \"stored\":1 (dupes)" "$(lua notstored "$WORK/wrk-edm.txt")" \
  "2xx responses / webhook.events rows" "$OK / $STORED" \
  "durable (rows >= 2xx)" "$DURABLE" \
  "webhook.requests rows / dup email_ids" "$REQ_ROWS / $DUPKEYS" \
  "row bytes: pgbench / EDM requests/events" "$PGB_WIDTH / $EDM_WIDTH  (callback body $BODY_BYTES bytes)" \
  "outbox backlog: before / after run" "$OUTBOX0 / $OUTBOX1  ($APPLIED effects applied during the run)" \
  "every effect applied" "$OUTBOX_DRAIN" \
  "PostgreSQL commits/s in $DB" "$(awk -v a="$COMMITS0" -v b="$COMMITS1" -v d="$DURATION" 'BEGIN { printf "%.0f", (b - a) / d }')" \
  "edm-webhook pg pool during the run" "$POOL_LINE" \
  "EDM CPU over the run (ms per callback)" "$(awk -v a="$EDM_T0" -v b="$EDM_T1" -v hz="$(getconf CLK_TCK)" -v d="$DURATION" -v n="$OK" 'BEGIN {
    printf "%.0f%% of a core, %.2f ms", 100 * (b - a) / hz / d, 1000 * (b - a) / hz / n }')" \
  "CPU ms per request, mid-run estimate" "pgbench run: postgres $(cpu_ms postgres "$WORK/cpu-pgbench.txt" "$PGB_TPS"), pgbench $(cpu_ms pgbench "$WORK/cpu-pgbench.txt" "$PGB_TPS");  EDM run: edm $(cpu_ms edm "$WORK/cpu-edm.txt" "$OKPS"), postgres $(cpu_ms postgres "$WORK/cpu-edm.txt" "$OKPS"), wrk $(cpu_ms wrk "$WORK/cpu-edm.txt" "$OKPS")" \
  "CPU mid-pgbench (2 cores = 200%)" "$(cat "$WORK/cpu-pgbench.txt" 2>/dev/null)" \
  "CPU mid-EDM (2 cores = 200%)" "$(cat "$WORK/cpu-edm.txt" 2>/dev/null)" \
  "EDM threads mid-run (1 core = 100%)" "$(cat "$WORK/threads-edm.txt" 2>/dev/null)" \
  "pgbench backends (state wait)" "$(waits "$WORK/waits-pgbench.txt")" \
  "EDM backends (state wait)" "$(waits "$WORK/waits-edm.txt")" \
  "GC pauses: count / max (ms)" "$(awk '/Pause/ { n++; v = $NF + 0; if (v > m) m = v } END { print n + 0, "/", m + 0 }' "$WORK/gc.log")"
grep -E ' (WARN|ERROR) ' "$WORK/edm.log" | sed -E 's/^[^ ]+ [^ ]+ //; s/\[[^]]*\] //' | sort | uniq -c | sort -rn | head -10 | sed 's/^/EDM log: /' || true
