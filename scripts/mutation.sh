#!/usr/bin/env bash
# Mutation testing of the pure sync core (tandem/sync/core/) with mutmut: does the test
# suite notice when a sync rule is slightly wrong? Slow (about 17 minutes), so not part of
# scripts/test.sh or CI; docs/testing.md has the figures and explains every survivor.
#
#   bash scripts/mutation.sh                               every configured file, from scratch
#   bash scripts/mutation.sh 'tandem.sync.core.planner.*'  only these mutants (mutmut globs)
#   MUTATION_KEEP=1 bash scripts/mutation.sh               reuse mutants/ and its verdicts
#   bash scripts/mutation.sh --summary                     only print the figures of mutants/
#   MUTATION_ENGINE=1 MUTATION_SAMPLE=40 MUTATION_SEED=11 bash scripts/mutation.sh
#                                   a seeded random sample of the engine's mutants (below)
#   bash scripts/mutation.sh --show <name>...              the diff of mutants (with
#                                   MUTATION_ENGINE=1 for the engine's)
#
# Which files are mutated and which tests run: [tool.mutmut] in pyproject.toml. Each mutant
# runs only the tests of tests/sync_core that reach the mutated function, with -x and
# Hypothesis derandomized (tests/sync_core/hypothesis_mutation.py).
#   MUTATION_WORKERS      parallel mutants (default 1; mutmut would take every core)
#   MUTATION_EXAMPLES     Hypothesis examples per property test and state machine (default 100)
# Look at a survivor: --show <name>; list them: .venv/bin/mutmut results (core only)
#
# MUTATION_ENGINE=1: instead of [tool.mutmut]'s core, the database's side of the passes
# (ENGINE_FILES below, or MUTATION_ENGINE_FILES) with the tests that reach it, database ones
# included (ENGINE_TESTS).
# Each of those runs for minutes, so not every mutant is run: MUTATION_SAMPLE (default 40)
# mutants of each file, drawn with MUTATION_SEED (default 1), run one of each file in turn
# in the draw's order, so that a run stopped early (Ctrl-C; the verdicts so far are kept)
# still holds a random sample of each file; a larger MUTATION_SAMPLE with MUTATION_KEEP=1
# adds to a sample. Hypothesis: MUTATION_EXAMPLES (20 keeps a surviving mutant at minutes).
# No clean run after mutmut's stats run: that one just ran every selected test unmutated. The sample is in mutants/mutation-sample.txt;
# the figures (--summary) are of it, with a 95% interval for the share killed. Each mutant
# gets a test database of its own (tests/mutation_database.py).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/mutmut ]; then
  echo "error: .venv/bin/mutmut missing; run: bash scripts/bootstrap.sh dev" >&2
  exit 1
fi

# The engine's mutation sample: the database's stores of the three passes, the run that
# drives them, and the one applier, with every test that can reach them: tests/sync runs the
# engine, and tests/sync_core reaches the applier too (and kills quickest: mutmut runs the
# fastest first). MUTATION_ENGINE_FILES replaces the list (each file's draw depends only on
# the seed and its path, so a file added or left out changes no other file's sample).
ENGINE_FILES="${MUTATION_ENGINE_FILES:-tandem/sync/engine/inbound.py tandem/sync/engine/settings_changes.py tandem/sync/core/apply.py tandem/sync/engine/outbound.py tandem/sync/engine/run.py}"
ENGINE_TESTS="tests/sync_core tests/contract tests/sync"

