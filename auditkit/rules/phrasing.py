"""Sentences: observed values as text, and rule texts filled from the run's parameters.

A rule's title or fixed reason is a template such as
"Admin has no overdue payment {j10_connective} a non-negative balance";
`render` fills it from `words(params)`, the same values the masks read.
"""

from __future__ import annotations

import string

import pandas as pd

from auditkit.money import format_cents
from auditkit.params import Params
from auditkit.vocab import CustomerTier, values

TIER_NAMES = {CustomerTier.KEY: "key", CustomerTier.MID: "mid", CustomerTier.LONG_TAIL: "long-tail"}


def words(params: Params) -> dict[str, str]:
    """The parameter values a rule text may name, as words."""
    tiers = [tier for tier in values(CustomerTier) if tier in params.q03_tiers]
    return {
        "verified_internal_types": ", ".join(
            str(t) for t in sorted(params.verified_internal_types)
        ),
        "open_order_statuses": " or ".join(sorted(params.open_order_statuses)),
        "j10_connective": "and" if params.j10_require_both else "or",
        "q03_tiers": ", ".join(tiers),
        "q03_tier_names": joined([TIER_NAMES[CustomerTier(t)] for t in tiers]),
    }


def joined(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def placeholders(template: str) -> set[str]:
    """The names a template fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(template: str, params: Params, capitalize: bool = False) -> str:
    """Fill a rule text from the parameters; an unknown placeholder is a programming error."""
    text = template.format_map(words(params)) if placeholders(template) else template
    return text[:1].upper() + text[1:] if capitalize else text


# ---- observed values in a reason sentence (vectorized over failing rows) -------------


def text(series: pd.Series) -> pd.Series:
    """Values as text for a sentence; nulls become 'empty'."""
    return series.astype("str").fillna("empty")


def quoted(series: pd.Series) -> pd.Series:
    """Values in single quotes; nulls become 'empty'."""
    return ("'" + series.astype("str") + "'").fillna("empty")


def money(series: pd.Series) -> pd.Series:
    """Cents as a decimal with two places."""
    return format_cents(series)


def timestamp(series: pd.Series) -> pd.Series:
    """Moments as ISO 8601 text to the second, or to the microsecond when it has a fraction."""
    stamps = pd.Series(series).astype("datetime64[us]")
    text_ = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = stamps.dt.microsecond
    return text_.where(fraction == 0, text_ + "." + fraction.astype("str").str.zfill(6))


def tense(params: Params, present: str, past: str) -> str:
    """The verb of a reason: what the snapshot shows, or what held at requested_at."""
    return past if params.at_requested else present


def moment(frame: pd.DataFrame, params: Params) -> pd.Series | str:
    """' at <requested_at>' when judging each request at its own moment, else ''."""
    return " at " + timestamp(frame["requested_at"]) if params.at_requested else ""


def pick(choices: list[tuple[pd.Series, pd.Series]], default: pd.Series) -> pd.Series:
    """First matching sentence per row, like numpy.select for strings."""
    result = default.copy()
    for condition, sentence in reversed(choices):
        result = result.mask(condition.to_numpy(dtype=bool, na_value=False), sentence)
    return result
