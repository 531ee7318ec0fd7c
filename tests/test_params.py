"""Params take every value with its exact type: nothing is coerced into something else."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import good_frames, run_cli, write_data_dir

from auditkit.dates import parse_date
from auditkit.errors import ParameterError
from auditkit.params import Params, read_params_file


@pytest.mark.parametrize(
    ("given", "message"),
    [
        # bool("false") is True: the string must not switch J10 to "both".
        ({"j10_require_both": "false"}, 'j10_require_both must be true or false (a JSON boolean); got the string "false"'),
        ({"j10_require_both": 0}, "j10_require_both must be true or false (a JSON boolean); got the number 0"),
        ({"j10_require_both": None}, "got null"),
        # set("469") was {4, 6, 9}; "10" was {0, 1}; [4.7, true] was {1, 4}.
        ({"verified_internal_types": "469"}, 'verified_internal_types must be a JSON array such as [4, 6, 9]; got the string "469"'),
        ({"verified_internal_types": "10"}, 'got the string "10"'),
        ({"verified_internal_types": 4}, "verified_internal_types must be a JSON array such as [4, 6, 9]; got the number 4"),
        ({"verified_internal_types": [4.7, True]}, "verified_internal_types must hold integers such as [4, 6, 9]; the number 4.7 is not one"),
        ({"verified_internal_types": [4, True]}, "the boolean true is not one"),
        ({"verified_internal_types": ["4"]}, 'the string "4" is not one'),
        ({"verified_internal_types": [2**63]}, "is not one"),
        ({"verified_internal_types": {"4": 1}}, "got an object"),
        ({"open_order_statuses": "processing"}, 'open_order_statuses must be a JSON array such as ["to_be_paid", "processing"]; got the string "processing"'),
        ({"open_order_statuses": ["paid"]}, "open_order_statuses must hold values among ['to_be_paid', 'processing', 'completed', 'cancelled']; the string \"paid\" is not one"),
        ({"q03_tiers": [1]}, "q03_tiers must hold values among ['key', 'mid', 'long_tail']; the number 1 is not one"),
        ({"q03_tiers": "mid"}, 'got the string "mid"'),
    ],
)  # fmt: skip
def test_a_value_of_the_wrong_json_type_is_refused(given: dict, message: str) -> None:
    with pytest.raises(ParameterError) as error:
        Params.from_dict({"as_of": "2026-11-01", **given})
    assert message in str(error.value)


def test_values_of_the_right_type_are_taken() -> None:
    params = Params.from_dict(
        {
            "as_of": "2026-11-01",
            "verified_internal_types": [4, 10],
            "open_order_statuses": [],
            "j10_require_both": True,
            "q03_tiers": ["key"],
        }
    )
    assert params.verified_internal_types == frozenset({4, 10})
    assert params.open_order_statuses == frozenset()
    assert params.j10_require_both is True
    assert params.q03_tiers == frozenset({"key"})
    # Python callers may give any collection, never a string.
    assert Params(verified_internal_types=(6,)).verified_internal_types == frozenset({6})


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 2026-11-01",
        "2026-11-01\n",
        "20261101",
        "２０２６-１１-０１",
        "٢٠٢٦-١١-٠١",
        "2026-11-31",
    ],
)
def test_as_of_is_exactly_yyyy_mm_dd_in_ascii_digits(text: str) -> None:
    with pytest.raises(ParameterError, match="is not a date; expected YYYY-MM-DD"):
        parse_date(text)


def test_as_of_takes_dates_and_datetimes() -> None:
    assert parse_date("2026-11-01") == dt.date(2026, 11, 1)
    assert parse_date(dt.datetime(2026, 11, 1, 10)) == dt.date(2026, 11, 1)


def test_params_may_be_given_inline_or_as_a_file(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"j10_require_both": True}))
    assert read_params_file(path) == read_params_file('{"j10_require_both": true}')
    assert read_params_file(None) == {}
    with pytest.raises(ParameterError, match="cannot read a JSON object"):
        read_params_file('{"j10_require_both": tru')


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ('{"verified_internal_types": 4}', "got the number 4"),
        ('{"j10_require_both": "false"}', 'got the string "false"'),
        ('{"verified_internal_types": [4.7, true]}', "the number 4.7 is not one"),
    ],
)
def test_check_refuses_a_coerced_parameter_with_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, params: str, message: str
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    file = tmp_path / "params.json"
    file.write_text(params)
    for given in (params, file):
        code, _, err = run_cli(
            capsys, "check", "--data", data, "--out", tmp_path / "out", "--params", given
        )
        assert code == 2, err
        assert err.startswith("invalid parameter: ") and message in err
        assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_empty_as_of_is_refused_not_taken_as_today(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    code, _, err = run_cli(
        capsys, "check", "--data", data, "--out", tmp_path / "out", "--as-of", ""
    )
    assert code == 2
    assert err == "invalid parameter: as_of '' is not a date; expected YYYY-MM-DD, e.g. 2026-11-01"
