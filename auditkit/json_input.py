"""JSON that a user gives (`--params`, `--decision-codes`), read within limits.

A parameters file is a few hundred bytes: anything over `MAX_JSON_BYTES` is
refused after reading at most one byte more (so `--params /dev/zero` stops at
once), nesting deeper than `MAX_JSON_DEPTH` is refused (Python's parser would
otherwise hit its recursion limit), and a key given twice in one object is
refused (JSON parsers silently keep the last one). NaN and Infinity, which
Python accepts and JSON does not, are refused too. Every refusal is a
`ParameterError` naming the option.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditkit.errors import ParameterError

MAX_JSON_BYTES = 1 << 20
MAX_JSON_DEPTH = 32


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise ParameterError(f"the key {json.dumps(key)} is given twice")
        found[key] = value
    return found


def _no_constant(name: str) -> object:
    raise ParameterError(f"{name} is not a JSON value")


def _depth(document: object) -> int:
    """How deeply arrays and objects nest in `document` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        items = value.values() if isinstance(value, dict) else value
        if isinstance(value, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((item, level + 1) for item in items)
    return deepest


def parse_json(text: str, where: str) -> object:
    """The JSON value in `text`, within the limits; `where` names the option in messages."""
    if len(text) > MAX_JSON_BYTES:
        raise ParameterError(f"{where}: more than {MAX_JSON_BYTES:,} bytes; not a parameters file")
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except ParameterError as error:
        raise ParameterError(f"{where}: {error}") from None
    except RecursionError:
        raise ParameterError(f"{where}: nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as error:
        raise ParameterError(f"{where}: cannot read a JSON object ({error})") from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise ParameterError(f"{where}: nested deeper than {MAX_JSON_DEPTH} levels")
    return document


def read_json_file(path: Path | str, where: str) -> object:
    """The JSON value in the file at `path`: at most MAX_JSON_BYTES are read."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_JSON_BYTES + 1)
    except OSError as error:
        raise ParameterError(f"{where}: cannot read it ({error.strerror or error})") from None
    if len(data) > MAX_JSON_BYTES:
        raise ParameterError(f"{where}: more than {MAX_JSON_BYTES:,} bytes; not a parameters file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParameterError(f"{where}: not UTF-8 text ({error.reason})") from None
    return parse_json(text, where)
