#!/usr/bin/env bash
# Serves the book at http://127.0.0.1:8080 with live rebuilds. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
echo
echo "  The book will be at  http://127.0.0.1:8080/  (first build takes a minute or two)"
echo
exec trunk serve --address 127.0.0.1 --port 8080
