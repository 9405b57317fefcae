"""The catalogue loads strictly: unknown, missing and dangling keys fail and name the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines import catalogue
from pipelines.catalogue import CatalogueError

ROOT = Path(__file__).resolve().parent.parent
SERIES_IDS = {
    "kearney_gci", "kearney_gco", "mori_gpci", "mercer_qol", "eiu_liveability",
    "startup_genome", "zyen_gfci", "iese_cimi", "mastercard_gdci",
}


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_mini_catalogue_loads(mini: Path):
    cat = catalogue.load(mini)
    assert list(cat.series) == ["mori_gpci", "zyen_gfci"]
    assert cat.series["mori_gpci"].component("r_and_d").name.ko == "연구·개발"
    assert cat.focus_city == "Seoul" and cat.goal.target_rank == 5


def test_unknown_key_names_key_and_file(mini: Path):
    _edit(mini, lambda d: d["series"]["mori_gpci"].update(relase_months=[11]))
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    text = str(caught.value)
    assert "relase_months" in text and "indicators.yml" in text and "series.mori_gpci" in text
    assert "알 수 없는 키" in text and "unknown key" in text


def test_missing_key_names_key_and_file(mini: Path):
    _edit(mini, lambda d: d["series"]["zyen_gfci"].pop("publisher"))
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    assert "'publisher'" in str(caught.value) and "series.zyen_gfci" in str(caught.value)


def test_missing_file_names_key_and_file(mini: Path):
    _edit(mini, lambda d: d["series"]["zyen_gfci"].update(rankings_file="data/raw/rankings/nope.csv"))
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    text = str(caught.value)
    assert "data/raw/rankings/nope.csv" in text and "series.zyen_gfci.rankings_file" in text


def test_dangling_references_fail(mini: Path):
    def change(d):
        d["series"]["mori_gpci"]["office_id"] = "no_such_office"
        d["series"]["mori_gpci"]["components"][0]["policy_area"] = "no_such_area"
    _edit(mini, change)
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    assert len(caught.value.problems) == 2
    assert "no_such_office" in str(caught.value) and "no_such_area" in str(caught.value)


def test_every_problem_is_listed_at_once(mini: Path):
    def change(d):
        d["bogus"] = 1
        d["series"]["mori_gpci"].pop("cadence")
        d["series"]["zyen_gfci"]["release_months"] = "March"
    _edit(mini, change)
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    assert len(caught.value.problems) == 3


def test_missing_catalogue_file(tmp_path: Path):
    with pytest.raises(CatalogueError, match="nothing.yml"):
        catalogue.load(tmp_path / "nothing.yml")


def test_project_catalogue_has_the_nine_series():
    cat = catalogue.load(ROOT / "indicators.yml")
    assert set(cat.series) == SERIES_IDS
    for s in cat.series.values():
        assert s.title.ko and s.title.en and s.publisher and s.release_months
        assert s.office_id in cat.offices
    offices = {s.id: s.office_id for s in cat.series.values()}
    assert {offices[i] for i in ("kearney_gci", "kearney_gco", "mori_gpci", "mercer_qol", "eiu_liveability")} == {"planning_office"}
    assert offices["startup_genome"] == offices["zyen_gfci"] == "economic_policy_office"
    assert offices["iese_cimi"] == "smart_city_policy" and offices["mastercard_gdci"] == "tourism_sports"
    assert cat.focus_city == "Seoul"
    assert set(cat.peer_cities) == {"Tokyo", "Singapore", "Hong Kong", "Beijing", "Shanghai", "London", "New York", "Paris"}
    weighted = [c for s in cat.series.values() for c in s.components if c.weight is not None]
    assert weighted, "some published weights are expected"
    for s in cat.series.values():
        total = sum(c.weight for c in s.components if c.weight is not None and c.parent is None)
        assert total == 0 or abs(total - 1) < 0.011, (s.id, total)
