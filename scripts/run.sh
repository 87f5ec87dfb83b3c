#!/usr/bin/env bash
# Install (once), prepare and serve Yenni Ad on this machine: the web app and one job worker.
#
#   bash scripts/run.sh            # http://127.0.0.1:8000, Ctrl-C stops everything
#
# Environment (all optional): YENNI_BIND (host:port, default 127.0.0.1:8000), YENNI_DATA_DIR,
# YENNI_PYTHON (interpreter for a new .venv), YENNI_DEMO_ARGS (extra yenni_demo arguments),
# YENNI_WEB_WORKERS (default 2), YENNI_INSTALLER (uv, the default, or pip), and every variable
# in .env.example.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/_venv.sh
. "$ROOT/scripts/_venv.sh"

# A .env file (shell syntax, see .env.example) configures this run without exporting by hand.
if [ -f "$ROOT/.env" ]; then
    set -a
    # shellcheck source=/dev/null
    . "$ROOT/.env"
    set +a
fi

BIND="${YENNI_BIND:-127.0.0.1:8000}"
WEB_WORKERS="${YENNI_WEB_WORKERS:-2}"
DATA_DIR="${YENNI_DATA_DIR:-$ROOT/var}"
# Epoch seconds, to a tenth and finer with bash 5 (EPOCHREALTIME), whole seconds on older shells.
_now() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s; fi; }
_since() { awk -v a="$1" -v b="$(_now)" 'BEGIN { printf "%.1f", b - a }'; }
STARTED_AT="$(_now)"

ensure_venv
ensure_install ""
install_seconds="$(_since "$STARTED_AT")"

# From here on, whatever this script and its servers write (the database and its WAL files,
# media, archives, the demo's files) is this user's alone: files 0600, folders 0700. A data
# folder an older version left open to others is closed too.
umask 077
mkdir -p "$DATA_DIR"
chmod 700 "$DATA_DIR"

manage() { "$PY" "$ROOT/manage.py" "$@"; }

# The address must be free; checked before the preparation, which takes a minute on a first run.
host="${BIND%:*}"
port="${BIND##*:}"
case "$host" in
    "" | 0.0.0.0 | "[::]") probe_host=127.0.0.1 ;;
    *) probe_host="$host" ;;
esac
if "$PY" -c 'import socket, sys; s = socket.socket(); s.settimeout(1); sys.exit(s.connect_ex((sys.argv[1], int(sys.argv[2]))) != 0)' "$probe_host" "$port"; then
    die "Something already listens on $BIND. Stop it, or choose another address: YENNI_BIND=127.0.0.1:8001 bash scripts/run.sh"
fi

# 1. A secret key for the embedded default; settings.py reads this file when the variable is unset.
if [ -z "${YENNI_SECRET_KEY:-}" ] && [ ! -s "$DATA_DIR/secret_key" ]; then
    say "Writing a new secret key to $DATA_DIR/secret_key"
    mkdir -p "$DATA_DIR"
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$DATA_DIR/secret_key")
    chmod 600 "$DATA_DIR/secret_key"
fi

# 2-4. In one Python process (each manage.py start costs 1.5 s or more): migrate when a
#    migration is pending, the cache table, collectstatic when a static file changed, the demo
#    history into an empty catalog (the demo command refuses a non-empty one), the demo users
#    (same passwords on every run) and the daily ingestion schedule (07:00 Bogotá; it syncs
#    active accounts that have tokens, so the demo's inactive accounts are left alone). Its
#    output ends with the users' sign-in lines and a "Stages: …" line with each step's seconds.
prepared="$(YENNI_PREPARE_STARTED="$(_now)" manage yenni_prepare --no-describe \
    --demo-args "${YENNI_DEMO_ARGS:-}")" ||
    die "Preparing Yenni failed (see above)."
stage_times="$(printf '%s\n' "$prepared" | sed -n 's/^Stages: //p')"
credentials="$(printf '%s\n' "$prepared" | grep -v '^Stages: ')"
serve_started="$(_now)"

