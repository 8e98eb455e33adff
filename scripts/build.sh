#!/usr/bin/env bash
# Release build into dist/, ready for any static host at any path (assets are referenced relatively and
# routing is in the URL hash, so no server rewrite rules are needed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
trunk build --release --public-url ./
echo "dist/ is ready: copy it to any static host, at its root or under a path such as /replication/."
