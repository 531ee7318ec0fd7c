"""The Dask engine: the same catalogue and rule functions over partitions of the requests.

- `cluster`: a LocalCluster by default, or an existing dask.distributed scheduler;
- `sources`: each table's files (local or fsspec URLs) cut into partitions by row groups;
- `checks`: the contract's validation per partition, uniqueness and event links across them;
- `judging`: accounts joined to the requests (broadcast or shuffle), per-member totals as
  Dask reductions, then each partition judged by `engine.evaluate.judge_cases`;
- `output`: results and verdicts written by the partitions as they are judged, into a
  staging folder moved into place at the end (`results.parquet/part-00000.parquet`, ...).

Only snapshot judging (`--at snapshot`) runs on Dask; `--at requested` needs the
pandas engine.
"""
