# Shared by the benchmark scripts: source it, never run it.

# wait_healthy URL PID LOG: waits up to a minute for EDM's /health, showing the log's tail when
# the process died or never became healthy.
wait_healthy() {
  for _ in $(seq 120); do
    curl -sf "$1/health" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { tail -20 "$3"; exit 1; }
    sleep 0.5
  done
  echo "EDM not healthy"; tail -20 "$3"; exit 1
}
