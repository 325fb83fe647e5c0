# shellcheck shell=bash
# Sourced by .ci/run: installs what is missing and starts, on loopback only,
# the servers that the store backends' tests need (PostgreSQL, Redis and an
# S3 server, versitygw with its posix backend), exports the NEXPROXY_TEST_*
# variables they read, and stops everything at exit (store_services_stop,
# which .ci/run's EXIT trap calls). Each server gets a temporary folder and a
# port of its own, so a Debian cluster or another Redis on the machine does
# not matter.
#
# Run it by hand to test the backends locally:
#   source .ci/store-services.sh && store_services_start && go test ./internal/store/...

STORE_PG_PORT=${STORE_PG_PORT:-54329}
STORE_REDIS_PORT=${STORE_REDIS_PORT:-63799}
STORE_S3_PORT=${STORE_S3_PORT:-7079}
STORE_S3_ACCESS=nexproxy-test-access
STORE_S3_SECRET=nexproxy-test-secret-key
STORE_VERSITYGW_VERSION=v1.8.0
store_tmp=""
store_pids=()

store_services_install() {
  local sudo="" start=$SECONDS
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  local pkgs=()
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || pkgs+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
  if [ ${#pkgs[@]} -gt 0 ]; then
    echo "== installing ${pkgs[*]}"
    # policy-rc.d keeps the packages from starting their own services.
    { $sudo apt-get update -qq >/dev/null &&
      $sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; } ||
      echo "warning: could not install ${pkgs[*]}; their store tests will fail (CI=true)" >&2
  fi
  local gobin
  gobin=$(go env GOPATH)/bin
  if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$gobin/versitygw" ]; then
    echo "== go install versitygw@$STORE_VERSITYGW_VERSION"
    go install "github.com/versity/versitygw/cmd/versitygw@$STORE_VERSITYGW_VERSION" ||
      echo "warning: could not install versitygw; the S3 store tests will fail (CI=true)" >&2
  fi
  echo "== store services installed in $((SECONDS - start)) s"
}

store_wait_port() { # name port
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "warning: $1 did not listen on 127.0.0.1:$2" >&2
  return 1
}

# store_pick_port prints the first port from $1 on that nothing listens on
# (a developer's machine may run these servers already).
store_pick_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

store_services_start() {
  store_services_install
  STORE_PG_PORT=$(store_pick_port "$STORE_PG_PORT")
  STORE_REDIS_PORT=$(store_pick_port "$STORE_REDIS_PORT")
  STORE_S3_PORT=$(store_pick_port "$STORE_S3_PORT")
  store_tmp=$(mktemp -d /tmp/nexproxy-store.XXXXXX)
  chmod 755 "$store_tmp"
  local start=$SECONDS

  # PostgreSQL: a throwaway cluster owned by the postgres user (initdb
  # refuses to run as root), trust auth on loopback, no fsync (test data).
  local pgbin
  pgbin=$(dirname "$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -1)" 2>/dev/null || true)
  if [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ]; then
    local pguser=postgres run=()
    if [ "$(id -u)" = 0 ]; then
      id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
      run=(runuser -u postgres --)
    else
      pguser=$(id -un)
    fi
    mkdir -p "$store_tmp/pg"
    chown "$pguser" "$store_tmp/pg"
    if "${run[@]}" "$pgbin/initdb" -D "$store_tmp/pg/data" -U postgres --auth=trust -E UTF8 >"$store_tmp/pg/initdb.log" 2>&1 &&
      "${run[@]}" "$pgbin/pg_ctl" -D "$store_tmp/pg/data" -l "$store_tmp/pg/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $STORE_PG_PORT -k $store_tmp/pg -c fsync=off -c max_connections=200" start >/dev/null; then
      export NEXPROXY_TEST_POSTGRES="postgres://postgres@127.0.0.1:$STORE_PG_PORT/postgres?sslmode=disable"
      STORE_PG_RUN=("${run[@]}")
      STORE_PG_CTL="$pgbin/pg_ctl"
    else
      echo "warning: PostgreSQL did not start:" >&2
      cat "$store_tmp/pg/initdb.log" "$store_tmp/pg/log" >&2 2>/dev/null || true
    fi
  fi

  # Redis: no persistence, loopback only.
  if command -v redis-server >/dev/null 2>&1; then
    if redis-server --bind 127.0.0.1 --port "$STORE_REDIS_PORT" --save '' --appendonly no \
      --daemonize yes --pidfile "$store_tmp/redis.pid" --logfile "$store_tmp/redis.log" --dir "$store_tmp" &&
      store_wait_port redis "$STORE_REDIS_PORT"; then
      export NEXPROXY_TEST_REDIS="redis://127.0.0.1:$STORE_REDIS_PORT/0"
    fi
  fi

  # S3: versitygw's posix backend on a temporary folder, fixed test keys.
  local vgw
  vgw=$(command -v versitygw 2>/dev/null || echo "$(go env GOPATH)/bin/versitygw")
  if [ -x "$vgw" ]; then
    mkdir -p "$store_tmp/s3"
    ROOT_ACCESS_KEY="$STORE_S3_ACCESS" ROOT_SECRET_KEY="$STORE_S3_SECRET" \
      "$vgw" --port "127.0.0.1:$STORE_S3_PORT" --quiet posix "$store_tmp/s3" >"$store_tmp/versitygw.log" 2>&1 &
    store_pids+=($!)
    if store_wait_port versitygw "$STORE_S3_PORT"; then
      export NEXPROXY_TEST_S3="http://127.0.0.1:$STORE_S3_PORT"
      export NEXPROXY_TEST_S3_ACCESS_KEY="$STORE_S3_ACCESS"
      export NEXPROXY_TEST_S3_SECRET_KEY="$STORE_S3_SECRET"
      export NEXPROXY_TEST_S3_BUCKET=nexproxy-test
      export NEXPROXY_TEST_S3_REGION=us-east-1
    else
      cat "$store_tmp/versitygw.log" >&2
    fi
  fi
  echo "== store services started in $((SECONDS - start)) s:" \
    "postgres=${NEXPROXY_TEST_POSTGRES:-none} redis=${NEXPROXY_TEST_REDIS:-none} s3=${NEXPROXY_TEST_S3:-none}"
}

store_services_stop() {
  [ -n "$store_tmp" ] || return 0
  if [ -n "${STORE_PG_CTL:-}" ]; then
    "${STORE_PG_RUN[@]}" "$STORE_PG_CTL" -D "$store_tmp/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -f "$store_tmp/redis.pid" ]; then kill "$(cat "$store_tmp/redis.pid")" 2>/dev/null || true; fi
  local p
  for p in "${store_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${store_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$store_tmp"
  store_tmp=""
}
