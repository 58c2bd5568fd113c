#!/usr/bin/env bash
# Mutation testing of the pure sync core (tandem/sync/core/) with mutmut: does the test
# suite notice when a sync rule is slightly wrong? Slow (about 17 minutes), so not part of
# scripts/test.sh or CI; docs/testing.md has the figures and explains every survivor.
#
#   bash scripts/mutation.sh                               every configured file, from scratch
#   bash scripts/mutation.sh 'tandem.sync.core.planner.*'  only these mutants (mutmut globs)
#   MUTATION_KEEP=1 bash scripts/mutation.sh               reuse mutants/ and its verdicts
#   bash scripts/mutation.sh --summary                     only print the figures of mutants/
#
# Which files are mutated and which tests run: [tool.mutmut] in pyproject.toml. Each mutant
# runs only the tests of tests/sync_core that reach the mutated function, with -x and
# Hypothesis derandomized (tests/sync_core/hypothesis_mutation.py).
#   MUTATION_WORKERS      parallel mutants (default 1; mutmut would take every core)
#   MUTATION_EXAMPLES     Hypothesis examples per property test and state machine (default 100)
# Look at a survivor: .venv/bin/mutmut show <name>; list them: .venv/bin/mutmut results
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/mutmut ]; then
  echo "error: .venv/bin/mutmut missing; run: bash scripts/bootstrap.sh dev" >&2
  exit 1
fi

summary() {
  .venv/bin/python - <<'PY'
import json
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

rows = []
for meta in sorted(Path("mutants").rglob("*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    rows.append((str(meta.relative_to("mutants"))[: -len(".meta")], Counter(
        status_by_exit_code[code] for code in codes.values()
    )))
if not rows:
    raise SystemExit("no mutants/ results: run bash scripts/mutation.sh first")

def line(name, c):
    measured = sum(c.values()) - c["not checked"] - c["skipped"]
    share = f"{100 * c['killed'] / measured:5.1f}%" if measured else "    -"
    other = sum(c.values()) - sum(c[k] for k in ("killed", "survived", "timeout", "not checked"))
    return (f"{name:34} {sum(c.values()):6} {c['killed']:6} {c['survived']:8} {c['timeout']:7}"
            f" {other:5} {c['not checked']:8}  {share}")

print(f"{'file':34} {'total':>6} {'killed':>6} {'survived':>8} {'timeout':>7} {'other':>5}"
      f" {'unrun':>8}  killed")
total = Counter()
for name, c in rows:
    total.update(c)
    print(line(name, c))
print(line("all", total))
other = {k: v for k, v in total.items()
         if k not in ("killed", "survived", "timeout", "not checked") and v}
if other:
    print("other:", ", ".join(f"{k} {v}" for k, v in sorted(other.items())))
print("killed share = killed / (total - not checked - skipped); timeouts are not counted as killed")
PY
}

if [ "${1:-}" = "--summary" ]; then
  summary
  exit 0
fi

if [ "${MUTATION_KEEP:-0}" != "1" ]; then
  rm -rf mutants
fi

export DJANGO_SETTINGS_MODULE=config.settings.test
export TANDEM_VAR_DIR="$PWD/mutants/var"
export TANDEM_MUTATION_EXAMPLES="${MUTATION_EXAMPLES:-100}"
export TANDEM_HYPOTHESIS_EXAMPLES="${MUTATION_EXAMPLES:-100}"

started=$(date +%s)
nice -n 10 .venv/bin/mutmut run --max-children "${MUTATION_WORKERS:-1}" "$@"
echo "== mutation testing took $(($(date +%s) - started)) s"
summary
