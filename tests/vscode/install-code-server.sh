#!/usr/bin/env bash
# A copy of ../shared/tools/code-server/install.sh (kept here so a clean clone can run the test).
# Installs a real VS Code (code-server, from the npm registry) into DIR without any
# download outside the package registries, so an extension can be tested in a real
# VS Code driven by headless Chromium.  Usage: install.sh [DIR]  (default: ~/.cache/code-server-4.100.3)
# Afterwards:  DIR/bin/code-server --help
set -euo pipefail
VERSION=4.100.3            # the last code-server release whose installer accepts Node 20
DIR=${1:-$HOME/.cache/code-server-$VERSION}
if [[ -x $DIR/bin/code-server ]]; then echo "code-server already at $DIR"; exit 0; fi
need_apt=()
command -v rg >/dev/null || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v chromium >/dev/null || need_apt+=(chromium)
if ((${#need_apt[@]})); then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "code-server@$VERSION" >/dev/null && tar xzf code-server-*.tgz)
mkdir -p "$(dirname "$DIR")" && rm -rf "$DIR" && mv "$work/package" "$DIR"
cd "$DIR"
# --ignore-scripts: the packages' own install scripts fetch prebuilt binaries from hosts that are not reachable.
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
npm rebuild argon2 --loglevel=error >/dev/null 2>&1 || (cd node_modules/argon2 && npx --yes node-gyp rebuild >/dev/null)
cd lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
for m in @vscode/spdlog @parcel/watcher native-watchdog kerberos; do
  [[ -d node_modules/$m ]] && npm rebuild "$m" --loglevel=error >/dev/null
done
mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
mkdir -p "$DIR/bin"
cat > "$DIR/bin/code-server" <<SH
#!/usr/bin/env sh
exec node "$DIR/out/node/entry.js" --disable-telemetry --disable-update-check "\$@"
SH
chmod +x "$DIR/bin/code-server"
echo "code-server $VERSION installed at $DIR"
