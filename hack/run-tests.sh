#!/usr/bin/env bash
# Runs every test suite, even after one fails, and ends with one line: "tests: N passed, M failed".
# Suites: unit tests, native launcher tests (when present), integration tests against the real daemon.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0 status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count_dotnet() { # sums "Passed: N" / "Failed: N" from dotnet test's summary lines
  local p f
  p=$(grep -aoE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
  f=$(grep -aoE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f))
}

run_suite() { # name, command...
  local name=$1; shift
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { status=1; echo "== $name: FAILED (exit $rc)"; }
}

run_suite "unit tests" dotnet test tests/CriRuntime.Tests --no-build --nologo --blame-hang-timeout 2m
count_dotnet

if [ -f src/launcher/Makefile ]; then
  run_suite "launcher tests" make -s -C src/launcher test
  line=$(grep -aE '^launcher: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | awk '{print $2}'))); failed=$((failed + $(echo "$line" | awk '{print $4}')))
  fi
fi

# A hung test must fail the run with a dump, not eat the CI time limit.
run_suite "integration tests" dotnet test tests/CriRuntime.IntegrationTests --no-build --nologo --blame-hang-timeout 5m
count_dotnet

[ "$failed" -eq 0 ] || status=1
echo "tests: $passed passed, $failed failed"
exit $status
