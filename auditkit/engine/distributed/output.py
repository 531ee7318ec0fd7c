"""Results and verdicts written by the partitions as they are judged, then moved into place.

Each partition writes `results.<fmt>/part-00000.<fmt>` and `verdicts.<fmt>/part-00000.<fmt>`
into a staging folder beside the outputs (`OUT/.auditkit-staging-<stamp>/`). When
every partition is done, the folders are moved over the previous outputs and the
manifest comes last; a failed run leaves the previous outputs as they were. A
folder of Parquet parts reads back with `pandas.read_parquet("OUT/results.parquet")`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from auditkit.io.files import filesystem, join, local_path, move
from auditkit.io.write import FORMATS, json_text, utc_stamp, write_frame

NAMES = ("results", "verdicts")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Output:
    """Where one run writes: the final folder and its staging folder (local path or URL)."""

    out: str
    fmt: str
    staging: str

    @classmethod
    def open(cls, out: str, fmt: str) -> Output:
        return cls(str(out), fmt, join(str(out), f".auditkit-staging-{utc_stamp()}"))

    def part(self, name: str, number: int) -> str:
        return join(self.staging, f"{name}.{self.fmt}", f"part-{number:05d}.{self.fmt}")

    def write(self, name: str, number: int, frame: pd.DataFrame | pa.Table) -> None:
        """Write one partition's table (on a worker)."""
        target = self.part(name, number)
        path = local_path(target)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_frame(frame, path)
            return
        fs, remote = filesystem(target)
        with tempfile.TemporaryDirectory(prefix="auditkit-part-") as folder:
            staged = Path(folder) / f"part.{self.fmt}"
            write_frame(frame, staged)
            fs.put_file(str(staged), remote)

    def finish(self, manifest: dict[str, object]) -> dict[str, str]:
        """Move the staged folders into place, the manifest last; name -> location."""
        folders = {name: f"{name}.{self.fmt}" for name in NAMES}
        path = local_path(self.out)
        if path is not None:
            _finish_local(path, local_path(self.staging), folders, manifest, self.fmt)
        else:
            _finish_remote(self.out, self.staging, folders, manifest, self.fmt)
        return {name: join(self.out, folder) for name, folder in folders.items()} | {
            MANIFEST: join(self.out, MANIFEST)
        }

    def discard(self) -> None:
        fs, staging = filesystem(self.staging)
        if fs.exists(staging):
            fs.rm(staging, recursive=True)


def _finish_local(
    out: Path, staging: Path, folders: dict[str, str], manifest: dict, fmt: str
) -> None:
    staging.mkdir(parents=True, exist_ok=True)
    for folder in folders.values():
        (staging / folder).mkdir(exist_ok=True)  # no partition: an empty data set
    (staging / MANIFEST).write_text(json_text(manifest), encoding="utf-8")
    (out / MANIFEST).unlink(missing_ok=True)
    for name, folder in folders.items():
        target = out / folder
        old = None
        if target.exists():
            old = out / f".replaced-{folder}-{utc_stamp()}"
            os.replace(target, old)
        os.replace(staging / folder, target)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        for other in FORMATS:
            stale = out / f"{name}.{other}"
            if other != fmt and stale.exists():
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    os.replace(staging / MANIFEST, out / MANIFEST)
    shutil.rmtree(staging, ignore_errors=True)


def _finish_remote(
    out: str, staging: str, folders: dict[str, str], manifest: dict, fmt: str
) -> None:
    fs, root = filesystem(out)
    root = root.rstrip("/")
    _, stage = filesystem(staging)
    fs.invalidate_cache()  # the workers wrote the parts; this process's listings are stale
    with fs.open(f"{stage}/{MANIFEST}", "w") as handle:
        handle.write(json_text(manifest))
    if fs.exists(f"{root}/{MANIFEST}"):
        fs.rm(f"{root}/{MANIFEST}")
    for name, folder in folders.items():
        for stale in (f"{root}/{name}.{other}" for other in FORMATS):
            if fs.exists(stale):
                fs.rm(stale, recursive=True)
        if fs.exists(f"{stage}/{folder}"):
            move(fs, f"{stage}/{folder}", f"{root}/{folder}")
    move(fs, f"{stage}/{MANIFEST}", f"{root}/{MANIFEST}")
    if fs.exists(stage):
        fs.rm(stage, recursive=True)
