# Shared helpers for scripts/test and scripts/demo (sourced, not run).

PYTHON_VERSION=3.13.0

find_python() {
  local candidates=(
    "${FLEXAPI_PYTHON:-}"
    "${PYENV_ROOT:-/root/.pyenv}/versions/${PYTHON_VERSION}/bin/python"
    "$(command -v python3.13 || true)"
  )
  for candidate in "${candidates[@]}"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] &&
      [ "$("$candidate" -c 'import platform; print(platform.python_version())')" = "$PYTHON_VERSION" ]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python $PYTHON_VERSION not found (looked in pyenv at /root/.pyenv/versions/$PYTHON_VERSION)" >&2
  return 1
}

# ensure_venv REQUIREMENTS_FILE: create .venv with uv and install the file into it.
ensure_venv() {
  local requirements=$1 python stamp
  python=$(find_python)
  if ! "$python" -m uv --version >/dev/null 2>&1; then
    echo "== installing uv"
    "$python" -m pip install --quiet uv
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$python" -m uv venv --quiet --python "$python" .venv
  fi
  stamp=".venv/.installed-$(basename "$requirements")"
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements_test.txt -nt "$stamp" ]; then
    echo "== installing $requirements (uv)"
    "$python" -m uv pip install --quiet --python .venv/bin/python -r "$requirements"
    touch "$stamp"
  fi
}

ensure_mosquitto() {
  if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    echo "== installing mosquitto"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
    fi
  fi
}
