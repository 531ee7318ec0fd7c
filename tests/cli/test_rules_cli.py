"""`auditkit rules` shows the catalogue a run would use: texts from --params, the code map from
--decision-codes, and every reading the catalogue takes where the document reads two ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

READINGS = {
    "POB-J03": "self-pay joins included",
    "POB-J04": "entered from either side",
    "POB-J07": "every order_type",
    "POB-J08": "read as the payer",
    "POB-J09": "reseller_customer and distributor_subcustomer are kept apart",
    "POB-J10": "'or' is read as written",
    "POB-Q02": "every order_type",
}


def blocks(stdout: str) -> dict[str, str]:
    """Each rule's block of lines, by rule id."""
    found: dict[str, str] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith("POB-"):
            current = line.split()[0]
            found[current] = ""
        if current:
            found[current] += line + "\n"
        if not line.strip():
            current = None
    return found


def test_rules_show_each_reading_in_its_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run_cli(capsys, "rules")
    assert code == 0
    by_rule = blocks(stdout)
    for rule_id, words in READINGS.items():
        assert "reading:" in by_rule[rule_id] and words in by_rule[rule_id], rule_id
    assert "reading:" not in by_rule["POB-J06"]
    assert "member or admin is a distributor_subcustomer" in by_rule["POB-J04"]
    existed_client = next(line for line in stdout.splitlines() if "ExistedClient" in line)
    assert existed_client.split() == [
        "UnsupportedOperation.ExistedClient",
        *["POB-J03,", "POB-J04,", "POB-J05"],
    ]


def test_rules_render_the_given_params_and_code_map(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    codes = tmp_path / "codes.json"
    codes.write_text(json.dumps({"Custom.Refusal": ["POB-J07", "POB-Q02"]}))
    params = '{"j10_require_both": true, "open_order_statuses": ["to_be_paid"]}'
    code, stdout, _ = run_cli(capsys, "rules", "--params", params, "--decision-codes", codes)
    assert code == 0
    by_rule = blocks(stdout)
    assert "POB-J10  Admin has no overdue payment and a non-negative balance" in stdout
    assert "Open means a status among to_be_paid." in by_rule["POB-J07"]
    mapped = [line.split() for line in stdout.splitlines() if line.startswith("    Custom.")]
    assert mapped == [["Custom.Refusal", "POB-J07,", "POB-Q02"]]
    assert "ExistedClient" not in stdout
    assert "(j10_require_both): true" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--params", '{"j10_require_both": "yes"}'), 'got the string "yes"'),
        (("--params", '{"as_of": "2026-11-01"}'), "give as_of with --as-of"),
        (("--decision-codes", "missing.json"), "--decision-codes missing.json: cannot read"),
    ],
)
def test_rules_refuse_bad_options_with_exit_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, _, err = run_cli(capsys, "rules", *args)
    assert code == 2 and message in err
