#!/bin/sh
# Create (or reuse) the virtual environment VENV and install the project into it, with its
# EXTRAS (e.g. dev) when given. With uv: the one on PATH, else one pip installs into VENV
# itself (python3 -m venv, then pip install uv: a few seconds, and it leaves with the venv).
# Where uv cannot be had (no registry to fetch it from), with plain pip. uv was the faster on a
# fresh clone (bench/demo.py times both; see the README). EVALSUITE_INSTALLER=pip uses pip
# although uv is there.
#
#   scripts/setup_env.sh VENV [EXTRAS]
set -eu
venv=$1
target=.
if [ -n "${2:-}" ]; then target=".[$2]"; fi
# The CPU wheel: a bare requirement on torch would pull several GB of CUDA packages.
torch=torch==2.13.0

uv=
if [ "${EVALSUITE_INSTALLER:-uv}" != pip ]; then
    if command -v uv >/dev/null 2>&1; then
        uv=$(command -v uv)
    elif [ -x "$venv/bin/uv" ]; then
        uv=$venv/bin/uv
    else
        [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
        if "$venv/bin/python" -m pip install --quiet --quiet "uv>=0.4" && [ -x "$venv/bin/uv" ]; then
            uv=$venv/bin/uv
        else
            echo "scripts/setup_env.sh: could not install uv; installing with pip" >&2
        fi
    fi
fi

if [ -n "$uv" ]; then
    # uv reads no pip.conf: hand it the wheel directories, indexes and constraints pip is
    # configured with, so both installers see the same packages.
    set --
    for link in ${PIP_FIND_LINKS:-} $(python3 -m pip config get global.find-links 2>/dev/null); do
        set -- "$@" --find-links "$link"
    done
    for index in $(python3 -m pip config get global.extra-index-url 2>/dev/null); do
        set -- "$@" --extra-index-url "$index"
    done
    # like pip, take the best version found on any index, not the first index's
    set -- "$@" --index-strategy unsafe-best-match
    for constraint in $(python3 -m pip config get global.constraint 2>/dev/null); do
        set -- "$@" --constraint "$constraint"
    done
    [ -x "$venv/bin/python" ] || "$uv" venv --quiet "$venv"
    "$uv" pip install --quiet --python "$venv/bin/python" "$@" "$torch" -e "$target"
else
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    # a venv made by uv has no pip
    "$venv/bin/python" -m pip --version >/dev/null 2>&1 || "$venv/bin/python" -m ensurepip --quiet
    "$venv/bin/python" -c "import torch" 2>/dev/null || "$venv/bin/python" -m pip install "$torch"
    "$venv/bin/python" -m pip install -e "$target"
fi
