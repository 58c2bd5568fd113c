"""Hypothesis settings for mutation testing (scripts/mutation.sh), loaded with
``pytest -p tests.sync_core.hypothesis_mutation``; a normal test run never imports it.

Every mutant must meet the same examples, so the verdicts do not depend on luck or on
what an earlier mutant left in the example database: derandomized, no database. Fewer
examples keep a surviving mutant cheap; ``TANDEM_MUTATION_EXAMPLES`` sets how many
(``TANDEM_HYPOTHESIS_EXAMPLES``, which the state machine reads, is set by the script).
No shrinking: a failing example kills the mutant as it is, and shrinking a state machine's
failure can take longer than mutmut's time limit (the mutant then reads as a timeout).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "mutation",
    max_examples=int(os.environ.get("TANDEM_MUTATION_EXAMPLES", 100)),
    derandomize=True,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target),
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("mutation")
