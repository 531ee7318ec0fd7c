"""Sentences: rule texts filled from the run's parameters, and reasons built from observed values.

A rule's title or fixed reason is a template such as
"Admin has no overdue payment {j10_connective} a non-negative balance";
`render` fills it from `words(params)`, the same values the masks read.

A reason names the values a rule observed in the failing rows. Its template
("{subject} {is} {value}{at}, must be >= {bound}") is parsed once into
literal text and `Value`s (a case column and how it reads); `sentence_rows`
then builds the sentences of many rows at once with Arrow's string kernels,
so a failing row costs no Python string work.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.params import Params, parameter_word
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
        "j10_connective": parameter_word("j10_require_both", params.j10_require_both),
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


# ---- reasons: templates of literal text and observed values ---------------------------

# How an observed value reads in a sentence.
PLAIN = "plain"  # as it is (identifiers); a null leaves the sentence unsaid
TEXT = "text"  # as text, a null as 'empty'
QUOTED = "quoted"  # in single quotes, a null as 'empty'
MONEY = "money"  # cents as a decimal with two places
STAMP = "timestamp"  # ISO 8601 to the second, or to the microsecond when it has a fraction

# The verbs a reason puts in the past when each request is judged at its requested_at.
TENSES = {
    "is": ("is", "was"),
    "has": ("has", "had"),
    "holds": ("holds", "held"),
    "differs": ("differs", "differed"),
}
MOMENT = "at"  # ' at <requested_at>' when judging at requested_at, else nothing


@dataclass(frozen=True)
class Value:
    """An observed value in a sentence: a case column and how it reads."""

    column: str
    form: str = TEXT


Part = str | Value
Slots = Mapping[str, "tuple[Part, ...] | Part"]


def parts(template: str, slots: Slots, params: Params) -> tuple[Part, ...]:
    """A reason template as literal text and values, for one run's parameters.

    A placeholder is a slot the check provides, a tense verb ({is}, {has}, ...),
    {at}, a parameter word (see `words`), or a case column ({member_customer_tier},
    read as text).
    """
    out: list[Part] = []
    named = words(params)
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            out.append(literal)
        if name is None:
            continue
        if name in slots:
            filled = slots[name]
            out.extend(filled if isinstance(filled, tuple) else (filled,))
        elif name in TENSES:
            out.append(TENSES[name][1 if params.at_requested else 0])
        elif name == MOMENT:
            out.extend((" at ", Value("requested_at", STAMP)) if params.at_requested else ())
        elif name in named:
            out.append(named[name])
        else:
            out.append(Value(name, TEXT))
    return tuple(out)


class Columns:
    """The case frame's columns as they read in sentences. Text columns are converted to
    Arrow once per evaluation and shared by every rule's sentences; amounts and moments,
    which are formatted value by value, only at the rows a sentence names (a rule's
    failing requests, not every request)."""

    def __init__(self, cases: pd.DataFrame) -> None:
        self.cases = cases
        self._arrays: dict[tuple[str, str], pa.Array] = {}

    def formatted(self, value: Value) -> pa.Array:
        """The column as it reads in a sentence, for every case."""
        key = (value.column, value.form)
        if key not in self._arrays:
            self._arrays[key] = formatted(self.cases[value.column], value.form)
        return self._arrays[key]

    def formatted_at(self, value: Value, rows: np.ndarray) -> pa.Array:
        """The column as it reads in a sentence, for the cases at `rows` (positions)."""
        if value.form in (MONEY, STAMP):
            return formatted(self.cases[value.column].iloc[rows], value.form)
        return self.formatted(value).take(pa.array(rows, type=pa.int64()))


def sentence_rows(template: tuple[Part, ...], columns: Columns, rows: np.ndarray) -> pa.Array:
    """The sentence of each case in `rows` (positions), built by Arrow; null where a PLAIN or
    MONEY value is null."""
    if not template:
        return pa.array([""] * len(rows), type=pa.large_string())
    if all(isinstance(part, str) for part in template):
        return pa.array(["".join(template)] * len(rows), type=pa.large_string())  # type: ignore[arg-type]
    pieces = [
        _literal(part) if isinstance(part, str) else columns.formatted_at(part, rows)
        for part in template
    ]
    return pc.binary_join_element_wise(*pieces, _literal(""))


def _literal(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())


def formatted(series: pd.Series, form: str) -> pa.Array:
    """A column's values as the text a sentence shows (large_string, one per row)."""
    if form == MONEY:
        return _money(series)
    if form == STAMP:
        return _stamps(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        labels = [str(c) for c in series.cat.categories]
        codes = series.cat.codes.to_numpy().astype(np.int64)
        if form == QUOTED:
            labels = [f"'{label}'" for label in labels]
        dictionary = pa.array([*labels, None if form == PLAIN else "empty"], type=pa.large_string())
        return dictionary.take(pa.array(np.where(codes < 0, len(labels), codes)))
    array = pa.array(series.astype("str").array, type=pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if form == QUOTED:
        array = pc.binary_join_element_wise(_literal("'"), array, _literal("'"), _literal(""))
    return array if form == PLAIN else array.fill_null("empty")


def _money(series: pd.Series) -> pa.Array:
    """Cents as '-12.50' (null stays null)."""
    missing = series.isna().to_numpy()
    cents = series.to_numpy(dtype=np.int64, na_value=0)
    absolute = np.abs(cents)
    units = pa.array(absolute // 100).cast(pa.large_string())
    fraction = pc.utf8_lpad(pa.array(absolute % 100).cast(pa.large_string()), 2, "0")
    sign = pa.array(np.where(cents < 0, "-", ""), type=pa.large_string())
    text = pc.binary_join_element_wise(sign, units, _literal("."), fraction, _literal(""))
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), text)


def _stamps(series: pd.Series) -> pa.Array:
    """Moments as in `timestamp`, by Arrow: each distinct day is formatted once and the time
    of day is put together from two-digit numbers, so a column of moments costs no
    per-row `strftime`."""
    stamps = pd.Series(series).astype("datetime64[us]")
    missing = stamps.isna().to_numpy()
    micros = np.where(missing, 0, stamps.to_numpy().view(np.int64))
    days, within = np.divmod(micros, MICROS_PER_DAY)
    seconds, fraction = np.divmod(within, 1_000_000)
    distinct, which = np.unique(days, return_inverse=True)
    dates = pc.strftime(pa.array(distinct * 86_400, type=pa.timestamp("s")), format="%Y-%m-%dT")
    pieces = [dates.cast(pa.large_string()).take(pa.array(which.ravel()))]
    for number in (seconds // 3600, seconds // 60 % 60, seconds % 60):
        pieces += [TWO_DIGITS.take(pa.array(number)), _literal(":")]
    text = pc.binary_join_element_wise(*pieces[:-1], _literal(""))
    if fraction.any():
        digits = pc.utf8_lpad(pa.array(fraction).cast(pa.large_string()), 6, "0")
        with_fraction = pc.binary_join_element_wise(text, _literal("."), digits, _literal(""))
        text = pc.if_else(pa.array(fraction != 0), with_fraction, text)
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), text)


MICROS_PER_DAY = 86_400 * 1_000_000
TWO_DIGITS = pa.array([f"{number:02d}" for number in range(60)], type=pa.large_string())


def timestamp(series: pd.Series) -> pd.Series:
    """Moments as ISO 8601 text to the second, or to the microsecond when it has a fraction."""
    stamps = pd.Series(series).astype("datetime64[us]")
    text_ = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = stamps.dt.microsecond
    return text_.where(fraction == 0, text_ + "." + fraction.astype("str").str.zfill(6))
