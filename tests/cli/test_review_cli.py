"""`auditkit review ...` and `check --db` end to end (contract §7), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import run_cli

from auditkit.io.manifest import sha256_file
from auditkit.review.register import Register

AS_OF = ("--as-of", "2026-11-01")
EXCHANGE = ["request_id", "rule_id", "state", "note", "expires"]


def rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from auditkit.cli import main

    data = tmp_path_factory.mktemp("review-demo") / "data"
    assert main(["demo", "--out", str(data), "--requests", "300"]) == 0
    return data


def findings_in(verdicts: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(request_id, rule_id) of every finding, from failed_rules and error_rules."""
    found = []
    for row in verdicts:
        rules = [r for r in (row["failed_rules"] + ";" + row["error_rules"]).split(";") if r]
        found += [(row["request_id"], rule) for rule in sorted(rules)]
    return found


def test_contract_flow(capsys, demo_data: Path, register_db: str, tmp_path: Path):
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        capsys, "check", "--data", demo_data, "--out", out, *AS_OF, "--db", register_db
    )
    assert code == 0, err
    header, verdicts = rows(out / "verdicts.csv")
    assert header[-1] == "review_state" and header[:-1][-1] == "decision_code_check"
    assert {v["review_state"] for v in verdicts} == {""}  # nothing reviewed yet
    findings = findings_in(verdicts)
    assert f"{len(findings)} finding(s), {len(findings)} seen for the first time" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["review"]["findings"] == len(findings)

    # Two findings of one request: one confirmed, one waived until a date before as_of.
    by_request: dict[str, list[str]] = {}
    for request_id, rule_id in findings:
        by_request.setdefault(request_id, []).append(rule_id)
    request_id, (first, second, *_) = next((r, f) for r, f in by_request.items() if len(f) >= 2)
    code, stdout, err = run_cli(
        capsys,
        "review",
        "set",
        "--db",
        register_db,
        "--request",
        request_id,
        "--rule",
        first,
        "--state",
        "confirmed",
        "--by",
        "ann",
        "--note",
        "a real exception",
    )
    assert code == 0, err
    assert stdout.strip() == f"{request_id} {first}: open -> confirmed (by ann)"
    code, _, err = run_cli(
        capsys,
        "review",
        "set",
        "--db",
        register_db,
        "--request",
        request_id,
        "--rule",
        second,
        "--state",
        "waived",
        "--by",
        "bob",
        "--note",
        "=risk accepted",
        "--expires",
        "2026-10-31",
    )
    assert code == 0, err

    code, stdout, _ = run_cli(
        capsys, "review", "history", "--db", register_db, "--request", request_id
    )
    lines = stdout.strip().splitlines()
    assert len(lines) == 2
    assert f"{request_id} {first}  open -> confirmed  by ann (cli)" in lines[0]
    assert "expires 2026-10-31" in lines[1] and "note: =risk accepted" in lines[1]
    code, stdout, _ = run_cli(
        capsys, "review", "history", "--db", register_db, "--request", request_id, "--rule", first
    )
    assert len(stdout.strip().splitlines()) == 1

    # Export: the exchange columns first, spreadsheet-safe, every finding.
    export = tmp_path / "review.csv"
    code, stdout, _ = run_cli(capsys, "review", "export", "--db", register_db, "--out", export)
    assert code == 0 and f"wrote {len(findings)} finding(s)" in stdout
    header, exported = rows(export)
    assert header[:5] == EXCHANGE and len(header) > 5
    mine = {(r["request_id"], r["rule_id"]): r for r in exported}
    assert mine[(request_id, second)]["note"] == "'=risk accepted"
    assert mine[(request_id, second)]["expires"] == "2026-10-31"

    # Import the export back: nothing changes. Then a real change through import.
    code, stdout, err = run_cli(
        capsys, "review", "import", "--db", register_db, export, "--by", "cy"
    )
    assert code == 0, err
    assert "imported 0 change(s)" in stdout and f"{len(findings)} row(s) already so" in stdout
    third = next(k for k in mine if k[0] != request_id)
    edited = tmp_path / "edited.csv"
    edited.write_text(
        "request_id,rule_id,state,note,expires,whatever\n"
        f"{third[0]},{third[1]},false_positive,stale balance,,x\n",
        encoding="utf-8",
    )
    code, stdout, err = run_cli(
        capsys, "review", "import", "--db", register_db, edited, "--by", "cy"
    )
    assert code == 0, err
    assert "imported 1 change(s)" in stdout

    # The next check shows the states: rule-id order, the expired waiver as waiver_expired.
    code, _, err = run_cli(
        capsys, "check", "--data", demo_data, "--out", out, *AS_OF, "--db", register_db
    )
    assert code == 0, err
    _, verdicts = rows(out / "verdicts.csv")
    states = {v["request_id"]: v["review_state"] for v in verdicts}
    expected = ["open"] * len(by_request[request_id])
    expected[by_request[request_id].index(first)] = "confirmed"
    expected[by_request[request_id].index(second)] = "waiver_expired"
    assert states[request_id] == ";".join(expected)
    assert states[third[0]].split(";")[by_request[third[0]].index(third[1])] == "false_positive"
    assert sum(1 for s in states.values() if s) == 2

    with Register.open(register_db) as register:
        runs = register.runs()
    assert runs["command"].tolist() == ["check", "check"]
    assert runs["manifest_sha256"].iloc[-1] == sha256_file(out / "manifest.json")


