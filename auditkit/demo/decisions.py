"""What the platform decided on each demo request: mostly right, sometimes not.

Each request is judged at its requested_at with the default parameters; the
platform approves eligible requests and refuses the others, except for a
small, configurable share of mistakes (`ERROR_RATES`). Some requests have no
recorded decision yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.engine.evaluate import evaluate
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.vocab import VERDICT_CODE, Decision, Moment, Verdict

# Share of ineligible requests approved anyway, and of eligible ones refused anyway.
ERROR_RATES = {"approved_but_ineligible": 0.02, "rejected_but_eligible": 0.01}
UNDECIDED_SHARE = 0.05


def decide(
    requests: pd.DataFrame, tables: Tables, as_of: object, seed: int, rates: dict | None = None
) -> pd.DataFrame:
    """The requests with `decision` following each one's verdict at its requested_at."""
    rates = ERROR_RATES | (rates or {})
    rng = np.random.default_rng([seed, 11])
    verdict = evaluate(tables, Params(as_of=as_of, at=Moment.REQUESTED)).verdict_codes
    n = len(requests)
    eligible = verdict == VERDICT_CODE[Verdict.ELIGIBLE]
    wrong = np.where(
        eligible,
        rng.random(n) < rates["rejected_but_eligible"],
        rng.random(n) < rates["approved_but_ineligible"],
    )
    approved = eligible ^ wrong
    decision = np.where(approved, Decision.APPROVED.value, Decision.REJECTED.value).astype(object)
    decision[rng.random(n) < UNDECIDED_SHARE] = None
    return requests.assign(decision=decision)
