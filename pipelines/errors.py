"""The one error type: a message key and its values, rendered in either language by `.text(lang)`."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.messages import t


def _render(key: str, lang: str, values: dict[str, object]) -> str:
    """The message in `lang`; a value that is itself a message (a noun, a nested error) in the same language."""
    return t(key, lang, **{k: v.text(lang) if isinstance(v, (Message, CityIdxError)) else v for k, v in values.items()})


@dataclass(frozen=True)
class Message:
    """One keyed message (a problem in a list, a warning, a noun inside another message), rendered on demand."""

    key: str
    values: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return _render(self.key, lang, self.values)

    def both(self) -> str:
        return f"{self.text('ko')} / {self.text('en')}"


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
        return _render(self.key, lang, self.values)

    def __str__(self) -> str:
        return f"{self.text('ko')} / {self.text('en')}"


class ForumError(CityIdxError):
    """An operation the forum log cannot take."""


class AccountError(CityIdxError):
    """A request about accounts that cannot be done."""


class Busy(CityIdxError):
    """Another writer held the ledger for too long: the caller should retry; nothing changed."""

    def __init__(self) -> None:
        super().__init__("upload.busy")
