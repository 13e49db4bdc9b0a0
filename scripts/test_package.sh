#!/usr/bin/env bash
# Run one package's tests in an environment holding only that package, its declared
# dependencies (and extras) and the test tools: proof that the wheel declares what it imports.
# Whole-process scenarios (marked slow) prove nothing more about dependencies; `make test` runs them.
set -euo pipefail
package="$1"
folder="packages/${package#leadengine-}"
[ "$package" = "leadengine-api" ] && folder="apps/api"
cd "$(dirname "$0")/.."
export UV_PROJECT_ENVIRONMENT=".venvs/$package"
echo "== $package: tests in its own exact environment"
python3 -m uv run --quiet --locked --package "$package" --exact --group dev --all-extras \
    pytest "$folder" -q -p no:cacheprovider -m "not slow"
