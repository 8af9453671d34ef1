# Sourced by the .ci scripts: port and readiness checks that say what they checked.

# Fails when something already listens on 127.0.0.1:PORT, so a stale process can never be taken
# for the server a check is about to start (and its readiness reported as ours).
require_free_port() { # PORT WHAT
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    echo "[ci] port $1 ($2) is already in use on 127.0.0.1: stop what listens there or choose another port" >&2
    return 1
  fi
}

# Polls URL until it answers 2xx, at most TIMEOUT_S seconds; with CONTAINER, stops early when that
# container is no longer running. Prints what it waited for and how long it took; returns 1 on failure.
wait_http() { # URL WHAT TIMEOUT_S [CONTAINER]
  local url=$1 what=$2 limit=$3 container=${4:-} start now
  start=$(date +%s%N)
  while :; do
    if curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; then
      now=$(date +%s%N)
      WAITED_MS=$(( (now - start) / 1000000 ))
      echo "[wait] $what: answered $url after ${WAITED_MS} ms"
      return 0
    fi
    if [ -n "$container" ] && [ "$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" != true ]; then
      echo "[wait] $what: container $container stopped before $url answered" >&2
      return 1
    fi
    now=$(date +%s%N)
    if [ $(( (now - start) / 1000000000 )) -ge "$limit" ]; then
      echo "[wait] $what: $url did not answer within ${limit} s" >&2
      return 1
    fi
    sleep 0.2
  done
}
