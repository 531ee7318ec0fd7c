"""The case frame: one row per request, its own columns and every feature the rules read."""

from __future__ import annotations

import pandas as pd

from auditkit.contract import REQUEST_FIELDS
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.rules.model import Catalogue


def build_cases(tables: Tables, params: Params, catalogue: Catalogue) -> pd.DataFrame:
    """The request columns, then each feature's columns in catalogue order."""
    requests = tables.requests.reset_index(drop=True)
    data: dict[str, object] = {name: requests[name].array for name in REQUEST_FIELDS}
    for feature in catalogue.features:
        data |= feature.compute(tables, params, requests)
    return pd.DataFrame(data, index=pd.RangeIndex(len(requests)))


def evidence_rows(tables: Tables, params: Params, catalogue: Catalogue) -> dict[str, pd.DataFrame]:
    """Per feature that has them, the table rows behind it (open orders, usable vouchers)."""
    return {
        feature.name: feature.rows(tables, params)
        for feature in catalogue.features
        if feature.rows is not None
    }
