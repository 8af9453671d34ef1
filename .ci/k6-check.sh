#!/usr/bin/env bash
# Type-checks the k6 scripts (k6 itself is not installable here) against @types/k6.
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/lib/check-k6.sh k6
