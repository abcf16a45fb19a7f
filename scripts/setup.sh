#!/usr/bin/env bash
# Set-up for accessible-formats: system packages, the virtual environment, the liblouis bindings
# and (for tests) the Node tools. Idempotent: each step checks before it acts, so a second run
# with nothing changed takes about a second.
#   scripts/setup.sh          what `make all` needs
#   scripts/setup.sh --test   plus what `make test` needs (LibreOffice, Chromium, dovecot...)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

# Runtime: speech (espeak-ng via pyttsx3), braille (liblouis + tables + its ctypes bindings),
# EPUBCheck (Java), the embedded PDF font, a decoder for audio checks.
RUNTIME_PACKAGES=(espeak-ng libespeak-ng1 liblouis20 liblouis-data python3-louis
                  default-jre-headless fonts-liberation2 ffmpeg)
# Tests and benchmarks: independent readers and converters the tests compare against.
TEST_PACKAGES=(poppler-utils libreoffice-writer-nogui chromium dovecot-imapd lame sqlite3
               daisy-player libsox-fmt-alsa tmux gcc jing)

packages=("${RUNTIME_PACKAGES[@]}")
want_test=0
if [[ "${1:-}" == "--test" ]]; then
    want_test=1
    packages+=("${TEST_PACKAGES[@]}")
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
# Node (pdf.js, axe-core and DAISY Ace for tests) may come from the distribution or from another
# apt source that bundles npm; ask for Debian's packages only when there is no node at all.
if ((want_test)) && ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: these system packages are missing. Run:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
fi

# The virtual environment, reinstalled only when pyproject.toml changed.
stamp="$VENV/.installed-pyproject"
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
if [[ ! -f "$stamp" ]] || ! cmp -s pyproject.toml "$stamp"; then
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q -e '.[test]' >&2
    cp pyproject.toml "$stamp"
fi

# liblouis's Python bindings: no package index carries them; Debian's python3-louis is one
# ctypes file matched to the installed liblouis. Copy it (again when it changes) into the venv.
louis_src=/usr/lib/python3/dist-packages/louis/__init__.py
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if ! cmp -s "$louis_src" "$site/louis/__init__.py"; then
    mkdir -p "$site/louis"
    cp "$louis_src" "$site/louis/__init__.py"
fi
"$VENV/bin/python" -c 'import louis; louis.version()' >/dev/null

# Node tools used by tests (pdf.js, axe-core, DAISY Ace): installed from their lock files.
if ((want_test)); then
    for tool in tools/*/; do
        [[ -f "$tool/package-lock.json" ]] || continue
        if [[ ! -d "$tool/node_modules" ]] || [[ "$tool/package-lock.json" -nt "$tool/node_modules/.installed" ]]; then
            echo "setup: npm ci in $tool" >&2
            (cd "$tool" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
            touch "$tool/node_modules/.installed"
        fi
    done
fi
