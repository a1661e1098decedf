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

if ! command -v dot >/dev/null; then
    # Graphviz draws the labs' computation graphs; without it they print a note instead.
    if command -v apt-get >/dev/null; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
        echo "setup: installing Graphviz (apt-get install graphviz)"
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq graphviz; } >/dev/null 2>&1 \
            || echo "setup: could not install Graphviz; graph tests will be skipped (install the graphviz package by hand)."
    elif command -v brew >/dev/null; then
        brew install graphviz || echo "setup: could not install Graphviz; graph tests will be skipped."
    else
        echo "setup: Graphviz's dot is missing and no apt-get or brew was found; graph tests will be skipped."
    fi
fi
echo "setup: done ($(.venv/bin/python -c 'import torch, otter; print(f"torch {torch.__version__}, otter-grader {otter.__version__}")'))"
