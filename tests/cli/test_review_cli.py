"""`auditkit review ...` and `check --db` end to end (contract §7), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
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


# ---- follow-up, and the faults of issue 19 ----------------------------------------------


def checked(capsys, demo_data: Path, db: str, out: Path) -> list[tuple[str, str]]:
    code, _, err = run_cli(capsys, "check", "--data", demo_data, "--out", out, *AS_OF, "--db", db)
    assert code == 0, err
    return findings_in(rows(out / "verdicts.csv")[1])


def test_follow_up_round_trips_through_set_history_export_and_import(
    capsys, demo_data: Path, register_db: str, tmp_path: Path
):
    (request_id, rule_id), (other, other_rule), *_ = checked(
        capsys, demo_data, register_db, tmp_path / "out"
    )
    review = ["review", "set", "--db", register_db, "--request", request_id, "--rule", rule_id]
    code, stdout, err = run_cli(
        capsys,
        *review,
        "--state",
        "confirmed",
        "--by",
        "ann",
        "--owner",
        "Ops Team",
        "--due",
        "2026-12-15",
        "--response",
        "=fix by December",
        "--remediation",
        "in_progress",
    )
    assert code == 0, err
    assert "open -> confirmed (by ann); owner Ops Team; due 2026-12-15" in stdout
    code, stdout, err = run_cli(capsys, *review, "--by", "bob", "--remediation", "implemented")
    assert code == 0, err
    assert "confirmed -> confirmed" in stdout
    code, stdout, _ = run_cli(
        capsys, "review", "history", "--db", register_db, "--request", request_id
    )
    lines = stdout.strip().splitlines()
    assert len(lines) == 2 and "nan" not in stdout and "note" not in stdout
    assert "owner Ops Team" in lines[1] and "remediation implemented" in lines[1]
    assert "response: =fix by December" in lines[1]

    export = tmp_path / "review.csv"
    assert run_cli(capsys, "review", "export", "--db", register_db, "--out", export)[0] == 0
    header, exported = rows(export)
    assert header[:5] == EXCHANGE
    assert header.index("owner") > 5 and {"due", "response", "remediation"} <= set(header)
    mine = {(r["request_id"], r["rule_id"]): r for r in exported}
    assert mine[(request_id, rule_id)]["owner"] == "Ops Team"
    assert mine[(request_id, rule_id)]["response"] == "'=fix by December"  # defused
    assert mine[(request_id, rule_id)]["remediation"] == "implemented"
    code, stdout, err = run_cli(
        capsys, "review", "import", "--db", register_db, export, "--by", "cy"
    )
    assert code == 0 and "imported 0 change(s)" in stdout, err

    edited = tmp_path / "edited.csv"
    edited.write_text(
        "request_id,rule_id,state,note,expires,owner,due\n"
        f"{other},{other_rule},confirmed,,,Finance,2026-11-30\n",
        encoding="utf-8",
    )
    code, stdout, err = run_cli(
        capsys, "review", "import", "--db", register_db, edited, "--by", "cy"
    )
    assert code == 0 and "imported 1 change(s)" in stdout, err
    with Register.open(register_db) as register:
        found = register.findings().set_index(["request_id", "rule_id"])
    assert found.loc[(other, other_rule), "owner"] == "Finance"
    assert str(found.loc[(other, other_rule), "due"]) == "2026-11-30"
    assert found.loc[(request_id, rule_id), "owner"] == "Ops Team"  # not in the file: kept


def test_a_change_without_a_note_prints_no_nan(capsys, recorded):
    db, request_id, rule_id = recorded
    for state in ("confirmed", "under_review"):
        code, _, err = run_cli(
            capsys, "review", "set", "--db", db, "--request", request_id, "--rule", rule_id,
            "--state", state, "--by", "ann", *(["--note", "why"] if state == "confirmed" else []),
        )  # fmt: skip
        assert code == 0, err
    code, stdout, _ = run_cli(capsys, "review", "history", "--db", db, "--request", request_id)
    assert code == 0 and "nan" not in stdout
    assert stdout.strip().splitlines()[-1].endswith("by ann (cli)")


@pytest.mark.parametrize("option", ["--by", "--owner"])
def test_a_newline_in_a_name_is_refused(capsys, recorded, option: str):
    db, request_id, rule_id = recorded
    forged = "eve\n2026-01-01T00:00:00+00:00  X POB-J01  open -> false_positive  by boss (cli)"
    options = {"--by": "ann", option: forged}
    code, _, err = run_cli(
        capsys, "review", "set", "--db", db, "--request", request_id, "--rule", rule_id,
        "--state", "confirmed", *(x for pair in options.items() for x in pair),
    )  # fmt: skip
    assert code == 2 and option in err and "control or invisible character" in err
    code, stdout, _ = run_cli(capsys, "review", "history", "--db", db, "--request", request_id)
    assert "boss" not in stdout


def test_history_escapes_control_characters_recorded_before_names_were_checked(capsys, recorded):
    from auditkit.cli.review import history_line, printable

    row = {
        "changed_at": __import__("datetime").datetime(2026, 11, 1, tzinfo=__import__("datetime").UTC),
        "request_id": "R1", "rule_id": "POB-J01", "from_state": "open", "to_state": "confirmed",
        "changed_by": "eve\nforged", "via": "cli", "note": "line one\nline two\u2028three",
    }  # fmt: skip
    printed = printable(history_line(row))
    assert "\n" not in printed and "\u2028" not in printed
    assert "eve\\nforged" in printed and "line one\\nline two\\u2028three" in printed


def test_a_nul_in_an_import_note_is_refused_on_both_backends(
    capsys, demo_data: Path, register_db: str, tmp_path: Path
):
    (request_id, rule_id), *_ = checked(capsys, demo_data, register_db, tmp_path / "out")
    path = tmp_path / "nul.csv"
    path.write_text(
        f"request_id,rule_id,state,note,expires\n{request_id},{rule_id},confirmed,a\0b,\n",
        encoding="utf-8",
    )
    code, _, err = run_cli(capsys, "review", "import", "--db", register_db, path, "--by", "ann")
    assert code == 2, err
    assert "row 2" in err and "column note" in err and "NUL" in err
    with Register.open(register_db) as register:
        assert register.reviewed().empty


def test_import_lists_unknown_findings_with_the_other_bad_rows(capsys, recorded, tmp_path: Path):
    db, request_id, rule_id = recorded
    path = tmp_path / "bad.csv"
    path.write_text(
        "request_id,rule_id,state,note,expires\n"
        "REQ-NOPE,POB-J01,confirmed,,\n"
        f"{request_id},{rule_id},closed,,\n"
        f"{request_id},POB-Q03,confirmed,,\n",
        encoding="utf-8",
    )
    code, _, err = run_cli(capsys, "review", "import", "--db", db, path, "--by", "ann")
    assert code == 2
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert [int(line.split("row ")[1].split(":")[0]) for line in problems] == [2, 3, 4]
    assert "not a finding recorded" in problems[0] and "unknown review state" in problems[1]


def read_only(folder: Path, db: Path) -> None:
    """Make the register file and its folder read-only (the WAL index cannot be created)."""
    db.chmod(0o444)
    folder.chmod(0o555)


# One interpreter imports what the review commands import (they import it lazily: about 2.5 s
# in each fresh interpreter) and forks a child per command; each child runs the `auditkit`
# command (`auditkit.cli.run`, ending by its sys.exit) with its output in files. The parent
# opens no register, so nothing it holds is shared with the children.
FORKING = r"""
import json, os, sys
import auditkit.cli, auditkit.cli.review, auditkit.review.changes, auditkit.review.exchange
import auditkit.review.register, auditkit.rules.pob
for argv, out, err in json.loads(sys.argv[1]):
    pid = os.fork()
    if pid == 0:
        for fd, path in ((1, out), (2, err)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        sys.argv = ["auditkit", *argv]
        auditkit.cli.run()
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


def run_as_unprivileged(
    folder: Path, *commands: list[object]
) -> list[subprocess.CompletedProcess[str]]:
    """`auditkit ARGV` for each of `commands` in turn, each in a process that file permissions
    bind, even when the tests run as root (its output kept in `folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    runs = [
        ([str(arg) for arg in argv], str(folder / f"{n}.out"), str(folder / f"{n}.err"))
        for n, argv in enumerate(commands)
    ]
    command = [sys.executable, "-c", FORKING, json.dumps(runs)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip(
                "running as root without setpriv: cannot drop the right to override permissions"
            )
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and len(done.stdout.split()) == len(runs), done.stderr
    return [
        subprocess.CompletedProcess(argv, int(status), Path(out).read_text(), Path(err).read_text())
        for (argv, out, err), status in zip(runs, done.stdout.split(), strict=True)
    ]


def test_a_read_only_sqlite_register_still_exports_and_shows_history(
    capsys, demo_data: Path, tmp_path: Path
):
    folder = tmp_path / "archive"
    db = folder / "review.db"
    (request_id, rule_id), *_ = checked(capsys, demo_data, str(db), tmp_path / "out")
    review = ["review", "set", "--db", db, "--request", request_id, "--rule", rule_id]
    assert run_cli(capsys, *review, "--state", "confirmed", "--by", "ann")[0] == 0
    with Register.open(db) as register:
        register.engine.dispose()  # the last connection closes: the log is checkpointed
    assert not (folder / "review.db-wal").exists()
    read_only(folder, db)
    out = tmp_path / "export.csv"
    try:
        exported, history, refused = run_as_unprivileged(
            tmp_path / "runs",
            ["review", "export", "--db", db, "--out", out],
            ["review", "history", "--db", db, "--request", request_id],
            [*review, "--state", "open", "--by", "ann"],
        )
        assert exported.returncode == 0, exported.stderr
        assert len(rows(out)[1]) > 1
        assert history.returncode == 0 and "open -> confirmed" in history.stdout, history.stderr
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


def test_a_read_only_postgresql_role_exports_and_shows_history(
    capsys, demo_data: Path, register_db: str, tmp_path: Path
):
    if not register_db.startswith("postgresql"):
        pytest.skip("the read-only role is PostgreSQL's")
    import psycopg
    from sqlalchemy.engine import make_url

    (request_id, _), *_ = checked(capsys, demo_data, register_db, tmp_path / "out")
    url = make_url(register_db)
    role = f"reader_{url.database[-12:]}"
    with psycopg.connect(
        url.set(drivername="postgresql").render_as_string(False), autocommit=True
    ) as c:
        c.execute(f'CREATE ROLE "{role}" LOGIN')
        c.execute(f'GRANT CONNECT ON DATABASE "{url.database}" TO "{role}"')
        c.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        c.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        c.execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on')
    try:
        reader = url.set(username=role).render_as_string(False)
        out = tmp_path / "export.csv"
        code, _, err = run_cli(capsys, "review", "export", "--db", reader, "--out", out)
        assert code == 0, err
        code, stdout, err = run_cli(
            capsys, "review", "history", "--db", reader, "--request", request_id
        )
        assert code == 0 and "no review recorded yet" in stdout, err
    finally:
        with psycopg.connect(
            url.set(drivername="postgresql").render_as_string(False), autocommit=True
        ) as c:
            c.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
            c.execute(f'REVOKE ALL ON SCHEMA public FROM "{role}"')
            c.execute(f'REVOKE ALL ON DATABASE "{url.database}" FROM "{role}"')
            c.execute(f'DROP ROLE "{role}"')
