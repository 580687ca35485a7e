#!/usr/bin/env bash
# Open-pixel benchmark: EDM's /track/open/... against nginx's empty_gif, then the time until
# PostgreSQL holds every hit EDM accepted. Run by hand from anywhere; see README.md.
set -euo pipefail

DURATION=${DURATION:-60}      # seconds of each measured wrk run
WARMUP=${WARMUP:-30}          # seconds of EDM warm-up before the measured run: the JIT (C2)
                              # is still compiling for about 20 s under this load
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
MESSAGES=${MESSAGES:-1000}    # messages registered, each instrumented for one open pixel
EDM_PORT=${EDM_PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
HEAP=${HEAP:-512m}
JAVA_OPTS=${JAVA_OPTS:-}      # extra JVM flags, e.g. -XX:+UseZGC
# A mail client's agent, so hits count as people and take the full aggregate path (no agent = bot).
USER_AGENT=${USER_AGENT:-Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0}
STALL=${STALL:-30}            # give up draining after this many seconds without progress
DB=${DB:-edm_bench}
STREAM=${STREAM:-edm:bench:hits}
PASSWORD=${PASSWORD:-bench-admin-pw-$RANDOM$RANDOM}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"
JAR=${JAR:-$ROOT/target/edm.jar}

# We drop and recreate the database and stream: refuse names that are not obviously ours.
[[ $DB == *bench* && $STREAM == *bench* ]] || { echo "DB and STREAM must contain 'bench'"; exit 2; }

log() { printf '== [%3ds] %s\n' "$SECONDS" "$*" >&2; }
psql_q() { PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -U postgres -d "${2:-$DB}" -XAtqc "$1"; }
port_free() { ! ss -ltn "sport = :$1" | grep -q LISTEN; }

# --- 1. tools -------------------------------------------------------------------------------
need=()
for t in wrk:wrk nginx:nginx-light jq:jq curl:curl psql:postgresql-client redis-cli:redis-tools \
         jstat:openjdk-17-jdk-headless; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if ((${#need[@]})); then
  log "installing ${need[*]}"
  apt-get install -y "${need[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi
[[ -f $JAR ]] || { echo "no $JAR: build with mvn -q -B install -DskipTests"; exit 2; }
port_free "$EDM_PORT" && port_free "$NGINX_PORT" || { echo "port $EDM_PORT or $NGINX_PORT busy"; exit 2; }

# --- 2. start nginx and EDM, everything under one temp dir ----------------------------------
WORK=$(mktemp -d /tmp/edm-pixel-bench.XXXXXX)
EDM_PID='' JSTAT_PID='' TIMELINE_PID='' OTHERS_PID=''
cleanup() {
  set +e  # best effort: every step runs even if an earlier one fails
  [[ -n $JSTAT_PID$TIMELINE_PID$OTHERS_PID ]] && kill $JSTAT_PID $TIMELINE_PID $OTHERS_PID 2>/dev/null
  if [[ -n $EDM_PID ]]; then kill "$EDM_PID" 2>/dev/null; wait "$EDM_PID" 2>/dev/null; fi
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  redis-cli DEL "$STREAM" >/dev/null 2>&1
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $WORK and database $DB"; else
    psql_q "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null 2>&1; rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  server { listen 127.0.0.1:$NGINX_PORT; location / { empty_gif; } }
}
NGINX
nginx -c "$WORK/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/error.log"   # daemonizes

# A clean database and stream, so counts start at zero and EDM creates a fresh admin.
psql_q "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null
redis-cli DEL "$STREAM" >/dev/null
# EDM reads conf/edm.yaml relative to its working dir; a copied jar is immune to rebuilds.
cp "$JAR" "$WORK/edm.jar"; cp -r "$ROOT/conf" "$WORK/conf"
(cd "$WORK" && EDM_HTTP_PORT=$EDM_PORT EDM_PG_URL=postgresql://postgres@127.0.0.1:5432/$DB \
  EDM_TRACKING_STREAM=$STREAM EDM_STATE_DIR=$WORK/state IMAGE_UPLOAD_PATH=$WORK/uploads \
  TRACKING_BASE_URL=http://127.0.0.1:$EDM_PORT EDM_ADMIN_PASSWORD=$PASSWORD \
  exec java -Xms"$HEAP" -Xmx"$HEAP" $JAVA_OPTS -Xlog:gc:file="$WORK/gc.log" -jar edm.jar >"$WORK/edm.log" 2>&1) &
EDM_PID=$!
EDM=http://127.0.0.1:$EDM_PORT
log "EDM starting (pid $EDM_PID, log $WORK/edm.log)"
wait_healthy "$EDM" "$EDM_PID" "$WORK/edm.log"
# Heap used (KB) = S0U+S1U+EU+OU, sampled every 500 ms; the GC log adds the peaks just before GCs.
jstat -gc "$EDM_PID" 500 >"$WORK/jstat.log" 2>/dev/null & JSTAT_PID=$!

# --- 3. messages and open-pixel paths ------------------------------------------------------
TOKEN=$(curl -sf "$EDM/api/auth/login" -H 'Content-Type: application/json' \
  -d "$(jq -nc --arg p "$PASSWORD" '{usernameOrEmail:"admin",password:$p}')" | jq -r .token)
for _ in $(seq "$MESSAGES"); do read -r u </proc/sys/kernel/random/uuid; echo "$u"; done >"$WORK/ids"
log "registered: $(jq -R '{id:., campaignId:"bench", recipient:("r-" + .[0:8] + "@example.com")}' \
  "$WORK/ids" | jq -s . | curl -sf "$EDM/api/messages" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d @- | jq -c .data)"
# One curl process for all instrument calls (a process per call costs ~30 ms here): a config
# file with one block per message, separated by "next". Each answer's html carries one signed
# pixel <img src=".../track/open/TOKEN">; keep its path.
printf '%s' '{"html":"<html><body><a href=\"https://example.com\">x</a></body></html>"}' >"$WORK/body.json"
awk -v e="$EDM" -v t="$TOKEN" -v b="$WORK/body.json" 'NR > 1 { print "next" }
  { printf "url = \"%s/api/messages/%s/instrument\"\nheader = \"Authorization: Bearer %s\"\n", e, $0, t
    printf "header = \"Content-Type: application/json\"\ndata = \"@%s\"\nsilent\nfail\n", b }' \
  "$WORK/ids" >"$WORK/instrument.curl"
{ curl -K "$WORK/instrument.curl" || true; } | grep -o '/track/open/[^"\\]*' >"$WORK/paths" || true
log "$(wc -l <"$WORK/paths") open-pixel paths for $MESSAGES messages"
[[ -s $WORK/paths ]] || exit 1
# wrk keeps one Lua state per thread; each cycles through every valid path.
{ echo 'local paths = {'; sed 's/.*/  "&",/' "$WORK/paths"; echo '}'
  echo 'local n = 0'
  echo 'request = function() n = n + 1; return wrk.format("GET", paths[n % #paths + 1]) end'
} >"$WORK/pixels.lua"

bench() {  # bench URL SECONDS OUT: one wrk run, full output kept in OUT
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2"s --latency -H "User-Agent: $USER_AGENT" -s "$WORK/pixels.lua" "$1" >"$3"
  grep -E 'Non-2xx|Socket errors' "$3" >&2 || true
}
field() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
metric() { curl -sf "$EDM/metrics" | awk -v k="$1" '$1 == k { printf "%.0f", $2; f=1 } END { if (!f) print 0 }'; }
# Every 5 s while EDM is measured: where the hits are (buffered in EDM = accepted - appended).
timeline() {
  echo "   t  accepted   dropped  appended persisted  stream-backlog  redis-MB"
  while sleep 5; do
    local redis_mb
    redis_mb=$(redis-cli INFO memory | awk -F: '$1 == "used_memory" { printf "%.0f", $2 / 1048576 }')
    curl -sf "$EDM/metrics" | awk -v t=$((SECONDS - T_START)) -v r="$redis_mb" '
    /^edm_tracking_(hits|stream)_/ { split($1, k, "_"); v[k[4]] = $2 }
    END { printf "%4d %9d %9d %9d %9d %9d %9d\n", t, v["accepted"], v["dropped"], v["appended"], v["persisted"], v["backlog"], r }'
  done
}
# Mid-run, any other process busy on the machine (a build, tests) skews a 2-core benchmark.
others() {
  sleep $((DURATION / 2)); top -b -n 2 -d 1 -w 200 | awk -v me="$EDM_PID" '/^top/ { f++ }
    f == 2 && $1 ~ /^[0-9]+$/ && $9 > 10 && $1 != me && $12 !~ /^(wrk|redis-server|postgres|nginx|top)$/ {
      printf "%s(pid %s) %s%%  ", $12, $1, $9 }'
}
# CPU seconds (user + system) used so far by processes with this command name, or this pid.
cpu_s() {
  local pids
  if [[ $1 == [0-9]* ]]; then pids=$1; else pids=$(pgrep -x "$1" | tr '\n' ' '); fi
  # shellcheck disable=SC2086
  cat $(printf '/proc/%s/stat ' $pids) 2>/dev/null \
    | awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); t += $12 + $13 } END { printf "%.2f", t / hz }'
}
cpu_all() { echo "$(cpu_s "$EDM_PID") $(cpu_s postgres) $(cpu_s redis-server)"; }
stored() { psql_q "SELECT count(*) FROM tracking.hits"; }
drain() {  # drain TARGET: waits until tracking.hits holds TARGET rows or stops growing
  local last=-1 since=$SECONDS now
  while now=$(stored); ((now < $1)); do
    ((now != last)) && { last=$now; since=$SECONDS; }
    ((SECONDS - since >= STALL)) && { log "stalled at $now of $1 rows"; return 1; }
    sleep 0.2
  done
}

# --- 4. nginx first (its run must not overlap EDM's drain), then EDM warm-up and measured run
if [[ ${SKIP_NGINX:-0} == 1 ]]; then   # for quick A/B runs of EDM settings only
  printf 'Requests/sec: 0\n' >"$WORK/wrk-nginx.txt"
else
  log "nginx empty_gif, ${DURATION}s"
  bench "http://127.0.0.1:$NGINX_PORT" "$DURATION" "$WORK/wrk-nginx.txt"
fi
if ((WARMUP > 0)); then
  log "EDM warm-up, ${WARMUP}s"
  bench "$EDM" "$WARMUP" "$WORK/wrk-warmup.txt"
  drain "$(metric edm_tracking_hits_accepted_total)" || true
fi
ACC0=$(metric edm_tracking_hits_accepted_total) DROP0=$(metric edm_tracking_hits_dropped_total)
UNR0=$(metric edm_gateway_hits_unrouted_total) ROWS0=$(stored)
log "EDM /track/open, ${DURATION}s"
T_START=$SECONDS; timeline >"$WORK/timeline.txt" & TIMELINE_PID=$!
others >"$WORK/others.txt" & OTHERS_PID=$!
CPU0=$(cpu_all)
bench "$EDM" "$DURATION" "$WORK/wrk-edm.txt"
T0=$(date +%s.%N)

# --- 5. drain: until PostgreSQL holds every hit accepted during the measured run ------------
ACC=$(( $(metric edm_tracking_hits_accepted_total) - ACC0 ))
DROPPED=$(( $(metric edm_tracking_hits_dropped_total) - DROP0 ))
UNROUTED=$(( $(metric edm_gateway_hits_unrouted_total) - UNR0 ))
drain $((ROWS0 + ACC)) && DRAINED=yes || DRAINED="NO (stalled ${STALL}s)"
CPU1=$(cpu_all)
DRAIN_S=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[[ $DRAINED == yes ]] || DRAIN_S=$(awk -v d="$DRAIN_S" -v s="$STALL" 'BEGIN { printf "%.1f", d - s }')
STORED=$(( $(stored) - ROWS0 ))
# Entries read by a batcher but not acknowledged (e.g. its transaction failed) wait in the
# consumer group's pending list until reclaimed; not yet stored, but not gone either.
PENDING=$(redis-cli XPENDING "$STREAM" batchers | head -1) BACKLOG=$(redis-cli XLEN "$STREAM")

# Stats come from aggregates only: their answer time must not grow with the stored hits.
STATS_MS=$(for _ in 1 2 3; do curl -so /dev/null -w '%{time_total}\n' \
  -H "Authorization: Bearer $TOKEN" "$EDM/api/campaigns/bench/stats"; done \
  | awk '{ printf "%s%.1f", (NR > 1 ? " / " : ""), $1 * 1000 }')

# --- 6. report -------------------------------------------------------------------------------
REQS=$(awk '/requests in/ { print $1 }' "$WORK/wrk-edm.txt")
RPS_E=$(field Requests/sec: "$WORK/wrk-edm.txt") RPS_N=$(field Requests/sec: "$WORK/wrk-nginx.txt")
kill "$JSTAT_PID" "$TIMELINE_PID" "$OTHERS_PID" 2>/dev/null; JSTAT_PID='' TIMELINE_PID='' OTHERS_PID=''
# GC log lines end like "... 301M->42M(512M) 3.1ms"; the left value is the heap just before GC.
PEAK_MB=$( { awk '$1 ~ /^[0-9.]+$/ && NF > 10 { print ($3 + $4 + $6 + $8) / 1024 }' "$WORK/jstat.log"
  grep -oE '[0-9]+[KMG]->' "$WORK/gc.log" | awk '{ v = $0 + 0; u = substr($0, length($0) - 2, 1)
    print (u == "K" ? v / 1024 : u == "G" ? v * 1024 : v) }'; } | sort -n | tail -1)
echo
printf '%-34s %s\n' \
  "nginx empty_gif req/s" "$RPS_N" \
  "EDM /track/open req/s" "$RPS_E" \
  "ratio EDM/nginx" "$(awk -v e="$RPS_E" -v n="$RPS_N" 'BEGIN { if (n > 0) printf "%.3f", e / n; else printf "n/a" }')" \
  "EDM latency p50 / p99" "$(field 50% "$WORK/wrk-edm.txt") / $(field 99% "$WORK/wrk-edm.txt")" \
  "EDM wrk requests" "$REQS" \
  "accepted / dropped / unrouted" "$ACC / $DROPPED / $UNROUTED" \
  "drain time after wrk (s)" "$DRAIN_S (complete: $DRAINED)" \
  "stored in tracking.hits" "$STORED" \
  "campaign stats answer (ms, 3 tries)" "$STATS_MS over $(stored) stored hits" \
  "lost = requests - stored" "$((REQS - STORED))" \
  "accepted - stored" "$((ACC - STORED))" \
  "Redis stream: pending / length" "$PENDING / $BACKLOG" \
  "CPU us/request: EDM / PG / Redis" "$(awk -v a="$CPU0" -v b="$CPU1" -v n="$REQS" 'BEGIN {
    split(a, x); split(b, y); printf "%.1f / %.1f / %.1f (run and drain)",
    (y[1] - x[1]) * 1e6 / n, (y[2] - x[2]) * 1e6 / n, (y[3] - x[3]) * 1e6 / n }')" \
  "peak heap used (MB, -Xmx$HEAP)" "${PEAK_MB%.*}" \
  "max heap after GC (MB, live set)" "$(grep -oE '[0-9]+M\(' "$WORK/gc.log" | sort -n | tail -1 | tr -d 'M(')" \
  "other busy processes mid-run" "$(cat "$WORK/others.txt" 2>/dev/null)" \
  "GC pauses: count / max (ms)" "$(awk '/Pause/ { n++; v = $NF + 0; if (v > m) m = v } END { print n + 0, "/", m + 0 }' "$WORK/gc.log")"
echo; cat "$WORK/timeline.txt"
grep -E ' (WARN|ERROR) ' "$WORK/edm.log" | sed -E 's/^[^ ]+ [^ ]+ //; s/\[[^]]*\] //' | sort | uniq -c | sort -rn | head -10 | sed 's/^/EDM log: /' || true
