"""The warehouse as bytes on disk: every part file (a write changes only its own part; a failed one none)."""

from __future__ import annotations

from pathlib import Path

from pipelines.sql import parts


def warehouse_bytes(path: Path) -> dict[str, bytes]:
    """Every part file's bytes, by part (a missing part is missing from the result)."""
    return {part: f.read_bytes() for part, f in parts.files(path).items() if f.exists()}
