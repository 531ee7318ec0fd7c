"""Write tests/file_costs.json (seconds per test file) from a JUnit XML report of `make test`.

    make test PYTEST_ARGS=--junitxml=/tmp/junit.xml && python tests/file_costs.py /tmp/junit.xml

conftest.py orders the files by these costs, costliest first, so that the two workers
finish together. Setup time of module fixtures counts with the file's first test.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def file_costs(junit: Path) -> dict[str, float]:
    costs: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").split(".")
        # classname is tests.dir.test_file[.Class]: find the test_ module.
        parts = next(module[: i + 1] for i, part in enumerate(module) if part.startswith("test_"))
        costs["/".join(parts) + ".py"] += float(case.get("time", 0))
    return {path: round(seconds, 1) for path, seconds in sorted(costs.items())}


if __name__ == "__main__":
    target = Path(__file__).with_name("file_costs.json")
    target.write_text(json.dumps(file_costs(Path(sys.argv[1])), indent=1) + "\n")
    print(f"wrote {target}")
