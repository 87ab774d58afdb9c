# Shared set-up of scripts/test and scripts/sandbox (sourced, not run).
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "first run: making a virtual environment in .venv" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing the packages of requirements-dev.txt into .venv (once, or when the requirements change)..." >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server missing: installing it from Debian" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
