"""Judging on Dask: the requests in partitions, each judged by the pandas engine's own code.

1. requests are read and typed per piece and cut into partitions of ~250k rows;
2. each per-member total (open orders, usable vouchers) is a Dask reduction
   (count, sum, min per uin);
3. while accounts are small (`BROADCAST_ROWS`), the typed accounts and the totals
   are sent whole to every worker (a broadcast) and looked up per partition as
   the pandas engine does; beyond, the member's and the admin's account rows and
   the totals are joined to the requests by shuffles, as nullable columns so
   that a missing account changes no type;
4. per partition, the case frame is rebuilt exactly as `engine.cases.build_cases`
   would (the account features run on the accounts sent or joined), judged by
   `engine.evaluate.judge_cases`, written, and reduced to counts.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from auditkit.contract import REQUEST_FIELDS, column_names
from auditkit.engine.distributed.output import Output
from auditkit.engine.distributed.sources import Piece, TableFiles, read_arrow, read_piece
from auditkit.engine.evaluate import judge_cases
from auditkit.io.fast import Unsure, typed_frame
from auditkit.io.tables import Tables, convert
from auditkit.params import Params
from auditkit.rules.features import spread_totals
from auditkit.rules.model import Catalogue, Feature
from auditkit.vocab import STATUSES, ControlException, Verdict

ROWS_PER_PARTITION = 250_000
BROADCAST_ROWS = 2_000_000  # accounts up to this many rows are sent whole to every worker
TOTALS = ("count", "cents", "example")


def typed_piece(piece: Piece, names: tuple[str, ...], nullable: bool = False) -> pd.DataFrame:
    """One piece read (only the columns `names`) and typed as `auditkit.io.tables.convert` does.

    `nullable` turns int64 and bool columns into Int64 and boolean, so that a left
    join leaves them exact where nothing matched.
    """
    frame = None
    if piece.fmt == "parquet":
        try:
            frame = typed_frame(piece.table, read_arrow(piece, list(names)), only=names)
        except Unsure:
            frame = None
    if frame is None:
        frame = convert(piece.table, read_piece(piece, list(names)))
    return _nullable(frame) if nullable else frame


def typed_meta(table: str, columns: tuple[str, ...], nullable: bool = False) -> pd.DataFrame:
    """The empty typed frame a piece of `table` turns into."""
    empty = pd.DataFrame({name: pd.Series([], dtype="str") for name in columns})
    frame = convert(table, empty)
    return _nullable(frame) if nullable else frame


def _nullable(frame: pd.DataFrame) -> pd.DataFrame:
    changes = {
        name: "Int64" if frame[name].dtype == np.int64 else "boolean"
        for name in frame.columns
        if frame[name].dtype in (np.int64, bool)
    }
    return frame.astype(changes) if changes else frame


def _read(files: TableFiles, columns: tuple[str, ...], nullable: bool = False):
    import dask.dataframe as dd

    meta = typed_meta(files.table, columns, nullable)
    return dd.from_map(typed_piece, files.pieces, names=columns, nullable=nullable, meta=meta)


def joined_requests(
    files: dict[str, TableFiles], params: Params, catalogue: Catalogue, workers: int
):
    """(requests, shared): the requests in partitions, and what every partition needs.

    While accounts are small (`BROADCAST_ROWS`), `shared` (one Delayed dict) holds the
    whole typed accounts frame and each feature's per-member totals, sent once to each
    worker; partitions then look them up exactly as the pandas engine does. Beyond,
    the account rows and totals are joined to the requests by shuffles, and `shared`
    is empty.
    """
    from dask import delayed

    rows = sum(piece.rows for piece in files["requests"].pieces)
    requests = _read(files["requests"], tuple(column_names("requests")))
    wanted = max(math.ceil(max(rows, 1) / ROWS_PER_PARTITION), 2 * workers)
    if rows >= 0 and wanted > requests.npartitions:
        requests = requests.repartition(npartitions=wanted)
    account_rows = sum(piece.rows for piece in files["accounts"].pieces)
    broadcast = 0 <= account_rows <= BROADCAST_ROWS
    names = tuple(column_names("accounts"))
    shared: dict[str, object] = {}
    if broadcast:
        pieces = [delayed(typed_piece)(p, names) for p in files["accounts"].pieces]
        shared["accounts"] = delayed(pd.concat)(pieces, ignore_index=True)
    accounts = None if broadcast else _read(files["accounts"], names, nullable=True)
    for feature in catalogue.features:
        if feature.roles and accounts is not None:
            for role in feature.roles:
                right = accounts.rename(columns={c: f"{role}:{c}" for c in accounts.columns})
                requests = requests.merge(
                    right, how="left", left_on=f"{role}_uin", right_on=f"{role}:uin"
                )
        elif feature.totals is not None:
            totals = piece_totals(files, feature, params, split=not broadcast)
            if broadcast:
                shared[feature.name] = totals.to_delayed()[0]
            else:
                requests = requests.merge(
                    totals, how="left", left_on="member_uin", right_index=True
                )
        elif not feature.roles:
            raise ValueError(f"feature {feature.name} has no form the Dask engine can compute")
    return requests, delayed(dict)(**shared)


def piece_totals(files: dict[str, TableFiles], feature: Feature, params: Params, split: bool):
    """count, cents and smallest id per uin of the rows the feature selects: a tree reduction
    (into several partitions when `split`, to be joined by a shuffle)."""
    totals = feature.totals
    assert totals is not None
    rows = _read(files[totals.table], totals.reads)
    kept = rows.map_partitions(lambda frame: frame[totals.selects(frame, params)], meta=rows._meta)
    grouped = kept.groupby("uin").agg(
        count=(totals.id_column, "count"),
        cents=(totals.amount_column, "sum"),
        example=(totals.id_column, "min"),
        split_out=max(1, rows.npartitions // 8) if split else 1,
    )
    return grouped.rename(columns={name: f"{feature.name}:{name}" for name in TOTALS})


def partition_cases(
    part: pd.DataFrame, params: Params, catalogue: Catalogue, shared: dict | None = None
) -> pd.DataFrame:
    """The case frame of one joined partition, as `build_cases` builds it for these requests."""
    shared = shared or {}
    requests = part[list(REQUEST_FIELDS)]
    data: dict[str, object] = {name: requests[name].array for name in REQUEST_FIELDS}
    roles = [role for f in catalogue.features for role in f.roles]
    accounts = shared["accounts"] if "accounts" in shared else _local_accounts(part, roles)
    local = Tables(
        accounts=accounts, orders=pd.DataFrame(), vouchers=pd.DataFrame(), requests=requests
    )
    for feature in catalogue.features:
        if feature.roles:
            data |= feature.compute(local, params, requests).columns
            continue
        source = shared.get(feature.name, part)
        grouped = source[[f"{feature.name}:{name}" for name in TOTALS]].set_axis(
            list(TOTALS), axis=1
        )
        if feature.name not in shared:  # joined to the requests: one row per request
            grouped = grouped.set_axis(part["member_uin"])
            grouped = grouped[grouped["count"].notna().to_numpy()]
            grouped = grouped[~grouped.index.duplicated()]
        grouped = grouped.astype({"count": "int64", "cents": "int64"})
        count, cents, example = spread_totals(grouped, requests["member_uin"])
        data |= dict(zip(feature.columns, (count, cents, example.array), strict=True))
    return pd.DataFrame(data, index=pd.RangeIndex(len(requests)))


def _local_accounts(part: pd.DataFrame, roles: list[str]) -> pd.DataFrame:
    """The account rows joined to a partition, once per uin, with the typed frame's dtypes."""
    names = column_names("accounts")
    meta = typed_meta("accounts", tuple(names))
    frames = []
    for role in roles:
        picked = part[[f"{role}:{c}" for c in meta.columns]].set_axis(list(meta.columns), axis=1)
        frames.append(picked[picked["uin"].notna().to_numpy()])
    accounts = pd.concat(frames, ignore_index=True).drop_duplicates("uin", ignore_index=True)
    return accounts.astype(dict(meta.dtypes))


