"""The case frame: one row per request, its own columns and every feature the rules read."""

from __future__ import annotations

import pandas as pd

from auditkit.contract import HISTORY_TABLES, REQUEST_FIELDS
from auditkit.errors import InputError, Problem
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.rules.model import Catalogue

AT = "each request at its requested_at (--at requested)"


def build_cases(
    tables: Tables, params: Params, catalogue: Catalogue
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The case frame (request columns, then each feature's columns in catalogue order) and,
    per feature that has them, the rows behind it (open orders, usable vouchers)."""
    if params.at_requested:
        missing = [name for name in HISTORY_TABLES if tables[name] is None]
        if missing:
            raise InputError(
                [
                    Problem(name, None, None, None, f"missing: {name} is needed to judge {AT}")
                    for name in missing
                ]
            )
    requests = tables.requests.reset_index(drop=True)
    data: dict[str, object] = {name: requests[name].array for name in REQUEST_FIELDS}
    evidence: dict[str, pd.DataFrame] = {}
    for feature in catalogue.features:
        computed = feature.compute(tables, params, requests)
        data |= computed.columns
        if computed.rows is not None:
            evidence[feature.name] = computed.rows
    return pd.DataFrame(data, index=pd.RangeIndex(len(requests))), evidence
