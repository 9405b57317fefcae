"""indicators.yml as pydantic validated it, kept as data (issue 13, quick start-up): the catalogue `cityidx build`
reads without importing pydantic (~0.06-0.1 s of its start-up).

`pipelines.catalogue` declares and checks the catalogue (the one typed model). Once a catalogue has passed, its
validated form is kept in the user's cache folder as JSON (`pipelines.messages.parsed`), under the hash of the
catalogue's bytes, its place, catalogue.py, this module and pydantic's version: a changed catalogue, model or
pydantic is validated again, and so is a catalogue whose ledger files (checked to exist by the model) are no longer
all there. What is kept reads back as `View`s: each part's fields as attributes, with the same methods and
properties as the model's classes (the mixins below are theirs too: one definition of each).
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipelines import ROOT
from pipelines.messages import parsed

# `Catalogue` below: pipelines.catalogue's model or its kept view (CatalogueView); named, not imported (this module
# is below the model's)
Catalogue = Any

DEFAULT_CATALOGUE = ROOT / "indicators.yml"
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KEPT_FORMAT = "1"  # changed when what is kept changes shape: every form kept before is then ignored


def catalogue_path(path: Path | str | None = None) -> Path:
    """The catalogue a command reads: `path`, else $CITYIDX_CATALOGUE, else indicators.yml beside the code."""
    return Path(path or os.environ.get("CITYIDX_CATALOGUE") or DEFAULT_CATALOGUE).resolve()


def analysis_settings(cat: Catalogue) -> dict[str, float]:
    """The thresholds as flat `section.key` numbers, for the warehouse's analysis_setting table."""
    return {f"{section}.{key}": float(value)
            for section, values in cat.analysis.model_dump().items() for key, value in values.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}


# --- the methods of the catalogue's parts: the model's classes (pipelines.catalogue) and the kept views share them --
# (plain mixins, no fields: pydantic sees only the model's own)

class TextMethods:

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ko


class GoalMethods:

    def source_in(self, lang: str) -> str:
        """The goal's source document as said in `lang`: its own text in that language, or its one text."""
        return self.source if isinstance(self.source, str) else self.source.get(lang)


class SeriesMethods:

    def component(self, component_id: str) -> Any:
        return next((c for c in self.components if c.id == component_id), None)


class IndicatorMethods:

    @property
    def source_name(self) -> str:
        return self.source.name

    @property
    def source_url(self) -> str:
        return self.source.url

    @property
    def accepts_percent_sign(self) -> bool:
        return self.unit_kind in ("percent", "percent_change")


class CatalogueMethods:

    @property
    def path(self) -> Path:
        return self._path

    @property
    def root(self) -> Path:
        return self._path.parent

    def day_of(self, at: str | datetime.datetime) -> datetime.date:
        """The calendar day of a moment in the catalogue's time zone (`timezone`, Seoul's for Seoul): a ledger time
        (ISO 8601; without an offset it is UTC) or an aware datetime. Whatever the zone of the machine."""
        from zoneinfo import ZoneInfo

        moment = datetime.datetime.fromisoformat(at) if isinstance(at, str) else at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def today(self) -> datetime.date:
        """Today in the catalogue's time zone, the day every page, upload check and command calls today: a Seoul
        morning is already tomorrow on a server on UTC."""
        return self.day_of(datetime.datetime.now(datetime.UTC))

    def raw_files(self) -> list[Path]:
        """Every ledger file the catalogue names, in a stable order."""
        files = [self.cities_file, self.editions_file]
        if self.source_domains_file is not None:
            files.append(self.source_domains_file)
        for s in self.series.values():
            files.append(s.rankings_file)
            if s.components_file is not None:
                files.append(s.components_file)
        return files


# --- the kept form ---------------------------------------------------------------------------------------------

