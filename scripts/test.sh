#!/usr/bin/env bash
# Lint, migration check and the whole test suite: on SQLite, then on PostgreSQL when given one.
#
#   bash scripts/test.sh
#   bash scripts/test.sh --postgres postgres://postgres@127.0.0.1:5432/postgres
#   YENNI_TEST_POSTGRES_URL=postgres://… bash scripts/test.sh
#
# Extra arguments after `--` go to pytest, e.g. `bash scripts/test.sh -- -k settings -x`.
# Runs every step even after a failure, prints a summary, exits non-zero if any step failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
# shellcheck source=scripts/_venv.sh
. "$ROOT/scripts/_venv.sh"

postgres_url="${YENNI_TEST_POSTGRES_URL:-}"
pytest_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --postgres)
            [ $# -ge 2 ] || die "--postgres needs a URL, e.g. postgres://postgres@127.0.0.1:5432/postgres"
            postgres_url="$2"
            shift 2
            ;;
        --postgres=*)
            postgres_url="${1#--postgres=}"
            shift
            ;;
        --)
            shift
            pytest_args=("$@")
            break
            ;;
        -h | --help)
            sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "Unknown argument: $1 (see --help)" ;;
    esac
done

ensure_venv
ensure_install dev

# The suite must not pick up this machine's Yenni settings (data folder, bucket, broker…).
for name in $(compgen -e); do
    case "$name" in YENNI_* | DATABASE_URL | DJANGO_SETTINGS_MODULE) unset "$name" ;; esac
done
# Two workers when the machine has two cores or more; the suite keeps tests isolated per worker.
workers="$("$PY" -c 'import os; print(min(2, os.cpu_count() or 1))')"
xdist=()
[ "$workers" -gt 1 ] && xdist=(-n "$workers")
# One math thread per test worker: torch's own pool would fight the other worker for the cores
# (the tiny-model tests run several times slower that way).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

names=()
results=()
durations=()
run_step() {
    local name="$1" started=$SECONDS status
    shift
    say "$name"
    "$@"
    status=$?
    names+=("$name")
    durations+=("$((SECONDS - started))")
    if [ "$status" -eq 0 ]; then
        results+=("ok")
    elif [ "$status" -eq 5 ] && [[ "$name" == pytest* ]]; then
        results+=("FAILED (no tests ran)")
    else
        results+=("FAILED (exit $status)")
    fi
}

run_step "ruff check" "$VENV/bin/ruff" check .
run_step "ruff format --check" "$VENV/bin/ruff" format --check .
run_step "makemigrations --check" env DJANGO_SETTINGS_MODULE=yenni_site.settings_test \
    "$PY" manage.py makemigrations --check --dry-run
run_step "pytest on SQLite" "$PY" -m pytest "${xdist[@]}" "${pytest_args[@]}"
if [ -n "$postgres_url" ]; then
    run_step "pytest on PostgreSQL" env DATABASE_URL="$postgres_url" \
        "$PY" -m pytest "${xdist[@]}" "${pytest_args[@]}"
else
    names+=("pytest on PostgreSQL")
    results+=("skipped (no --postgres URL)")
    durations+=("0")
fi

failed=0
echo
echo "Summary"
for i in "${!names[@]}"; do
    printf '  %-24s %-30s %4ss\n' "${names[$i]}" "${results[$i]}" "${durations[$i]}"
    case "${results[$i]}" in FAILED*) failed=1 ;; esac
done
if [ "$failed" -ne 0 ]; then
    printf '\033[1;31mSome checks failed.\033[0m\n'
    exit 1
fi
printf '\033[1;32mAll checks passed.\033[0m\n'
