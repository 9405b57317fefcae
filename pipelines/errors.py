"""The one error type: a message key and its values, rendered in either language by `.text(lang)`."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

from pipelines.messages import t


class _Said:
    """Said in Korean and English: `.ko` and `.en` let a message take it as a value, in its own language."""

    def text(self, lang: str) -> str:
        raise NotImplementedError

    @property
    def ko(self) -> str:
        return self.text("ko")

    @property
    def en(self) -> str:
        return self.text("en")

    def both(self) -> str:
        return f"{self.ko} / {self.en}"


@dataclass(frozen=True)
class Message(_Said):
    """One keyed message (a problem in a list, a warning, a noun inside another message), rendered on demand."""

    key: str
    values: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


class CityIdxError(_Said, Exception):
    """Something the product cannot do, said in Korean and English; nothing has been written.

    `.text(lang)` is the message in one language (a page shows the current one); `str()` holds both
    (the command line and logs show both). Subclasses that carry a list override both. An error given
    as a value of another message (a nested cause) is said in that message's language.
    """

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(key)

    def summary(self, lang: str) -> str:
        """The error's own message (for an error that carries a list: the line that closes it)."""
        return t(self.key, lang, **self.values)

    def text(self, lang: str) -> str:
        """The message in one language, for a page that shows only the current one."""
        return self.summary(lang)

    def __str__(self) -> str:
        return self.both()


class ForumError(CityIdxError):
    """An operation the forum log cannot take."""


class AccountError(CityIdxError):
    """A request about accounts that cannot be done."""


class Busy(CityIdxError):
    """Another writer held the ledger for too long: the caller should retry; nothing changed."""

    def __init__(self) -> None:
        super().__init__("upload.busy")


class StorageError(CityIdxError):
    """The disk refused a read or write (full, permission denied, read-only, ...): the path and why; whatever was
    staged has been removed, so nothing is half-written."""


# errno -> the message key that says why, in words an operator acts on
_OS_REASONS = {errno.ENOSPC: "os.disk_full", errno.EDQUOT: "os.disk_full", errno.EACCES: "os.permission",
               errno.EPERM: "os.permission", errno.EROFS: "os.read_only", errno.ENAMETOOLONG: "os.name_too_long",
               errno.ENOTDIR: "os.not_a_folder", errno.ENOENT: "os.missing", errno.EISDIR: "os.is_a_folder"}
# DuckDB reports the same conditions as text (duckdb.IOException carries no errno)
_TEXT_REASONS = {"no space left": errno.ENOSPC, "disk quota": errno.EDQUOT, "permission denied": errno.EACCES,
                 "read-only file system": errno.EROFS, "file name too long": errno.ENAMETOOLONG}


def storage_error(exc: BaseException, path: object = None) -> StorageError:
    """An OSError (or DuckDB's IOException about a file) as the one error type, naming the path."""
    code = getattr(exc, "errno", None)
    if code is None:
        text = str(exc).lower()
        code = next((c for words, c in _TEXT_REASONS.items() if words in text), None)
    where = getattr(exc, "filename", None) or path or "?"
    reason = _OS_REASONS.get(code)
    detail = getattr(exc, "strerror", None) or str(exc).splitlines()[0][:200]
    return StorageError("os.failed", path=str(where),
                        reason=Message(reason) if reason else Message("os.other", {"detail": detail}))
