"""The currency of a report's amounts: given with --currency, else stated by the data, else CNY.

The data contract gives money no currency: every amount of one extract is in
the currency the accounts are billed in. A report names it beside every
amount (page, PDF, workpaper) and records it in the manifest, with where it
came from:

- `option`: `--currency CODE` (an ISO 4217 code, e.g. CNY, USD);
- `data`: a `currency` column the extract carries beside its money (an extra
  column of accounts, orders or vouchers, or their history tables), holding one
  code in every row;
- `default`: neither says, so CNY is assumed, the currency Tencent Cloud's
  China site bills in; the rules paraphrase that site's Organization
  documentation. The report says that it was assumed.

An extract whose rows state different currencies, or a `--currency` that
contradicts the data, is refused: amounts in two currencies cannot be added up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from auditkit.errors import InputError, ParameterError, Problem
from auditkit.io.tables import Tables
from auditkit.io.validate import spreadsheet_row

DEFAULT = "CNY"
COLUMN = "currency"  # the extra column an extract may state its currency in
MONEY_TABLES = ("accounts", "orders", "vouchers", "account_history", "voucher_events")
SOURCES = ("option", "data", "default")
ASSUMED = (
    "the data states no currency, so {code} is assumed (the currency Tencent Cloud's China "
    "site bills in; the rules paraphrase that site's documentation); run the report with "
    "--currency CODE to state it"
)


@dataclass(frozen=True)
class Currency:
    """The ISO 4217 code every amount of a report is in, and where it came from."""

    code: str
    source: str  # one of SOURCES

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "source": self.source}

    @classmethod
    def from_manifest(cls, manifest: dict[str, object]) -> Currency:
        """The currency a manifest records; a run made before currencies were recorded: assumed."""
        stated = manifest.get("currency")
        if isinstance(stated, dict) and stated.get("code") in _known():
            source = stated.get("source")
            return cls(str(stated["code"]), str(source) if source in SOURCES else "default")
        return cls(DEFAULT, "default")

    @property
    def note(self) -> str:
        """One sentence for the reader: where the currency comes from."""
        if self.source == "option":
            return f"Amounts are in {self.code}, as given with --currency."
        if self.source == "data":
            return f"Amounts are in {self.code}, the currency the data states."
        return f"Amounts are in {self.code}: {ASSUMED.format(code=self.code)}."


def _known() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def check_currency(code: object, where: str) -> str:
    """An ISO 4217 code as CLDR lists it (upper case: CNY, USD, EUR), or a ParameterError."""
    if isinstance(code, str) and code in _known():
        return code
    raise ParameterError(
        f"{where} {code!r} is not an ISO 4217 currency code; give three capital letters such "
        "as CNY, USD or EUR"
    )


def stated_by(tables: Tables) -> tuple[str, str, int] | None:
    """(code, table, row) of the first currency the data states; InputError if they differ.

    Rows are spreadsheet rows (the header is row 1). Empty cells in a currency
    column are refused too: an amount whose currency is not stated cannot be added
    to the others.
    """
    first: tuple[str, str, int] | None = None
    for table in MONEY_TABLES:
        if table not in tables.names or COLUMN not in tables[table]:
            continue
        column = tables[table][COLUMN]
        codes = column.astype("str").where(column.notna(), "").to_numpy(dtype=object)
        if not len(codes):
            continue
        expected = first[0] if first else codes[0]
        if first is None:
            check_value(table, 0, expected)
            first = (expected, table, spreadsheet_row(0))
        wrong = np.flatnonzero(codes != expected)
        if len(wrong):
            row = int(wrong[0])
            raise InputError(
                [
                    Problem(
                        table,
                        COLUMN,
                        spreadsheet_row(row),
                        codes[row],
                        f"every amount of one extract must be in one currency; table "
                        f"{first[1]} row {first[2]} states {expected}",
                    )
                ]
            )
    return first


def check_value(table: str, position: int, code: object) -> None:
    if not (isinstance(code, str) and code in _known()):
        raise InputError(
            [Problem(table, COLUMN, spreadsheet_row(position), code, "an ISO 4217 code, e.g. CNY")]
        )


def currency_of(tables: Tables, given: str | None) -> Currency:
    """The report's currency: `given` (--currency), else the data's, else the default."""
    stated = stated_by(tables)
    if given is not None:
        code = check_currency(given, "--currency")
        if stated is not None and stated[0] != code:
            raise ParameterError(
                f"--currency {code} contradicts the data: table {stated[1]} column {COLUMN} "
                f"row {stated[2]} states {stated[0]}; leave --currency out, or correct the data"
            )
        return Currency(code, "option")
    if stated is not None:
        return Currency(stated[0], "data")
    return Currency(DEFAULT, "default")


def amount_format(currency: str) -> str:
    """An Excel number format showing two decimals, thousands separators and the code."""
    return f'#,##0.00 "{check_currency(currency, "currency")}";-#,##0.00 "{currency}"'