def judge_partition(
    part: pd.DataFrame,
    params: Params,
    catalogue: Catalogue,
    output: Output,
    shared: dict | None = None,
    partition_info: dict | None = None,
) -> pd.DataFrame:
    """Judge one partition, write its results and verdicts, and return its counts (one row)."""
    number = (partition_info or {}).get("number", 0)
    part = part.reset_index(drop=True)
    result = judge_cases(partition_cases(part, params, catalogue, shared), params, catalogue)
    output.write("results", number, result.results_table())
    output.write("verdicts", number, result.verdicts)
    counts = {f"verdict:{k}": v for k, v in result.verdict_counts().items()}
    counts |= {f"exception:{k}": v for k, v in result.exception_counts().items()}
    rule_counts = result.rule_counts()
    for status in STATUSES:
        counts |= {f"{rule}:{status}": int(n) for rule, n in rule_counts[status.value].items()}
    late = part["requested_at"] > params.as_of_timestamp
    counts["late"] = int(late.sum())
    latest = part["requested_at"].max() if len(part) else pd.NaT
    frame = pd.DataFrame({name: [int(value)] for name, value in counts.items()})
    return frame.assign(latest=pd.Series([latest], dtype="datetime64[us]"))


def counts_meta(catalogue: Catalogue) -> pd.DataFrame:
    names = [f"verdict:{v}" for v in Verdict] + [f"exception:{e}" for e in ControlException]
    names += [f"{rule}:{status}" for status in STATUSES for rule in catalogue.rule_ids]
    frame = pd.DataFrame({name: pd.Series([], dtype="int64") for name in [*names, "late"]})
    return frame.assign(latest=pd.Series([], dtype="datetime64[us]"))
