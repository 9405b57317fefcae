"""Department uploads in the ledger: each accepted file kept as received, with its receipt, one folder each."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.accounts import Account
from pipelines.errors import CityIdxError
from pipelines.ledger import seal, store

if TYPE_CHECKING:
    from pipelines.catalogue import Catalogue

RECEIPT = "receipt.json"
# What each receipt field must be (a hand-edited receipt with a number for a name is refused, not replayed).
RECEIPT_TYPES = {"department": str, "uploaded_by": str, "uploaded_at": str, "sha256": str, "original_filename": str,
                 "encoding": (str, type(None)), "bytes": int, "rows": int}


@dataclass(frozen=True)
class Receipt:
    upload_id: str  # <department>/<stamp>__<account>
    department: str
    uploaded_by: str
    uploaded_at: str  # ISO 8601, UTC
    sha256: str
    original_filename: str
    encoding: str
    bytes: int
    rows: int
    path: Path  # the folder in the ledger
    uploaded_by_role: str | None = None  # an admin acting for a department is recorded as one
    prev: str = ""  # the seal (pipelines.ledger.seal)
    mac: str = ""

    @property
    def number(self) -> str:
        """The short receipt number staff quote: the upload's date and the first hex digits of its content (261128-3FA2)."""
        return receipt_number(self.uploaded_at, self.sha256)

    @property
    def data_file(self) -> Path:
        return self.path / stored_name(self.original_filename)


SUFFIX_RE = re.compile(r"\.[a-z0-9]{1,10}")


def stored_name(filename: str) -> str:
    """The name an upload is kept under: 'upload' and the original's suffix when it is a plain one ('.csv',
    '.xlsx'), else 'upload.csv' (a suffix of 250 characters would not fit in a file name)."""
    suffix = Path(filename).suffix.lower()
    return "upload" + (suffix if SUFFIX_RE.fullmatch(suffix) else ".csv")


def receipt_number(uploaded_at: str, sha256: str) -> str:
    return f"{uploaded_at[2:10].replace('-', '')}-{sha256[:4].upper()}"


def ledger_root(cat: Catalogue) -> Path:
    return cat.root / "data" / "raw" / "departments"


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-") or "unknown"


def read_receipt(folder: Path, upload_id: str) -> Receipt:
    """One upload's receipt; an edited or broken one is a CityIdxError naming the file, not a traceback."""
    shown = f"data/raw/departments/{upload_id}/{RECEIPT}"
    known = set(Receipt.__dataclass_fields__) - {"upload_id", "path"}
    try:
        meta = json.loads((folder / RECEIPT).read_text(encoding="utf-8"))
        receipt = Receipt(upload_id=upload_id, path=folder, **{k: v for k, v in meta.items() if k in known})
    except (OSError, ValueError, TypeError, AttributeError) as exc:  # unreadable, not UTF-8, not JSON, fields wrong
        raise CityIdxError("upload.bad_receipt", file=shown, detail=str(exc)[:200]) from exc
    wrong = [f for f, kind in RECEIPT_TYPES.items() if not isinstance(getattr(receipt, f), kind)]
    if not wrong:
        try:
            datetime.fromisoformat(receipt.uploaded_at)
        except ValueError:
            wrong = ["uploaded_at"]
    if wrong:
        raise CityIdxError("upload.bad_receipt", file=shown, detail=", ".join(wrong))
    return receipt


def read_receipts(cat: Catalogue) -> list[Receipt]:
    """Every accepted upload in the ledger, oldest first."""
    root = ledger_root(cat)
    receipts = []
    if not root.is_dir():
        return receipts
    for path in sorted(root.glob("*/*/" + RECEIPT)):
        folder = path.parent
        if folder.name.startswith(".") or folder.parent.name.startswith("."):
            continue
        receipts.append(read_receipt(folder, f"{folder.parent.name}/{folder.name}"))
    return sorted(receipts, key=lambda r: (r.uploaded_at, r.upload_id))


def stage_upload(cat: Catalogue, data: bytes, filename: str, department: str, account: Account,
                 encoding: str | None, rows: int, now: datetime) -> tuple[Path, Path, str]:
    """Write the file as received and its receipt into staging (not yet the ledger).

    Returns the staged folder, the ledger folder it becomes at the commit, and its upload id.
    Called inside `store.writing` and `seal.appending`; the receipt is sealed.
    """
    store.check_name(account.username, "name.what.account")  # refused before a folder is made; a department is a catalogue id
    name = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}__{_safe(account.username)}"
    tmp = store.staging_root(cat) / f"{department}__{name}"
    final = ledger_root(cat) / department / name
    tmp.mkdir()
    (tmp / stored_name(filename)).write_bytes(data)
    receipt_meta = {
        "department": department,
        "uploaded_by": account.username,
        "uploaded_by_role": account.role,
        "uploaded_at": now.isoformat(timespec="microseconds"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "original_filename": Path(filename).name[:255],
        "encoding": encoding,
        "bytes": len(data),
        "rows": rows,
    }
    receipt_meta = seal.sign(cat, seal.stream_of(cat, final / RECEIPT), receipt_meta)
    (tmp / RECEIPT).write_text(json.dumps(receipt_meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return tmp, final, f"{department}/{name}"
