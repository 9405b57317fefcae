"""The parsed form of messages.yml and the query files, kept between commands (issue 13, quick start-up): the text
files stay the single source — a changed file is parsed again, a damaged cache is parsed over, an unwritable cache
folder only costs time, and a malformed file fails even after a valid version of it was cached."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipelines import messages, sql
from pipelines.messages import parsed


# each test keeps what the commands keep (parsed files, templates, status answers) in a cache folder of its own
pytestmark = pytest.mark.usefixtures("cache_home")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every YAML parse, by file (the cache's misses)."""
    seen: list[Path] = []
    real = messages._parse_yaml

    def counting(path: Path):
        seen.append(path)
        return real(path)

    monkeypatch.setattr(messages, "_parse_yaml", counting)
    return seen


def _yaml(path: Path, en: str) -> Path:
    path.write_text(f"greeting:\n  ko: 안녕 {{name}}\n  en: {en}\n", encoding="utf-8")
    return path


def test_a_file_is_parsed_once_per_content(tmp_path: Path, cache_home: Path, parses: list[Path]):
    f = _yaml(tmp_path / "messages.yml", "Hello {name}")
    first = messages.load_messages(f)
    assert first == {"greeting": {"ko": "안녕 {name}", "en": "Hello {name}"}}
    assert len(list(cache_home.glob("messages.*.json"))) == 1
    assert messages.load_messages(f) == first
    assert parses == [f]  # the second load read the kept form


def test_a_changed_file_is_parsed_again(tmp_path: Path, parses: list[Path]):
    f = _yaml(tmp_path / "messages.yml", "Hello {name}")
    messages.load_messages(f)
    _yaml(f, "Hi {name}")  # same size class, different bytes
    assert messages.load_messages(f)["greeting"]["en"] == "Hi {name}"
    assert len(parses) == 2
    _yaml(f, "Hello {name}")  # back to the first content: its kept form again, not parsed
    assert messages.load_messages(f)["greeting"]["en"] == "Hello {name}"
    assert len(parses) == 2


def test_a_damaged_cache_is_parsed_over(tmp_path: Path, cache_home: Path, parses: list[Path]):
    f = _yaml(tmp_path / "messages.yml", "Hello {name}")
    messages.load_messages(f)
    [kept] = cache_home.glob("messages.*.json")
    kept.write_bytes(b'{"greeting": {"ko": "\xff')  # cut short and not UTF-8
    assert messages.load_messages(f)["greeting"]["en"] == "Hello {name}"
    assert len(parses) == 2
    assert json.loads(kept.read_text(encoding="utf-8"))["greeting"]["en"] == "Hello {name}"


def test_an_unwritable_cache_folder_only_costs_time(tmp_path: Path, cache_home: Path, parses: list[Path]):
    cache_home.parent.mkdir(parents=True)
    cache_home.write_text("a file where the folder would be", encoding="utf-8")
    f = _yaml(tmp_path / "messages.yml", "Hello {name}")
    assert messages.load_messages(f)["greeting"]["en"] == "Hello {name}"
    assert messages.load_messages(f)["greeting"]["en"] == "Hello {name}"
    assert len(parses) == 2  # nothing kept, parsed every time
    assert cache_home.is_file()


def test_what_json_cannot_hold_exactly_is_never_cached(tmp_path: Path, cache_home: Path):
    f = tmp_path / "dates.yml"
    f.write_text("x", encoding="utf-8")
    value = {"published": dt.date(2025, 10, 1), "n": {1: "one"}}  # a date, a number as a key
    assert parsed.load([f], "dates", lambda: value) == value
    assert not list(cache_home.glob("dates.*.json"))


def test_only_the_newest_parsed_forms_are_kept(tmp_path: Path, cache_home: Path):
    f = tmp_path / "messages.yml"
    for i in range(parsed.KEEP + 3):
        _yaml(f, f"Hello {i}")
        messages.load_messages(f)
    assert len(list(cache_home.glob("messages.*.json"))) == parsed.KEEP


def test_the_pipeline_messages_come_from_the_file(cache_home: Path):
    """The real catalogue through the cache equals messages.yml parsed directly."""
    import yaml

    direct = yaml.safe_load(messages.MESSAGES_FILE.read_text(encoding="utf-8"))
    assert len(direct) > 100
    assert messages.load_messages(messages.MESSAGES_FILE) == direct
    assert messages.load_messages(messages.MESSAGES_FILE) == direct  # the second from the kept form
    assert list(cache_home.glob("messages.*.json"))


# --- the named queries --------------------------------------------------------------------------------


def test_the_queries_through_the_cache_equal_a_fresh_parse(cache_home: Path):
    fresh = sql._parse(sorted(sql.QUERY_DIR.glob("*.sql")))
    assert len(fresh) > 50
    for _ in range(2):  # parsed and kept, then read from the kept form
        loaded = sql.load()
        assert {n: (q.sql, list(q.parameters), q.__doc__, q.file) for n, q in loaded.items()} == {
            n: (q["sql"], q["parameters"], q["doc"], q["file"]) for n, q in fresh.items()}
    assert list(cache_home.glob("queries.*.json"))


def test_a_changed_query_file_is_parsed_again_and_a_malformed_one_still_fails(tmp_path: Path):
    (tmp_path / "a.sql").write_text("-- name: one(city)\n-- One city.\nselect :city;\n", encoding="utf-8")
    assert sql.load(tmp_path)["one"].sql == "select $city;"
    (tmp_path / "a.sql").write_text("-- name: one(city)\n-- One city, twice.\nselect :city, :city;\n", encoding="utf-8")
    assert sql.load(tmp_path)["one"].sql == "select $city, $city;"
    (tmp_path / "a.sql").write_text("-- name: one(city)\n-- One.\nselect :city, :country;\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.sql.*undeclared parameter.*country"):
        sql.load(tmp_path)


# --- the catalogue ----------------------------------------------------------------------------------------------


def test_an_edited_catalogue_is_read_anew_and_a_bad_one_still_fails(mini: Path, cache_home: Path):
    """indicators.yml through its kept parsed form: an edit shows at the next load, an alias (billion laughs) or a
    YAML error is refused even when a valid version of the file was kept."""
    from pipelines import catalogue

    f = mini
    text = f.read_text(encoding="utf-8")
    assert catalogue.load(f).analysis.signals.as_of == dt.date(2026, 1, 15)
    assert not list(cache_home.glob("catalogue.*.json"))  # a YAML date: JSON cannot keep it exactly, so not kept
    text = text.replace("as_of: 2026-01-15", 'as_of: "2026-01-15"', 1)
    f.write_text(text, encoding="utf-8")
    assert catalogue.load(f).goal.target_rank == 5
    assert catalogue.load(f).analysis.signals.as_of == dt.date(2026, 1, 15)
    assert list(cache_home.glob("catalogue.*.json"))
    assert catalogue.load(f).goal.target_rank == 5  # from the kept form
    f.write_text(text.replace("  target_rank: 5", "  target_rank: 3", 1), encoding="utf-8")
    assert catalogue.load(f).goal.target_rank == 3
    f.write_text(text + "\nextra: &a [1, 2]\nmore: *a\n", encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError) as alias:
        catalogue.load(f)
    assert "alias" in str(alias.value).lower()
    f.write_text(text + "\n  bad: [unclosed\n", encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError):
        catalogue.load(f)
