#!/usr/bin/env bash
# Makes sure the Debian packages the tests use are installed (the list: debian-packages.txt
# beside this file, or the file given as $1). Missing ones are installed when this can be done
# without asking (root, or sudo without a password: apt-get update + apt-get install -y);
# otherwise it stops at once, naming the exact command to run. Exit 0: all there; 2: missing.
set -euo pipefail
list="${1:-$(dirname "$0")/debian-packages.txt}"

# A package is there when dpkg has it installed (not just its config files left after a
# removal), or when everything the list names for it is on PATH / on disk.
present() {
  local pkg=$1
  shift
  if command -v dpkg-query >/dev/null 2>&1 &&
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ]; then
    return 0
  fi
  (($#)) || return 1
  local what
  for what in "$@"; do
    case $what in
      /*) [ -e "$what" ] || return 1 ;;
      *) command -v "$what" >/dev/null 2>&1 || return 1 ;;
    esac
  done
}

missing_packages() {
  local pkg evidence
  while read -r pkg evidence; do
    case $pkg in '' | '#'*) continue ;; esac
    # shellcheck disable=SC2086 # the evidence is a list of words
    present "$pkg" $evidence || printf '%s ' "$pkg"
  done <"$list"
}

missing=$(missing_packages)
[ -z "$missing" ] && exit 0
missing=${missing% }

say() { echo "debian-packages: $*" >&2; }
if ! command -v apt-get >/dev/null 2>&1; then
  say "the tests need these Debian packages, which are missing: $missing"
  say "this machine has no apt-get: install their equivalents, then run the tests again"
  exit 2
fi
if [ "$(id -u)" = 0 ]; then
  as_root() { env DEBIAN_FRONTEND=noninteractive "$@"; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root() { sudo -n env DEBIAN_FRONTEND=noninteractive "$@"; }
else
  say "the tests need these Debian packages, which are missing: $missing"
  say "installing them needs root (or sudo without a password); run this, then the tests again:"
  echo "    sudo apt-get update && sudo apt-get install -y $missing" >&2
  exit 2
fi

say "installing the missing Debian packages: $missing"
# shellcheck disable=SC2086 # $missing is a list of words
if ! { as_root apt-get update -qq && as_root apt-get install -y -qq $missing; }; then
  say "installing failed (see above); the command was: apt-get update && apt-get install -y $missing"
  exit 2
fi
still=$(missing_packages)
if [ -n "$still" ]; then
  say "still missing after apt-get install: ${still% }"
  exit 2
fi
say "installed: $missing"