class View:
    """One part of the catalogue as kept: its fields as read-only attributes, in the model's order."""

    def __init__(self, kind: str, fields: dict[str, Any]):
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_fields", tuple(fields))
        self.__dict__.update(fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{self._kind} is read-only")

    def __repr__(self) -> str:
        return f"{self._kind}({', '.join(f'{k}={getattr(self, k)!r}' for k in self._fields)})"

    def model_dump(self) -> dict[str, Any]:
        """The fields as plain data, as pydantic's `model_dump()` gives them (a part as a dict, tuples kept)."""
        return {k: _plain(getattr(self, k)) for k in self._fields}


def _plain(value: Any) -> Any:
    if isinstance(value, View):
        return value.model_dump()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class TextView(TextMethods, View):
    pass


class GoalView(GoalMethods, View):
    pass


class SeriesView(SeriesMethods, View):
    pass


class IndicatorView(IndicatorMethods, View):
    pass


class CatalogueView(CatalogueMethods, View):
    pass


VIEWS = {"Text": TextView, "Goal": GoalView, "Series": SeriesView, "Indicator": IndicatorView, "Catalogue": CatalogueView}


def as_data(value: Any) -> Any:
    """A validated catalogue (or any part of it) as JSON data that `from_data` reads back: a part as its class name
    and its fields in order, a path, a date, a tuple and a mapping each tagged (JSON has none of them)."""
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        return {"@": type(value).__name__, **{k: as_data(getattr(value, k)) for k in fields}}
    if isinstance(value, View):
        return {"@": value._kind, **{k: as_data(getattr(value, k)) for k in value._fields}}
    if isinstance(value, Path):
        return {"@path": str(value)}
    if isinstance(value, datetime.datetime):
        return {"@datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"@date": value.isoformat()}
    if isinstance(value, tuple):
        return {"@tuple": [as_data(v) for v in value]}
    if isinstance(value, dict):
        return {"@dict": [[k, as_data(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [as_data(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"the catalogue holds a {type(value).__name__}, which is not kept: add it to catalogue_data")


def from_data(data: Any) -> Any:
    """What `as_data` made, read back: each part a View (with its class's methods where it has some)."""
    if isinstance(data, list):
        return [from_data(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "@" in data:
        kind = data["@"]
        return VIEWS.get(kind, View)(kind, {k: from_data(v) for k, v in data.items() if k != "@"})
    if "@path" in data:
        return Path(data["@path"])
    if "@datetime" in data:
        return datetime.datetime.fromisoformat(data["@datetime"])
    if "@date" in data:
        return datetime.date.fromisoformat(data["@date"])
    if "@tuple" in data:
        return tuple(from_data(v) for v in data["@tuple"])
    if "@dict" in data:
        return {k: from_data(v) for k, v in data["@dict"]}
    raise ValueError(f"not a kept catalogue: {sorted(data)[:5]}")


def _sources() -> list[Path]:
    """The code the kept form is a function of (beside the catalogue itself): the model, this module, and pydantic's
    version (found without importing pydantic)."""
    here = Path(__file__).resolve().parent
    found = importlib.util.find_spec("pydantic")
    version = Path(found.origin).with_name("version.py") if found and found.origin else None
    return [here / "catalogue.py", here / "catalogue_data.py", *([version] if version and version.is_file() else [])]


def _kept_at(path: Path) -> Path:
    """Where the validated form of the catalogue at `path` (as its bytes are now) is kept."""
    h = hashlib.sha256(f"{KEPT_FORMAT}\0{path}\0".encode())
    h.update(parsed.digest([path, *_sources()]).encode())
    return parsed.cache_file("catalogue-kept", h.hexdigest())


def _paths(value: Any) -> Iterator[Path]:
    if isinstance(value, Path):
        yield value
    elif isinstance(value, View):
        for k in value._fields:
            yield from _paths(getattr(value, k))
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _paths(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _paths(v)


def load_kept(path: Path | str | None = None) -> CatalogueView | None:
    """The catalogue at `path` (catalogue_path) as kept when it last passed validation, or None: nothing kept for it
    as it is now, or a ledger file it names is no longer a file (then `catalogue.load` validates it, and says so)."""
    try:
        path = catalogue_path(path)
        data = parsed.read(_kept_at(path))
        if data is parsed.MISSING:
            return None
        cat = from_data(data)
        if not isinstance(cat, CatalogueView) or not all(p.is_file() for p in _paths(cat)):
            return None
    except (OSError, ValueError, TypeError, KeyError):
        return None
    object.__setattr__(cat, "_path", path)
    return cat


def keep(cat: Catalogue) -> None:
    """Keep the validated catalogue `cat` (see load_kept); quietly nothing where the cache folder is not writable."""
    try:
        target = _kept_at(cat.path)
        if not target.is_file():
            parsed.keep(target, as_data(cat))
    except (OSError, TypeError, ValueError):
        pass
