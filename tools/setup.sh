#!/usr/bin/env bash
# Set up a checkout for instructors, TAs and CI: a virtual environment in .venv with the course
# package and everything the labs and tests need, and Graphviz's `dot` program where it can be
# installed. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "setup: rnncourse needs Python 3.10 or newer; set PYTHON=/path/to/python3.11 and run again." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
echo "setup: installing packages (requirements-dev.txt)"
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
# jsonschema, which nbformat imports in every build, grading and notebook process, compiles the
# grammar of rfc3987-syntax at import when that optional package is installed (jupyter-events asks
# for it): 1.2 s of CPU per process, about ten per lab in a test run. Nothing here checks IRI
# formats, and jsonschema skips them without it.
.venv/bin/python -m pip uninstall -y -q rfc3987-syntax 2>/dev/null || true

# Otter's wheel, for the test that installs a student's first cell from nothing, offline.
OTTER_PIN=$(grep -E '^otter-grader' requirements.txt | sed -E 's/\[[a-z,]+\]//')      # otter-grader==X.Y.Z
if ! ls .venv/wheels/otter_grader-"${OTTER_PIN#otter-grader==}"-*.whl >/dev/null 2>&1; then
    echo "setup: fetching $OTTER_PIN's wheel into .venv/wheels"
    .venv/bin/python -m pip download -q --disable-pip-version-check --no-deps -d .venv/wheels "$OTTER_PIN"
fi

# System programs from the distribution: Graphviz's dot draws the labs' computation graphs, and
# Chromium is the browser of the JupyterLab test. Without them those tests skip and say why.
system_install() {   # system_install PROGRAM APT-PACKAGE BREW-PACKAGE
    command -v "$1" >/dev/null && return 0
    if command -v apt-get >/dev/null; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
        echo "setup: installing $2 (apt-get install $2)"
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$2"; } >/dev/null 2>&1 \
            || echo "setup: could not install $2; the tests that need $1 will be skipped (install it by hand)."
    elif command -v brew >/dev/null && [ -n "$3" ]; then
        brew install "$3" || echo "setup: could not install $3; the tests that need $1 will be skipped."
    else
        echo "setup: $1 is missing and could not be installed here; the tests that need it will be skipped."
    fi
}
system_install dot graphviz graphviz
system_install chromium chromium ""
echo "setup: done ($(.venv/bin/python -c 'import torch, otter; print(f"torch {torch.__version__}, otter-grader {otter.__version__}")'))"
