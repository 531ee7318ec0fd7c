"""Several processes write to one register at once: nothing is lost, nothing is refused.

Four processes start together (a file-system barrier) and each runs
`auditkit review set` 50 times in-process, every process on the same 50
findings, so they contend for the same rows. Afterwards the history holds all
200 changes, each finding's history chains from one state to the next, and no
command failed or said "database is locked".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import auditkit.demo as demo
from auditkit import POB, Params, evaluate
from auditkit.review import schema
from auditkit.review.register import Register
from auditkit.review.states import finding_keys

PROCESSES = 4
CHANGES = 50
STATES = ("under_review", "confirmed", "false_positive", "remediated")
BARRIER_SECONDS = 120

WORKER = r"""
import io, json, sys, time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from auditkit.cli import main

db, folder, me, state = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
keys = json.loads((folder / "keys.json").read_text())
(folder / f"ready-{me}").touch()
deadline = time.monotonic() + 120
while not (folder / "go").exists():
    if time.monotonic() > deadline:
        sys.exit("no go")
    time.sleep(0.005)
outcomes = []
for request_id, rule_id in keys:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["review", "set", "--db", db, "--request", request_id, "--rule", rule_id,
                     "--state", state, "--by", f"worker-{me}"])
    outcomes.append([code, err.getvalue()])
print(json.dumps(outcomes))
"""


@pytest.mark.slow
def test_four_processes_setting_50_states_each_lose_nothing(register_db, tmp_path: Path):
    # 50 findings to change: a realistic demo month of 400 requests has them.
    result = evaluate(demo.tables(requests=400), Params(as_of=demo.DEFAULT_AS_OF), POB)
    with Register.open(register_db) as register:
        register.record_run(result, "check")
    keys = finding_keys(result).head(CHANGES).values.tolist()
    assert len(keys) == CHANGES
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, register_db, str(tmp_path), str(i), STATES[i]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for i in range(PROCESSES)
    ]
    deadline = time.monotonic() + BARRIER_SECONDS
    while len(list(tmp_path.glob("ready-*"))) < PROCESSES:
        assert time.monotonic() < deadline, "workers did not start"
        assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outcomes = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
        outcomes += json.loads(out)
    assert len(outcomes) == PROCESSES * CHANGES
    assert [(code, err) for code, err in outcomes if code != 0] == []
    assert not [err for _, err in outcomes if "locked" in err.lower() or err.strip()]

    with Register.open(register_db) as register, register.engine.connect() as connection:
        f, h = schema.findings, schema.history
        rows = connection.execute(
            sa.select(f.c.request_id, f.c.rule_id, f.c.state, h.c.from_state, h.c.to_state)
            .join(f, f.c.id == h.c.finding_id)
            .order_by(h.c.id)
        ).all()
    assert len(rows) == PROCESSES * CHANGES
    chains: dict[tuple[str, str], list[tuple[str, str]]] = {}
    final: dict[tuple[str, str], str] = {}
    for request_id, rule_id, state, before, after in rows:
        chains.setdefault((request_id, rule_id), []).append((before, after))
        final[(request_id, rule_id)] = state
    assert set(chains) == {tuple(k) for k in keys}
    for key, chain in chains.items():
        assert len(chain) == PROCESSES
        assert chain[0][0] == "open"
        assert all(chain[i][0] == chain[i - 1][1] for i in range(1, len(chain))), key
        assert final[key] == chain[-1][1]
