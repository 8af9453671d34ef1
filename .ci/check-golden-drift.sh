#!/usr/bin/env bash
# Do the vendored test data still equal ../shared/golden (the data's origin, present only on our own
# machines)? Compares file by file, byte for byte, and lists every difference and every file present on
# one side only; exits 1 on drift. Without ../shared/golden it says so and exits 0.
# Not part of the Maven build. Usage (from anywhere): .ci/check-golden-drift.sh
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared/golden

if [ ! -d "$shared" ]; then
  echo "[golden-drift] skipped: $shared does not exist beside the checkout"
  exit 0
fi

# Each copy's own README.md describes the copy (the shared README is not vendored).
ignored=(README.md)
# Made in this repository, not (yet) in shared: reported, not drift. Compared once shared has them.
local_only=(exemptions.json inception_next_atto/logits.f32 inception_next_atto/manifest.json)

drift=0

# files under $1, relative, one per line; $2 = a sub-folder to leave out (or empty)
list() {
  (cd "$1" && find . -type f ! -path "./${2:-/}/*" | sed 's|^\./||' | LC_ALL=C sort)
}

contains() {
  local x=$1; shift
  for e in "$@"; do [ "$e" = "$x" ] && return 0; done
  return 1
}

# compare SHARED_DIR VENDORED_DIR [SUBFOLDER_OF_SHARED_TO_SKIP]
compare() {
  local a=$1 b=$2 skip=${3:-} f
  while IFS= read -r f; do
    contains "$f" "${ignored[@]}" && continue
    if [ ! -f "$b/$f" ]; then
      echo "ONLY IN SHARED   $a/$f"; drift=1
    elif ! cmp -s "$a/$f" "$b/$f"; then
      echo "DIFFERS          $a/$f  vs  $b/$f"; drift=1
    fi
  done < <(list "$a" "$skip")
  while IFS= read -r f; do
    contains "$f" "${ignored[@]}" && continue
    [ -f "$a/$f" ] && continue
    if [ "$b" = "$models" ] && contains "$f" "${local_only[@]}"; then
      echo "local (not in shared, expected) $b/$f"
    else
      echo "ONLY IN VENDORED $b/$f"; drift=1
    fi
  done < <(list "$b")
}

models=model-export/src/test/resources/golden
compare "$shared" "$models" preprocess
compare "$shared/preprocess" service/src/test/resources/golden/preprocess

if [ "$drift" -ne 0 ]; then
  echo "[golden-drift] the vendored golden data differs from $shared (see above)" >&2
  exit 1
fi
echo "[golden-drift] vendored golden data equals $shared"
