"""The report's currency: --currency, else the data's `currency` column, else CNY (assumed, and
said so); refused when it is no ISO 4217 code, when the data states two, or when --currency
contradicts the data."""

from __future__ import annotations

import pytest
from conftest import account, build_tables, good_frames, write_data_dir

from auditkit.errors import InputError, ParameterError
from auditkit.io.tables import load_tables as load
from auditkit.report.currency import DEFAULT, Currency, amount_format, currency_of
from auditkit.report.settings import ReportSettings, prepare


def tables(*currencies: str | None):
    """Accounts 1, 2, ... each stating the given currency (None: the column is absent)."""
    rows = [account(str(uin)) for uin in range(1, len(currencies) + 1)]
    built = build_tables(accounts=rows)
    if currencies and currencies[0] is not None:
        built = built.replace(accounts=built.accounts.assign(currency=list(currencies)))
    return built


@pytest.mark.parametrize(
    ("stated", "given", "expected"),
    [
        ((None,), None, Currency(DEFAULT, "default")),
        (("USD", "USD"), None, Currency("USD", "data")),
        ((None,), "EUR", Currency("EUR", "option")),
        (("USD", "USD"), "USD", Currency("USD", "option")),
    ],
)
def test_the_currency_comes_from_the_option_the_data_or_the_default(stated, given, expected):
    assert currency_of(tables(*stated), given) == expected


@pytest.mark.parametrize(
    ("stated", "given", "error", "words"),
    [
        (("USD", "EUR"), None, InputError, "table accounts, column currency, row 3: value 'EUR'"),
        (("USD", ""), None, InputError, "row 3: value ''"),
        (("usd",), None, InputError, "row 2: value 'usd'"),
        (("USD",), "CNY", ParameterError, "--currency CNY contradicts the data"),
        ((None,), "XYZ", ParameterError, "'XYZ' is not an ISO 4217 currency code"),
        ((None,), "cny", ParameterError, "three capital letters"),
    ],
)
def test_a_currency_that_cannot_be_told_is_refused(stated, given, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        currency_of(tables(*stated), given)


def test_a_bad_currency_option_is_refused_before_anything_is_read(tmp_path):
    with pytest.raises(ParameterError, match="--currency 'C N Y'"):
        prepare(ReportSettings(tmp_path, "2026-11", tmp_path, currency="C N Y"))


def test_the_manifest_keeps_the_currency_and_where_it_came_from():
    for currency in (Currency("USD", "data"), Currency(DEFAULT, "default")):
        assert Currency.from_manifest({"currency": currency.to_dict()}) == currency
    # A run made before currencies were recorded: the default, marked as assumed.
    assert Currency.from_manifest({}) == Currency(DEFAULT, "default")
    assert "assumed" in Currency(DEFAULT, "default").note
    assert Currency("USD", "option").note == "Amounts are in USD, as given with --currency."


def test_excel_shows_the_code_beside_every_amount():
    assert amount_format("JPY") == '#,##0.00 "JPY";-#,##0.00 "JPY"'
    with pytest.raises(ParameterError):
        amount_format('X"Y')


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_currency_column_read_from_files_states_the_currency(tmp_path, fmt: str):
    frames = good_frames()
    frames["accounts"] = frames["accounts"].assign(currency="HKD")
    data = write_data_dir(tmp_path / "data", frames, fmt)
    assert currency_of(load(data), None) == Currency("HKD", "data")
