"""Results and verdicts written by the partitions as they are judged, then published.

Each partition writes `results.<fmt>/part-00000.<fmt>` and `verdicts.<fmt>/part-00000.<fmt>`
into the run's staging folder (`auditkit.io.output`); when every partition is
done, the manifest joins them and the set is published in one swap (on an
object store: copied into place, the manifest last). A failed run leaves the
previous outputs as they were. A folder of Parquet parts reads back with
`pandas.read_parquet("OUT/results.parquet")`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from auditkit.io.output import OutputFolder


@dataclass(frozen=True)
class Output:
    """The staging folder partitions write their parts into (sent to every worker)."""

    folder: OutputFolder

    @property
    def fmt(self) -> str:
        return self.folder.fmt

    def part(self, name: str, number: int) -> str:
        return f"{name}.{self.fmt}/part-{number:05d}.{self.fmt}"

    def write(self, name: str, number: int, frame: pd.DataFrame | pa.Table) -> None:
        """Write one partition's table (on a worker)."""
        self.folder.write(self.part(name, number), frame)

    def finish(self, manifest: dict[str, object]) -> dict[str, str]:
        """Publish the parts with the manifest; name -> location."""
        return self.folder.publish(manifest, folders=True)