def test_check_without_db_keeps_the_v1_columns(capsys, demo_data: Path, tmp_path: Path):
    code, _, _ = run_cli(capsys, "check", "--data", demo_data, "--out", tmp_path / "o", *AS_OF)
    assert code == 0
    header, _ = rows(tmp_path / "o" / "verdicts.csv")
    assert "review_state" not in header
    assert not (tmp_path / "reports").exists()


def test_bare_db_option_means_reports_review_db(
    capsys, demo_data: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "check", "--data", demo_data, "--out", "o", *AS_OF, "--db")
    assert code == 0, err
    assert (tmp_path / "reports" / "review.db").is_file()
    code, stdout, _ = run_cli(capsys, "review", "export", "--out", "all.csv")
    assert code == 0 and "finding(s)" in stdout


# ---- refused input: exit 2 and a message naming what is wrong ---------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, demo_data: Path) -> tuple[str, str, str]:
    """An SQLite register holding the demo's findings; (db, a request_id, one of its rules)."""
    from auditkit.cli import main

    folder = tmp_path_factory.mktemp("refused")
    db = str(folder / "review.db")
    assert (
        main(["check", "--data", str(demo_data), "--out", str(folder / "o"), *AS_OF, "--db", db])
        == 0
    )
    _, verdicts = rows(folder / "o" / "verdicts.csv")
    request_id, rule_id = findings_in(verdicts)[0]
    return db, request_id, rule_id


SET_REFUSALS = {
    "unknown request": (["--request", "REQ-NOPE"], "'REQ-NOPE' has no finding in the register"),
    "unknown rule": (["--rule", "POB-J99"], "--rule 'POB-J99': unknown rule"),
    "rule that is not a finding": (["--rule", "@other"], "has no finding for rule"),
    "unknown state": (["--state", "closed"], "--state 'closed': unknown review state"),
    "shown-only state": (["--state", "waiver_expired"], "unknown review state"),
    "waiver without note": (
        ["--state", "waived", "--expires", "2026-12-31"],
        "--note '': a waiver needs a note",
    ),
    "waiver without expiry": (
        ["--state", "waived", "--note", "ok"],
        "--expires '': a waiver needs an end date",
    ),
    "malformed expiry": (
        ["--state", "waived", "--note", "ok", "--expires", "31.12.2026"],
        "--expires '31.12.2026'",
    ),
    "expiry without waiver": (["--expires", "2026-12-31"], "belongs to a waiver"),
    "empty reviewer": (["--by", " "], "--by '': the reviewer's name is required"),
}


@pytest.mark.parametrize("kind", list(SET_REFUSALS))
def test_review_set_refuses(capsys, recorded, kind: str):
    db, request_id, rule_id = recorded
    changes, words = SET_REFUSALS[kind]
    options = {"--request": request_id, "--rule": rule_id, "--state": "confirmed", "--by": "ann"}
    for option, value in zip(changes[::2], changes[1::2], strict=True):
        options[option] = value
    if options["--rule"] == "@other":
        options["--rule"] = next(r for r in ("POB-Q03", "POB-Q02", "POB-J10") if r != rule_id)
    argv = ["review", "set", "--db", db]
    for option, value in options.items():
        argv += [option, value]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2, err
    assert words in err
    assert "Traceback" not in err


