"""Text files read at every start-up (the message catalogue, the named queries), parsed once per content: the parsed
form is kept as JSON in the user's cache folder (`$XDG_CACHE_HOME/cityidx`, else `~/.cache/cityidx`), named by
the SHA-256 of the files' bytes.

The text files stay the single source: a cache whose name does not carry the hash of the files as they are now is
never read (a changed file is parsed again; two checkouts with different files each find their own), a damaged one
is parsed over, and where the folder cannot be written the files are simply parsed every time. Parsing
`messages.yml` (with importing PyYAML) costs ~15 ms of CPU and the query files (with importing aiosql) ~20 ms, at
every command; reading the JSON ~0.3 ms (issue 13, quick start-up). Not Python's `__pycache__`: the command line
runs where `PYTHONDONTWRITEBYTECODE` is set too, and the cache holds data (JSON), never code. `read` and `keep` also
serve answers kept under a key of their own (`pipelines.sql.parts.kept`: `cityidx status` per warehouse version).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Changed when what a parser returns changes shape (or the parser is upgraded in a way that changes its output):
# every cache written before is then ignored.
FORMAT = "1"


def digest(sources: Sequence[Path]) -> str:
    """One hash of the files' names and bytes (in the order given)."""
    h = hashlib.sha256(FORMAT.encode())
    for path in sources:
        data = path.read_bytes()
        h.update(f"\0{path.name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


KEEP = 8  # parsed forms kept per name (several checkouts, a few edits back); older ones are removed


def cache_folder() -> Path:
    """The user's cache folder for cityidx (read at each call: a test points $XDG_CACHE_HOME elsewhere)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cityidx"


def cache_file(name: str, key: str) -> Path:
    """Where the parsed form of `name` with content hash `key` is kept."""
    return cache_folder() / f"{name}.{key[:32]}.json"


def load(sources: Sequence[Path], name: str, parse: Callable[[], Any]) -> Any:
    """`parse()` of `sources`, from the cache when one was kept for these exact bytes; else parsed and kept.

    `parse` must return plain JSON data (dicts with text keys, lists, text, numbers, booleans, None): a result
    that does not come back from JSON unchanged is never cached. An error of `parse` (a malformed file) is raised
    as it is, and nothing is cached.
    """
    return load_at(cache_file(name, digest(sources)), parse)


def load_at(target: Path, parse: Callable[[], Any]) -> Any:
    """`load` of the parsed form kept at `target` (`cache_file`, its key made by the caller), else `parse()` kept
    there."""
    value = read(target)
    if value is MISSING:  # none kept yet, or damaged: parsed here
        value = parse()
        keep(target, value)
    return value


MISSING = object()  # what `read` returns when nothing (readable) is kept


def read(target: Path) -> Any:
    """The value kept at `target`; MISSING when none is kept or the file is damaged."""
    try:
        return json.loads(target.read_bytes())
    except (OSError, ValueError):
        return MISSING


def keep(target: Path, value: Any) -> None:
    """Write the cache (one rename: a reader sees a whole file or none), keeping the newest KEEP of its name;
    skipped quietly where the folder cannot be written, or when `value` does not come back from JSON unchanged."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if json.loads(text) != value:
            return
    except (TypeError, ValueError):
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        stem = target.name.split(".", 1)[0]
        kept = sorted(target.parent.glob(f"{stem}.*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):  # the folder itself may be what failed
            tmp.unlink(missing_ok=True)
