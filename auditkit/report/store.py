"""The reports folder as readers see it: periods, their manifests, failure records, verdicts.

`<out>/<period>/` shows a successful report (a link to its current version, see
`auditkit.report.publish`); a failed run is kept as `<out>/<period>/failed-<UTC
timestamp>/` and leaves the previous report as it was.
A signed-off report replaced with `--supersede` is kept as
`<out>/<period>/superseded-<UTC timestamp>/`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from auditkit.analysis.population import PERIOD_PATTERN, Period
from auditkit.errors import ParameterError
from auditkit.vocab import RunStatus

FAILED_PREFIX = "failed-"
SUPERSEDED_PREFIX = "superseded-"
SIGNOFFS = "signoffs.json"  # who signed the report in this folder (auditkit.report.signoff)
MANIFEST = "manifest.json"
PREVIOUS_COLUMNS = ("request_id", "member_uin", "verdict", "failed_rules")


def is_period(name: object) -> bool:
    """Whether `name` is a month written YYYY-MM, exactly."""
    return isinstance(name, str) and PERIOD_PATTERN.match(name) is not None


def check_period(period: str) -> str:
    return Period(period).name


def read_manifest(folder: Path) -> dict[str, object]:
    """The manifest.json of a folder, or {} when it is missing or unreadable."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def period_folders(out: Path) -> dict[str, Path]:
    """Period folders under `out` that hold a successful report, by period."""
    found: dict[str, Path] = {}
    if not Path(out).is_dir():
        return found
    for folder in Path(out).iterdir():
        if not (folder.is_dir() and is_period(folder.name)):
            continue
        if read_manifest(folder).get("status") == RunStatus.SUCCEEDED:
            found[folder.name] = folder
    return dict(sorted(found.items()))


def usable_previous(out: Path, period: str) -> tuple[Path | None, list[str]]:
    """The latest earlier period whose verdicts can be read, and a warning per one skipped.

    A broken earlier report must not make every later scheduled report fail: it is
    skipped, and the warnings say so (the report and its manifest record them).
    """
    skipped: list[str] = []
    earlier = [folder for name, folder in period_folders(out).items() if name < period]
    for folder in reversed(earlier):
        try:
            read_verdicts(folder)
        except ParameterError as error:
            skipped.append(f"skipped the earlier period {folder.name}: {error}")
            continue
        return folder, skipped
    return None, skipped


def read_verdicts(folder: Path) -> pd.DataFrame:
    """A previous run's verdicts (verdicts.csv or .parquet in `folder`) as text columns."""
    folder = Path(folder)
    csv_path, parquet_path = folder / "verdicts.csv", folder / "verdicts.parquet"
    try:
        if csv_path.is_file():
            frame = _text_csv(csv_path)
        elif parquet_path.is_file():
            frame = pd.read_parquet(parquet_path).astype("str")
        else:
            frame = None
    except (OSError, ValueError) as error:  # empty, binary, ragged, truncated Parquet
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise ParameterError(
            f"previous verdicts in {folder} cannot be read ({reason}); point --previous at "
            "another report folder, or run that period's report again"
        ) from None
    if frame is None:
        raise ParameterError(
            f"previous period folder {folder} holds no verdicts.csv or verdicts.parquet; "
            "point --previous at an earlier report folder such as reports/2026-10"
        )
    missing = [column for column in PREVIOUS_COLUMNS if column not in frame]
    if missing:
        raise ParameterError(f"previous verdicts in {folder} lack the column(s) {missing}")
    if frame["request_id"].duplicated().any():
        raise ParameterError(f"previous verdicts in {folder} list a request_id more than once")
    return frame


def _text_csv(path: Path) -> pd.DataFrame:
    """A CSV file with every column as text ("" stays ""); a row with more or fewer fields
    than the header is refused with its line number (pandas would pad a short one)."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pa_csv

    with path.open(encoding="utf-8", newline="") as stream:
        header = next(csv.reader(stream), None)
    if not header:
        raise ValueError("the file is empty")
    ragged: list[object] = []

    def refuse(row: object) -> str:
        ragged.append(row)
        return "error"

    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=False),  # invalid rows get line numbers
            parse_options=pa_csv.ParseOptions(invalid_row_handler=refuse),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except pa.ArrowInvalid:
        if not ragged:
            raise
        row = ragged[0]
        raise ValueError(
            f"verdicts.csv line {row.number} has {row.actual_columns} fields, the header "
            f"{row.expected_columns}: {row.text[:80]!r}"
        ) from None
    return table.to_pandas().astype("str")


def failure_records(out: Path) -> list[dict[str, object]]:
    """Manifests of failed runs kept under `<out>/<period>/failed-*/`, newest first."""
    records = []
    for record in sorted(Path(out).glob(f"*/{FAILED_PREFIX}*"), reverse=True):
        if record.is_dir() and is_period(record.parent.name):
            manifest = read_manifest(record)
            error = manifest.get("error") or {}
            records.append(
                {
                    "period": record.parent.name,
                    "record": f"{record.parent.name}/{record.name}",
                    "finished_at": manifest.get("finished_at", ""),
                    "error": error.get("message", "") if isinstance(error, dict) else str(error),
                }
            )
    return records
