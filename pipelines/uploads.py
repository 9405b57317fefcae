"""The department-upload ledger: accept a file whole (exact bytes + receipt), rebuild, recover after a crash."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipelines import ledger, warehouse
from pipelines.ledger import Busy, recover  # noqa: F401 - part of this module's interface
from pipelines.catalogue import Catalogue
from pipelines.departments import ParsedUpload, parse_upload
from pipelines.i18n import t
from pipelines.schemas import Problem, ProblemsFound
from pipelines.seed import read_seed

RECEIPT = "receipt.json"


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

    @property
    def data_file(self) -> Path:
        return self.path / ("upload" + Path(self.original_filename).suffix.lower() if Path(self.original_filename).suffix else "upload.csv")


def ledger_root(cat: Catalogue) -> Path:
    return cat.root / "data" / "raw" / "departments"


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-") or "unknown"


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
        meta = json.loads(path.read_text(encoding="utf-8"))
        receipts.append(Receipt(
            upload_id=f"{folder.parent.name}/{folder.name}",
            department=meta["department"], uploaded_by=meta["uploaded_by"], uploaded_at=meta["uploaded_at"],
            sha256=meta["sha256"], original_filename=meta["original_filename"], encoding=meta["encoding"],
            bytes=meta["bytes"], rows=meta["rows"], path=folder,
        ))
    return sorted(receipts, key=lambda r: (r.uploaded_at, r.upload_id))


def warehouse_is_current(cat: Catalogue, path: Path) -> bool:
    """Does the warehouse hold exactly the uploads in the ledger? (False after a crash between the two.)"""
    if not path.is_file():
        return False
    con = warehouse.connect_read_only(path)
    try:
        have = {row[0] for row in con.execute("select upload_id from ledger_upload").fetchall()}
    except Exception:  # an older warehouse without the table
        return False
    finally:
        con.close()
    return have == {r.upload_id for r in read_receipts(cat)}


def check_upload(cat: Catalogue, data: bytes, filename: str, department: str) -> ParsedUpload:
    """Validate an upload against the catalogue; nothing is written."""
    return parse_upload(data, filename, department, cat)


def commit_upload(
    cat: Catalogue,
    data: bytes,
    filename: str,
    department: str,
    account: str,
    *,
    warehouse_path: Path | None = None,
    lock_timeout: float = ledger.LOCK_TIMEOUT_SECONDS,
) -> tuple[Receipt, ParsedUpload]:
    """Accept an upload whole or not at all: validated, stored as received with its receipt, rebuilt."""
    path = warehouse_path or warehouse.warehouse_path()
    parsed = check_upload(cat, data, filename, department)
    if not parsed.ok:
        raise ProblemsFound(parsed.problems)
    with ledger.writing(cat, path, lock_timeout):
        now = datetime.now(UTC)
        name = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}__{_safe(account)}"
        tmp = ledger.staging_root(cat) / f"{department}__{name}"
        final = ledger_root(cat) / department / name
        tmp.mkdir()
        suffix = Path(filename).suffix.lower() or ".csv"
        (tmp / f"upload{suffix}").write_bytes(data)
        receipt_meta = {
            "department": department,
            "uploaded_by": account,
            "uploaded_at": now.isoformat(timespec="microseconds"),
            "sha256": hashlib.sha256(data).hexdigest(),
            "original_filename": Path(filename).name,
            "encoding": parsed.encoding,
            "bytes": len(data),
            "rows": len(parsed.rows),
        }
        (tmp / RECEIPT).write_text(json.dumps(receipt_meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        ledger.commit(cat, path, tmp, final, pending=[(tmp, f"{department}/{name}")])
    receipt = next(r for r in read_receipts(cat) if r.path == final)
    return receipt, parsed


def ledger_values(cat: Catalogue, pending: list[tuple[Path, str]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Every value version in the ledger: the seed file, then each accepted upload, in upload order."""
    problems: list[Problem] = []
    frames = []
    seed, more = read_seed(cat)
    problems += more
    if seed is not None:
        frames.append(seed)
    receipts = read_receipts(cat)
    for folder, upload_id in pending or []:
        meta = json.loads((folder / RECEIPT).read_text(encoding="utf-8"))
        receipts.append(Receipt(upload_id=upload_id, path=folder, **meta))
    upload_rows = []
    for r in receipts:
        display = f"data/raw/departments/{r.upload_id}/{r.data_file.name}"
        data = r.data_file.read_bytes()
        if hashlib.sha256(data).hexdigest() != r.sha256:
            problems.append(Problem(display, None, None, t("upload.tampered", "ko"), t("upload.tampered", "en")))
            continue
        parsed = parse_upload(data, display, r.department, cat,
                              today=datetime.fromisoformat(r.uploaded_at).date(), check_owner=False)
        problems += parsed.problems
        if parsed.ok:
            rows = parsed.rows.assign(
                uploaded_by=r.uploaded_by, uploaded_at=r.uploaded_at, upload_id=r.upload_id,
                department_id=r.department, ledger_file=display,
            )
            frames.append(rows)
        upload_rows.append({
            "upload_id": r.upload_id, "department_id": r.department, "uploaded_by": r.uploaded_by,
            "uploaded_at": r.uploaded_at, "sha256": r.sha256, "original_filename": r.original_filename,
            "encoding": r.encoding, "bytes": r.bytes, "rows": r.rows,
        })
    columns = ["indicator_id", "period", "value", "source", "note", "row", "uploaded_by", "uploaded_at",
               "upload_id", "department_id", "ledger_file", "source_url"]
    versions = pd.concat([f.reindex(columns=columns) for f in frames], ignore_index=True) if frames else pd.DataFrame(columns=columns)
    uploads = pd.DataFrame(upload_rows, columns=["upload_id", "department_id", "uploaded_by", "uploaded_at", "sha256",
                                                 "original_filename", "encoding", "bytes", "rows"])
    return versions, uploads, problems
