#!/usr/bin/env bash
# CI check of the release path (run by scripts/test): a throwaway key pair, scripts/release on a
# debug .deb, then the updater itself reads the resulting latest.json, verifies the .sig with the
# throwaway public key, and rejects the same .deb with one flipped byte
# (src-tauri/tests/release.rs). Usage: scripts/lib/check-release.sh CARGO_ARGS...
set -euo pipefail
. "$(dirname "$0")/deps.sh"
cd "$ROOT"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
say "Throwaway signing key"
CI=true npx --no-install tauri signer generate --ci -p "$password" -w "$work/throwaway.key" >/dev/null

base_url="https://releases.invalid/ci/"
TAURI_SIGNING_PRIVATE_KEY="$work/throwaway.key" TAURI_SIGNING_PRIVATE_KEY_PASSWORD="$password" \
  scripts/release --debug --channel ci --base-url "$base_url" --notes "CI release check" --out "$work/out"

say "Checking latest.json and the .sig with the updater"
MOSTRADOR_RELEASE_DIR="$work/out" MOSTRADOR_RELEASE_BASE_URL="$base_url" \
  MOSTRADOR_RELEASE_PUBKEY="$(cat "$work/throwaway.key.pub")" \
  cargo test "$@" --test release -- --ignored