summary() {
  .venv/bin/python - <<'PY'
import json
import math
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

sample_file = Path("mutants/mutation-sample.txt")
sample = set(sample_file.read_text().split()) if sample_file.exists() else None
rows = []
for meta in sorted(Path("mutants").rglob("*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    if sample is not None:
        codes = {name: code for name, code in codes.items() if name in sample}
        if not codes:
            continue
    rows.append((str(meta.relative_to("mutants"))[: -len(".meta")], Counter(
        status_by_exit_code[code] for code in codes.values()
    )))
if not rows:
    raise SystemExit("no mutants/ results: run bash scripts/mutation.sh first")

def wilson(killed, n, z=1.96):
    # The 95% score interval of a share measured on a random sample (Wilson 1927).
    centre = (killed + z * z / 2) / (n + z * z)
    half = z * math.sqrt(killed * (n - killed) / n + z * z / 4) / (n + z * z)
    return f"  {100 * (centre - half):5.1f}-{100 * (centre + half):5.1f}%"

def line(name, c):
    measured = sum(c.values()) - c["not checked"] - c["skipped"]
    share = f"{100 * c['killed'] / measured:5.1f}%" if measured else "    -"
    if sample is not None and measured:
        share += wilson(c["killed"], measured)
    other = sum(c.values()) - sum(c[k] for k in ("killed", "survived", "timeout", "not checked"))
    return (f"{name:42} {sum(c.values()):6} {c['killed']:6} {c['survived']:8} {c['timeout']:7}"
            f" {other:5} {c['not checked']:8}  {share}")

print(f"{'file':42} {'total':>6} {'killed':>6} {'survived':>8} {'timeout':>7} {'other':>5}"
      f" {'unrun':>8}  killed" + ("  95% interval" if sample is not None else ""))
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
if sample is not None:
    print(f"a random sample ({sample_file}: {len(sample)} mutants), not every mutant of the files")
PY
}

if [ "${1:-}" = "--summary" ]; then
  summary
  exit 0
fi

# engine run|show [names...]: mutmut with the engine's files and tests. mutmut reads its
# configuration from pyproject.toml only: they replace [tool.mutmut]'s there, in this
# process, and the draw decides the mutants' order (mutmut would run the cheapest first, and
# a stopped run would keep a biased sample).
engine() {
  ENGINE_FILES="$ENGINE_FILES" ENGINE_TESTS="$ENGINE_TESTS" nice -n 10 .venv/bin/python - \
    "$1" "${MUTATION_WORKERS:-1}" "${MUTATION_SAMPLE:-40}" "${MUTATION_SEED:-1}" "${@:2}" <<'PY'
import json
import os
import random
import sys
from itertools import zip_longest
from pathlib import Path

import mutmut.__main__ as mutmut_main
from mutmut import configuration
from mutmut.mutation.trampoline import set_mutant_under_test
from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir

mode, workers, per_file, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
files = os.environ["ENGINE_FILES"].split()
load_core_config = configuration._load_config


def load_engine_config() -> configuration.Config:
    config = load_core_config()
    config.only_mutate = files
    config.pytest_add_cli_args_test_selection = os.environ["ENGINE_TESTS"].split()
    config.pytest_add_cli_args = [*config.pytest_add_cli_args, "-p", "tests.mutation_database"]
    return config


configuration._load_config = load_engine_config
configuration.reset_config()

if mode == "show":
    from mutmut.mutation.diff_apply import find_mutant

    for name in sys.argv[5:]:
        print(f"# {name}")
        print(mutmut_main.get_diff_for_mutant(name, path=find_mutant(name).path))
    raise SystemExit

# Make the mutants (what `mutmut run` does first) to draw from them.
set_mutant_under_test("mutant_generation")
Path("mutants").mkdir(exist_ok=True)
copy_src_dir()
copy_also_copy_files()
mutmut_main.create_mutants(workers)

drawn: list[list[str]] = []
measured: set[str] = set()
for path in files:
    verdicts = json.loads(Path(f"mutants/{path}.meta").read_text())["exit_code_by_key"]
    measured |= {name for name, code in verdicts.items() if code is not None}
    # A shuffle, not random.sample: a larger MUTATION_SAMPLE with the same seed draws the
    # same mutants first, so MUTATION_KEEP=1 can add to a sample.
    names = sorted(verdicts)
    random.Random(f"{seed}:{path}").shuffle(names)
    drawn.append(names[:per_file])
    print(f"{path}: {len(drawn[-1])} of {len(names)} mutants drawn (seed {seed})")
# One of each file in turn, so that a run stopped early still holds a sample of each.
order = [name for turn in zip_longest(*drawn) for name in turn if name is not None]
Path("mutants/mutation-sample.txt").write_text("\n".join(order) + "\n")
rank = {name: index for index, name in enumerate(order)}
mutmut_main.estimated_worst_case_time = rank.__getitem__
# mutmut runs again every mutant it is named; those with a verdict (MUTATION_KEEP=1) keep it.
to_run = [name for name in order if name not in measured]
print(f"{len(order)} mutants in the sample, {len(order) - len(to_run)} measured already")

if not Path("mutants/mutmut-stats.json").exists():
    # mutmut's stats run, which learns which tests reach each function, is about to run the
    # whole selection unmutated and stops unless it passes; its "clean run" of those tests
    # again straight after would cost another ten minutes and tell nothing new.
    make_runner = mutmut_main.get_mutant_runner

    def runner_without_clean_run(max_workers: int = 1):  # type: ignore[no-untyped-def]
        runner = make_runner(max_workers)
        runner.run_clean_tests = lambda tests: 0
        return runner

    mutmut_main.get_mutant_runner = runner_without_clean_run
if to_run:
    mutmut_main._run(to_run, workers)
PY
}

if [ "${1:-}" = "--show" ]; then
  shift
  if [ "${MUTATION_ENGINE:-0}" = "1" ]; then
    engine show "$@"
  else
    for name in "$@"; do .venv/bin/mutmut show "$name"; done
  fi
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
if [ "${MUTATION_ENGINE:-0}" = "1" ]; then
  engine run
else
  nice -n 10 .venv/bin/mutmut run --max-children "${MUTATION_WORKERS:-1}" "$@"
fi
echo "== mutation testing took $(($(date +%s) - started)) s"
summary
