"""The one error type: a message key and its values, rendered in either language by `.text(lang)`."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.messages import both, t


@dataclass(frozen=True)
class Message:
    """One keyed message (a problem in a list, a warning): its key and values, rendered on demand."""

    key: str
    values: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)

    def both(self) -> str:
        return both(self.key, **self.values)


class CityIdxError(Exception):
    """Something the product cannot do, said in Korean and English; nothing has been written.

    `.text(lang)` is the message in one language (a page shows the current one); `str()` holds both
    (the command line and logs show both). Subclasses that carry a list override both.
    """

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(key)

    def text(self, lang: str) -> str:
        """The message in one language, for a page that shows only the current one."""
        return t(self.key, lang, **self.values)

    def __str__(self) -> str:
        return both(self.key, **self.values)


class ForumError(CityIdxError):
    """An operation the forum log cannot take."""


class AccountError(CityIdxError):
    """A request about accounts that cannot be done."""


class Busy(CityIdxError):
    """Another writer held the ledger for too long: the caller should retry; nothing changed."""

    def __init__(self) -> None:
        super().__init__("upload.busy")