IMPORT_REFUSALS = {
    "missing column": ("request_id,rule_id,state,note\nR,POB-J01,open,\n", "column expires"),
    "bad state": (
        "request_id,rule_id,state,note,expires\n{r},{u},closed,,\n",
        "column state, row 2: value 'closed'",
    ),
    "unknown rule": (
        "request_id,rule_id,state,note,expires\n{r},POB-X,open,,\n",
        "column rule_id, row 2",
    ),
    "waiver without expiry": (
        "request_id,rule_id,state,note,expires\n{r},{u},waived,why,\n",
        "column expires, row 2",
    ),
    "malformed expiry": (
        "request_id,rule_id,state,note,expires\n{r},{u},waived,why,tomorrow\n",
        "value 'tomorrow'",
    ),
    "ragged row": (
        "request_id,rule_id,state,note,expires\n{r},{u},open\n",
        "row 2: 5 fields, found 3",
    ),
    "duplicate finding": (
        "request_id,rule_id,state,note,expires\n{r},{u},open,,\n{r},{u},confirmed,,\n",
        "also on row 2",
    ),
    "finding not recorded": (
        "request_id,rule_id,state,note,expires\nREQ-NOPE,{u},open,,\n",
        "not a finding recorded in the register",
    ),
    "empty file": ("", "a header row"),
}


@pytest.mark.parametrize("kind", list(IMPORT_REFUSALS))
def test_review_import_refuses_a_malformed_file(capsys, recorded, tmp_path: Path, kind: str):
    db, request_id, rule_id = recorded
    content, words = IMPORT_REFUSALS[kind]
    path = tmp_path / "in.csv"
    path.write_text(content.format(r=request_id, u=rule_id), encoding="utf-8")
    code, _, err = run_cli(capsys, "review", "import", "--db", db, path, "--by", "ann")
    assert code == 2, err
    assert words in err and "in.csv" in err
    with Register.open(db) as register:
        assert register.history(request_id).empty  # all or nothing


def test_review_import_refuses_a_file_that_is_not_utf8(capsys, recorded, tmp_path: Path):
    db, _, _ = recorded
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "request_id,rule_id,state,note,expires\nR,POB-J01,open,caf\xe9,\n".encode("latin-1")
    )
    code, _, err = run_cli(capsys, "review", "import", "--db", db, path, "--by", "ann")
    assert code == 2 and "UTF-8" in err


def test_review_import_of_a_missing_file_is_refused(capsys, recorded, tmp_path: Path):
    db, _, _ = recorded
    code, _, err = run_cli(
        capsys, "review", "import", "--db", db, tmp_path / "nope.csv", "--by", "a"
    )
    assert code == 2 and "nope.csv" in err


def test_unknown_request_in_history_is_refused(capsys, recorded):
    db, request_id, _ = recorded
    code, _, err = run_cli(capsys, "review", "history", "--db", db, "--request", "REQ-NOPE")
    assert code == 2 and "REQ-NOPE" in err
    code, _, err = run_cli(
        capsys, "review", "history", "--db", db, "--request", request_id, "--rule", "POB-X"
    )
    assert code == 2 and "POB-X" in err


def test_export_needs_a_csv_name(capsys, recorded, tmp_path: Path):
    db, _, _ = recorded
    code, _, err = run_cli(capsys, "review", "export", "--db", db, "--out", tmp_path / "x.xlsx")
    assert code == 2 and "--out" in err


@pytest.mark.parametrize("db", ["mysql://u@h/d", "not a url://x"])
def test_unusable_db_is_refused_before_the_data_is_read(capsys, db: str, tmp_path: Path):
    code, _, err = run_cli(
        capsys, "check", "--data", tmp_path / "nothing", "--out", tmp_path / "o", "--db", db
    )
    assert code == 2 and "--db" in err


def test_unreachable_postgresql_is_a_clear_failure_without_the_password(capsys, tmp_path: Path):
    url = f"postgresql://ann:s3cret@/db?host={tmp_path}&port=1"
    code, _, err = run_cli(capsys, "review", "export", "--db", url, "--out", tmp_path / "x.csv")
    assert code == 1
    assert "review register" in err and "s3cret" not in err and "Traceback" not in err


def test_signoff_without_a_finished_report_is_refused(capsys, recorded, tmp_path: Path):
    db, _, _ = recorded
    code, _, err = run_cli(
        capsys,
        "review",
        "signoff",
        "--db",
        db,
        "--period",
        "2026-11",
        "--role",
        "preparer",
        "--by",
        "pat",
        "--reports",
        tmp_path,
    )
    assert code == 2 and "no finished report" in err
    code, _, err = run_cli(
        capsys,
        "review",
        "signoff",
        "--db",
        db,
        "--period",
        "2026-13",
        "--role",
        "preparer",
        "--by",
        "pat",
        "--reports",
        tmp_path,
    )
    assert code == 2 and "2026-13" in err
