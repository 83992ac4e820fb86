# Shared by scripts/dev and scripts/test: installs what Mostrador needs on Debian/Ubuntu, or stops
# with a message naming exactly what to install elsewhere. Safe to run again (idempotent).

# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Libraries to build the Tauri app (WebKitGTK, GTK, libsoup, OpenSSL, D-Bus for the keychain).
BUILD_PACKAGES=(build-essential pkg-config file libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev
  libgtk-3-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev)
# What the tests need besides: a virtual display, WebKit's WebDriver, a session bus with a real
# Secret Service (gnome-keyring), PostgreSQL for the relay, the openssl CLI, chattr, a real SMTP
# server for the e-mail tests (aiosmtpd, scripts/test-smtp.sh), and poppler + zbar to read the
# invoice PDFs and their QR back (crates/documents).
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring keyutils postgresql
  openssl ca-certificates e2fsprogs python3-aiosmtpd poppler-utils zbar-tools)

TAURI_DRIVER_VERSION=2.1.0
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=19

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

missing_debs() {
  local p out=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  printf '%s\n' "${out[@]}"
}

# ensure_debs PKG...: installs the missing ones with apt (as root, or through sudo).
ensure_debs() {
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    say "Not a Debian/Ubuntu system: make sure the equivalents of these are installed: $*"
    return 0
  fi
  local missing
  mapfile -t missing < <(missing_debs "$@" | sed '/^$/d')
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing packages: ${missing[*]}. Install them as root: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  say "Installing system packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_toolchains() {
  command -v cargo >/dev/null 2>&1 || die "Rust is not installed: install it with rustup (https://rustup.rs), then run this again."
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    die "Node.js ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}+ with npm is not installed: install it (e.g. from nodejs.org or your package manager), then run this again."
  local v major minor
  v=$(node -p 'process.versions.node')
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  if [ "$major" -lt "$NODE_MIN_MAJOR" ] || { [ "$major" -eq "$NODE_MIN_MAJOR" ] && [ "$minor" -lt "$NODE_MIN_MINOR" ]; }; then
    die "Node.js $v is too old for Vite: install Node.js ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} or newer."
  fi
}

# npm ci only when package-lock.json changed since the last install.
ensure_npm_dir() {
  local dir="$1"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "Installing npm packages in ${dir#"$ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_npm() {
  ensure_npm_dir "$ROOT"
  ensure_npm_dir "$ROOT/ui"
}

ensure_tauri_driver() {
  local bin="$ROOT/.ci/tools/bin/tauri-driver"
  if [ ! -x "$bin" ]; then
    say "Installing tauri-driver $TAURI_DRIVER_VERSION into .ci/tools"
    cargo install tauri-driver --locked --version "$TAURI_DRIVER_VERSION" --root "$ROOT/.ci/tools" --quiet
  fi
  command -v WebKitWebDriver >/dev/null 2>&1 || [ -x /usr/bin/WebKitWebDriver ] ||
    die "WebKitWebDriver is missing: install webkit2gtk-driver (Debian/Ubuntu) or your system's WebKitGTK WebDriver."
}

build_ui() {
  say "Building the UI (ui/dist, embedded in the app)"
  npm --prefix "$ROOT/ui" run --silent build >/dev/null
}
