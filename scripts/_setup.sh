# Shared by scripts/console and scripts/test: system packages and the virtual environment.
# Sourced, not run. Idempotent: a second run installs nothing new.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${EASYMO_VENV:-$ROOT/.venv}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else return 1; fi
}

# Qt's runtime libraries (xcb for a real screen, EGL/GL for offscreen), fonts for
# readable screenshots, Xvfb for screenshot runs, PostgreSQL for the test suite.
APT_PACKAGES=(
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libx11-xcb1
  fonts-dejavu-core fonts-noto-color-emoji xvfb xauth
)

install_system_packages() {
  local extra=("$@") missing=()
  for p in "${APT_PACKAGES[@]}" "${extra[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing system packages: ${missing[*]}"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq; then
    echo "warning: cannot run apt-get (not root, no sudo); install these yourself: ${missing[*]}" >&2
    return 0
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python_packages() {
  local extras=${1:-}
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}" 2>&1 | grep -v -e '^WARNING: Location' -e BuildBackendWarning || true
  "$VENV/bin/python" -c "import easymo_core, PySide6" 
}
