"""The one error type: a message key and its values, rendered in either language by `.text(lang)`."""

from __future__ import annotations

from pipelines.messages import both, t


class CityIdxError(Exception):
    """Something the product cannot do, said in Korean and English; nothing has been written."""

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(both(key, **values))

    def text(self, lang: str) -> str:
        """The message in one language, for a page that shows only the current one."""
        return t(self.key, lang, **self.values)


class ForumError(CityIdxError):
    """An operation the forum log cannot take."""


class AccountError(CityIdxError):
    """A request about accounts that cannot be done."""


class Busy(CityIdxError):
    """Another writer held the ledger for too long: the caller should retry; nothing changed."""

    def __init__(self) -> None:
        super().__init__("upload.busy")
