#!/usr/bin/env bash
# The Emacs test: Debian's emacs-nox (28) with elpa-eglot (1.9), in batch mode. First the
# package byte-compiles with warnings as errors; then ERT (tests/emacs/test.el) drives the real
# `gopay-miniapp lsp` through eglot and editors/emacs/gopay-miniapp.el: login → bind → publish
# on a copy of examples/hello-miniapp against a local portal, then checks the portal (through
# the CLI) and package.json. Needs the debug gopay-miniapp where cargo builds (or
# GOPAY_MINIAPP_BIN), `emacs` and eglot.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
command -v emacs >/dev/null || { echo "emacs is not installed (Debian: apt-get install emacs-nox elpa-eglot)" >&2; exit 2; }
# shellcheck source=../editor-test-setup.sh
source "$repo/tests/editor-test-setup.sh"

echo "emacs: $(emacs --version | head -1)"
# Emacs's own site files (Debian's) put elpa-eglot on the load-path: --batch, not -Q.
emacs --batch --eval "(progn (require 'eglot) (message \"eglot: %s\" (locate-library \"eglot\")))"

# Byte-compiles without a warning (a copy: no .elc is left in the tree).
mkdir -p "$work/compile"
cp "$repo/editors/emacs/gopay-miniapp.el" "$work/compile/"
emacs --batch -L "$work/compile" --eval '(setq byte-compile-error-on-warn t)' \
  -f batch-byte-compile "$work/compile/gopay-miniapp.el"
[ -f "$work/compile/gopay-miniapp.elc" ] || { echo "gopay-miniapp.el did not byte-compile" >&2; exit 1; }
# Every command is autoloaded (what a package manager generates from the cookies).
autoloads="$work/compile/gopay-miniapp-autoloads.el"
emacs --batch --eval "(if (fboundp 'loaddefs-generate)
    (loaddefs-generate \"$work/compile\" \"$autoloads\")
  (require 'autoload)
  (eval '(let ((generated-autoload-file \"$autoloads\"))
           (update-directory-autoloads \"$work/compile\"))))"
emacs --batch -l "$autoloads" --eval "
  (dolist (command '(gopay-miniapp-start gopay-miniapp-status gopay-miniapp-login
                     gopay-miniapp-logout gopay-miniapp-bind gopay-miniapp-publish
                     gopay-miniapp-release gopay-miniapp-qr gopay-miniapp-apply-release
                     gopay-miniapp-wait-for-review gopay-miniapp-withdraw-release
                     gopay-miniapp-official-release gopay-miniapp-cancel-release
                     gopay-miniapp-rollback gopay-miniapp-command gopay-miniapp-cancel))
    (unless (and (autoloadp (symbol-function command)) (commandp command))
      (error \"%s is not an autoloaded command\" command)))"

start_local_portal

cp -r "$repo/examples/hello-miniapp" "$work/project"
mkdir -p "$work/home"

status=0
# The compiled package is what runs (its directory first on the load-path); started in the work
# folder, so a command run from a buffer outside the project never reaches this checkout.
GOPAY_MINIAPP_HOME="$work/home" MINIAPP_PROJECT="$work/project" MINIAPP_BIN="$bin" \
MINIAPP_PORTAL="$url" HOME="$work/home" \
  timeout 300 env -C "$work" emacs --batch -L "$work/compile" -l ert -l "$repo/tests/emacs/test.el" \
    -f ert-run-tests-batch-and-exit </dev/null || status=$?
if [ "$status" -ne 0 ]; then
  echo "the Emacs test failed (exit $status)" >&2
  exit 1
fi
echo "emacs: ok"
