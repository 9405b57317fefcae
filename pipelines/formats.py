"""The vocabulary of the ledger's files (docs/formats.md): the statuses a row can have and the patterns of URLs,
dates, months and flags, shared by the pandera models (pipelines/models.py) and the checks that read them."""

from __future__ import annotations

STATUSES = ("ranked", "outside_list", "not_covered", "not_published", "rank_unknown", "not_found", "no_edition")
URL_RE = r"^https?://[^ \t\n\r\f\v]+$"  # not \S: that makes pandas leave pyarrow for re
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
# A `flags` cell: known flag words separated by `|` (pipelines/build/notes.py checks them against the note).
FLAGS_RE = r"^(derived|inferred|conflict|low_confidence)(\|(derived|inferred|conflict|low_confidence))*$"