# 5. Serve: gunicorn and one django-q2 cluster, each in its own process group so that Ctrl-C
#    reaches this script only and the cleanup below stops each group as a whole.
pids=()
embed_pid=""
# shellcheck disable=SC2329  # called from the traps below
stop_all() {
    trap - INT TERM EXIT
    # The background describing and embedding run in their own process group: stop all of it.
    if [ -n "$embed_pid" ]; then kill -TERM -- "-$embed_pid" 2>/dev/null || true; fi
    [ "${#pids[@]}" -gt 0 ] || return 0
    say "Stopping Yenni Ad"
    local pid waited=0
    # Leaders first: gunicorn and qcluster stop their own workers gracefully.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    while [ "$waited" -lt 40 ]; do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        [ "$alive" -eq 0 ] && break
        sleep 0.5
        waited=$((waited + 1))
    done
    # Whatever is left of either group after 20 seconds goes now: no orphans.
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# Recent gunicorn releases open a control socket in ~/.gunicorn; Yenni does not use it, and two
# checkouts served at once would fight over it.
gunicorn_extra=()
if "$VENV/bin/gunicorn" --help 2>/dev/null | grep -q -- --no-control-socket; then
    gunicorn_extra=(--no-control-socket)
fi

set -m
# The config holds the hook that loads the library's search encoder and vector snapshot in each
# worker before its first request (yenni_site/gunicorn_conf.py).
"$VENV/bin/gunicorn" yenni_site.wsgi --config python:yenni_site.gunicorn_conf \
    --bind "$BIND" --workers "$WEB_WORKERS" --timeout 60 "${gunicorn_extra[@]}" \
    --access-logfile - --error-logfile - </dev/null &
pids+=($!)
set +m

# Wait until the login page answers, then tell the user where to go.
url="http://$probe_host:$port"
if ! "$PY" - "$url/accounts/login/" "${pids[0]}" <<'PY'; then
import os, sys, time, urllib.error, urllib.request
url, web_pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2):
            sys.exit(0)
    except urllib.error.HTTPError as exc:
        # It serves, but refuses this address: most often a host missing from the allowed ones.
        print(f"Warning: {url} answered HTTP {exc.code}. If 400, add the host to "
              "YENNI_ALLOWED_HOSTS.", file=sys.stderr)
        sys.exit(0)
    except OSError:
        try:
            os.kill(web_pid, 0)
        except ProcessLookupError:
            sys.exit(1)  # gunicorn exited: no point waiting
        time.sleep(0.3)
sys.exit(1)
PY
    die "The web server did not answer at $url within 60 seconds (see the log above)."
fi
# The job worker starts once the site answers: started beside gunicorn, its Django start-up
# took the cores from the web workers' own (issue 17). Jobs queued meanwhile wait in the broker.
set -m
"$PY" "$ROOT/manage.py" qcluster </dev/null &
pids+=($!)
set +m

cat <<MSG

  ──────────────────────────────────────────────────────────────────────────
  Yenni Ad is running at  $url/   (admin: $url/admin/)
  Ready in $(_since "$STARTED_AT") s (install $install_seconds s, $stage_times,
    web server start $(_since "$serve_started") s).
  Press Ctrl-C to stop the web server and the job worker.

$(printf '%s\n' "$credentials" | sed 's/^/  /')
  ──────────────────────────────────────────────────────────────────────────

MSG

# The demo's images are described, then their descriptions' sentence vectors written for the
# library's semantic search (NumPy on this install, no torch), while the site already serves
# (issue 17: describing the demo's 1,590 images took 20-60 s of a first run before serving).
# Until then the library shows the images without descriptions and uses word search, and a brief
# describes its own references when it writes its prompt (generation.briefs.services). Later
# runs find nothing to do. The output goes to logs, not over the server's.
set -m
(
    # The library's scope sums and tiers go to the shared cache first (a second or so on the
    # demo), so the first library click of any web worker does not compute them.
    manage library_warm >"$DATA_DIR/library_warm.log" 2>&1 ||
        warn "Warming the library's cache failed (see $DATA_DIR/library_warm.log); pages still work."
    if ! manage describe_images --pending --quiet >"$DATA_DIR/describe_images.log" 2>&1; then
        warn "Describing images failed (see $DATA_DIR/describe_images.log); briefs still work.
         Retry with '.venv/bin/python manage.py describe_images --pending'."
    fi
    if ! manage embed_images --pending --quiet >"$DATA_DIR/embed_images.log" 2>&1; then
        warn "Embedding descriptions failed (see $DATA_DIR/embed_images.log); the library uses
         word search. Retry with '.venv/bin/python manage.py embed_images --pending'."
    fi
) &
embed_pid=$!
set +m

# Run until Ctrl-C, or until the web server or the worker stops by itself (then stop the other
# too); the embedding job ending is not a reason to stop.
set +e
wait -n "${pids[@]}"
status=$?
set -e
warn "A Yenni process stopped by itself (exit status $status); stopping the other."
exit 1
