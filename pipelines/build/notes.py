"""What a ledger note says about its row: the flags it carries and the status its capital markers allow."""

from __future__ import annotations

import re

# The four flags a figure can carry (docs/formats.md, "flags"), in the order they are shown.
FLAGS = ("derived", "inferred", "conflict", "low_confidence")
FLAG_SEPARATOR = "|"

_WORD = {"derived": "DERIVED", "inferred": "INFERRED", "conflict": "CONFLICT", "low_confidence": "LOW CONFIDENCE"}
# A note carries a flag when (1) the flag word is in capitals anywhere, (2) the note opens with the word in
# any case, or (3) it uses one of the lower-case phrasings the ledger writes for the row's own figure.
# Lower-case "derived rating 714 ... (not in score column)" in mid-note is no flag: the value is not the row's.
_PATTERNS: dict[str, list[re.Pattern]] = {
    flag: [re.compile(r"\b" + word + r"\b"), re.compile(r"^\s*" + word + r"\b", re.IGNORECASE)]
    for flag, word in _WORD.items()
}
_PATTERNS["inferred"].append(re.compile(r"\b(?:rank|year) inferred\b"))
_PATTERNS["conflict"].append(re.compile(r"\bsee \S+ (?:row for conflict|conflict note)\b"))

# Capital markers that state what the row's figure is; each allows only some statuses (docs/formats.md).
STATUS_MARKERS: tuple[tuple[str, re.Pattern, frozenset[str]], ...] = (
    ("NOT FOUND", re.compile(r"\bNOT (?:FOUND|found)\b"), frozenset({"not_found", "outside_list", "rank_unknown"})),
    ("NOT PUBLISHED", re.compile(r"\bNOT (?:PUBLISHED|published)\b"), frozenset({"not_published", "outside_list"})),
    ("NOT COVERED", re.compile(r"\bNOT COVERED\b"), frozenset({"not_covered"})),
    ("NO EDITION", re.compile(r"\bNO (?:\d{4} )?EDITION\b"), frozenset({"no_edition"})),
)


def flags_from_note(note: object) -> set[str]:
    """The flags a note's own words carry (rules above); a `flags` cell may add more, never fewer."""
    text = note if isinstance(note, str) else ""
    return {flag for flag, patterns in _PATTERNS.items() if any(p.search(text) for p in patterns)}


def parse_flags(cell: object) -> tuple[list[str], list[str]]:
    """A `flags` cell (`derived|conflict`) -> (known flags in display order, unknown words)."""
    if not isinstance(cell, str) or not cell.strip():
        return [], []
    words = [w.strip() for w in cell.split(FLAG_SEPARATOR) if w.strip()]
    return [f for f in FLAGS if f in words], [w for w in words if w not in FLAGS]


def join_flags(flags: set[str] | list[str]) -> str | None:
    """Flags as the warehouse stores them (`derived|conflict`), or None for none."""
    ordered = [f for f in FLAGS if f in flags]
    return FLAG_SEPARATOR.join(ordered) if ordered else None


def status_conflicts(note: object, status: str) -> list[tuple[str, frozenset[str]]]:
    """The capital markers in `note` that do not allow `status`: (marker, statuses it allows)."""
    text = note if isinstance(note, str) else ""
    return [(marker, allowed) for marker, pattern, allowed in STATUS_MARKERS
            if pattern.search(text) and status not in allowed]
