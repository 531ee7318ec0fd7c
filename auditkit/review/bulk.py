"""One change for many findings at once, as a bulk action asks for it.

`set_many` is what the explorer's "set all in selection" calls: the fields are
checked once, and findings a reviewer has concluded on keep their state unless
the caller says to overwrite them. Which findings are concluded is decided on
the register's locked rows (see `transitions`), so a finding concluded by
another reviewer a moment before the bulk change is kept, never overwritten.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

from auditkit.errors import ParameterError
from auditkit.review.changes import DECISION, check_change
from auditkit.review.register import Register
from auditkit.review.transitions import Applied, BatchProgress
from auditkit.vocab import ReviewVia


def set_many(
    register: Register,
    keys: Sequence[tuple[str, str]],
    state: str | None,
    by: str,
    via: ReviewVia,
    rule_ids: Sequence[str],
    *,
    note: str = "",
    expires: str = "",
    follow_up: Mapping[str, object] | None = None,
    overwrite_concluded: bool = False,
    skip_unchanged: bool = False,
    as_of: dt.date | None = None,
    progress: BatchProgress | None = None,
) -> Applied:
    """Give every finding in `keys` (request_id, rule_id) the same change, all or nothing.

    `state` None keeps each state and changes only the `follow_up` fields given.
    Findings concluded (confirmed, false positive, a waiver ending on or after
    `as_of`, remediated) keep their state unless `overwrite_concluded`; they come
    back in `Applied.kept`. With `skip_unchanged`, a change a finding holds already is
    only counted (`Applied.unchanged`). `progress(done, total)` is called as rows are written.
    ParameterError (nothing written) names the first flaw of the fields, or a key
    whose rule is not in `rule_ids` (DECISION, a request's platform decision, is).
    """
    if not keys:
        raise ParameterError("no finding to set: choose a finding (a rule that fails or errs)")
    unknown_rules = sorted({rule for _, rule in keys} - {*rule_ids, DECISION})
    if unknown_rules:
        raise ParameterError(f"rule_id {unknown_rules[0]!r}: not a rule of the catalogue")
    first = keys[0]
    template, flaws = check_change(
        first[0], first[1], state, note, expires, list(rule_ids), follow_up
    )
    if template is None:
        raise ParameterError(flaws[0].sentence())
    changes = [
        dataclasses.replace(template, request_id=request_id, rule_id=rule_id)
        for request_id, rule_id in keys
    ]
    return register.apply(
        changes,
        by,
        via,
        skip_unchanged,
        keep_concluded=not overwrite_concluded,
        as_of=as_of,
        progress=progress,
    )
