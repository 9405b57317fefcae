"""The catalogue loads strictly: unknown, missing and dangling keys fail and name the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

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


def test_the_time_zone_defaults_to_seoul_and_a_bad_one_is_named(mini: Path):
    assert catalogue.load(mini).timezone == "Asia/Seoul"  # not in the file: the default
    _edit(mini, lambda d: d.update(timezone="Asia/Seol"))
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    text = str(caught.value)
    assert "timezone" in text and "Asia/Seol" in text and "IANA" in text
    _edit(mini, lambda d: d.update(timezone="../../etc/passwd"))
    with pytest.raises(CatalogueError):
        catalogue.load(mini)


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


def _messages(mini: Path, change) -> list:
    _edit(mini, change)
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    return caught.value.problems


def _problems(mini: Path, change) -> list[str]:
    """Each problem in both languages ('한국어 / English'), as the command line prints it."""
    return [p.both() for p in _messages(mini, change)]


def test_sections_left_out_take_the_model_defaults(mini: Path):
    cat = catalogue.load(mini)  # the mini catalogue has no forum, analysis or calendar section
    assert cat.forum.default == "competitiveness_forum" and cat.forum.suggestions == 5
    assert cat.forum.forums["competitiveness_forum"].name.en == "City Competitiveness Forum"
    assert (cat.calendar.collection_window_months, cat.calendar.horizon_months) == (3, 12)
    assert catalogue.analysis_settings(cat)["weakness.rank_gap_to_overall"] == 5.0
    assert cat.path == mini.resolve() and cat.root == mini.resolve().parent


def test_a_section_given_in_part_keeps_the_other_defaults(mini: Path):
    _edit(mini, lambda d: d.update(analysis={"weakness": {"rank_gap_to_overall": 7}}, calendar={"horizon_months": 6},
                                   reporting={"lag_months": {"yearly": 9}}))
    cat = catalogue.load(mini)
    settings = catalogue.analysis_settings(cat)
    assert settings["weakness.rank_gap_to_overall"] == 7.0 and settings["weakness.falling_editions"] == 3.0
    assert settings["goal.min_trend_editions"] == 3.0 and settings["signals.stale_after_cadences"] == 2.0
    assert (cat.calendar.horizon_months, cat.calendar.collection_window_months) == (6, 3)
    assert cat.reporting.lag_months == {"yearly": 9, "quarterly": 3, "monthly": 2}


def test_the_forum_section_is_typed_and_every_problem_is_named(mini: Path):
    def change(d):
        d["forum"] = {"default": "city_forum", "suggestions": "five", "forums": {"city_forum": {
            "name": {"ko": "포럼", "en": "Forum"}, "schedule": {"months": [3, 13], "weekday": "someday", "nth": 5}}}}
    problems = _problems(mini, change)
    text = "\n".join(problems)
    assert len(problems) == 4, problems
    assert "forum.suggestions" in text and "정수여야" in text and "whole number" in text
    assert "forum.forums.city_forum.schedule.months[1]" in text and "maximum 12" in text
    assert "forum.forums.city_forum.schedule.weekday" in text and "monday, tuesday" in text
    assert "forum.forums.city_forum.schedule.nth" in text and "1, 2, 3, 4, -1" in text


def test_a_misspelt_threshold_is_an_unknown_key_with_the_allowed_ones(mini: Path):
    problems = _problems(mini, lambda d: d.update(analysis={"weakness": {"rank_gap": 4}}))
    assert len(problems) == 1
    assert "'rank_gap'" in problems[0] and "analysis.weakness" in problems[0]
    assert "falling_editions, min_peers_with_data, peer_bottom_share, rank_gap_to_overall" in problems[0]


def test_dangling_references_in_every_section_are_listed_at_once(mini: Path):
    def change(d):
        d["forum"] = {"default": "no_such_forum", "forums": {
            "city_forum": {"name": {"ko": "포럼", "en": "Forum"}, "office_id": "no_such_office"}}}
        d["indicators"]["foreign_tourists"]["feeds"][0]["component"] = "no_such_component"
        d["indicators"]["unemployment_rate"]["feeds"][0]["series"] = "no_such_series"
        comps = d["series"]["mori_gpci"]["components"]
        comps[1]["id"] = comps[0]["id"]
        comps[2]["parent"] = "no_such_parent"
        d["offices"]["tourism_sports"]["parent"] = "no_such_parent_office"
    problems = _problems(mini, change)
    assert len(problems) == 7, problems
    expected = {
        "forum.default": "no_such_forum", "forum.forums.city_forum.office_id": "no_such_office",
        "indicators.foreign_tourists.feeds[0].component": "no_such_component",
        "indicators.unemployment_rate.feeds[0].series": "no_such_series",
        "series.mori_gpci.components[1].id": "economy", "series.mori_gpci.components[2].parent": "no_such_parent",
        "offices.tourism_sports.parent": "no_such_parent_office",
    }
    for path, value in expected.items():
        assert any(f"'{path}'" in p and f"'{value}'" in p for p in problems), (path, problems)


def test_wrong_types_are_said_in_both_languages_without_pydantic_words(mini: Path):
    def change(d):
        d["goal"]["target_rank"] = 5.5
        d["series"]["mori_gpci"]["score"]["higher_is_better"] = "yes"
        d["series"]["mori_gpci"]["publisher_url"] = "ftp://example.org"
        d["series"]["zyen_gfci"]["components"] = {"a": 1}
        d["peer_cities"] = ["Tokyo", None]
    messages = _messages(mini, change)
    problems = [p.both() for p in messages]
    assert len(problems) == 5, problems
    ko = [p.text("ko") for p in messages]
    assert all("indicators.yml" in p for p in problems)
    assert any("goal.target_rank" in p and "정수" in p for p in ko)
    assert any("higher_is_better" in p and "true 또는 false" in p for p in ko)
    assert any("publisher_url" in p and "https://" in p for p in ko)
    assert any("series.zyen_gfci.components" in p and "목록" in p for p in ko)
    assert any("peer_cities[1]" in p and "비어 있습니다" in p for p in ko)
    assert not any("Input should" in p for p in problems)


def test_new_checks_the_model_makes(mini: Path):
    def change(d):
        d["version"] = 2
        d["series"]["mori_gpci"]["rank_higher_is_better"] = True
        d["offices"]["tourism_sports"]["id"] = "tourism"
        d["indicators"]["unemployment_rate"].update(min=50, max=10)
        d["series"]["mori_gpci"]["components"][0]["weight"] = 0
    problems = _problems(mini, change)
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    assert "'version'" in text and "'series.mori_gpci.rank_higher_is_better'" in text
    assert "'offices.tourism_sports'" in text and "unknown key 'id'" in text
    assert "'indicators.unemployment_rate.max'" in text and "minimum 50 is above the maximum 10" in text
    assert "'series.mori_gpci.components[0].weight'" in text and "greater than 0" in text


def test_a_catalogue_that_is_not_a_mapping(mini: Path):
    mini.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    assert len(caught.value.problems) == 1 and "'/'" in caught.value.problems[0].both()


def test_the_loaded_catalogue_is_read_only(mini: Path):
    cat = catalogue.load(mini)
    with pytest.raises(ValidationError):
        cat.focus_city = "Tokyo"
    with pytest.raises(ValidationError):
        cat.series["mori_gpci"].components[0].weight = 0.5


def test_cadence_months_come_from_the_cadence_and_an_irregular_series_must_give_them(mini: Path):
    cat = catalogue.load(mini)
    assert cat.series["mori_gpci"].cadence == "yearly" and cat.series["mori_gpci"].cadence_months == 12
    problems = _problems(mini, lambda d: (d["series"]["mori_gpci"].update(cadence="irregular"),
                                          d["series"]["zyen_gfci"].update(cadence_months=0)))
    assert len(problems) == 2, problems
    assert any("'cadence_months'" in p and "'series.mori_gpci'" in p for p in problems)
    assert any("'series.zyen_gfci.cadence_months'" in p and "minimum 1" in p for p in problems)


def test_a_list_where_a_word_belongs_is_a_problem_not_a_crash(mini: Path):
    def change(d):
        d["series"]["mori_gpci"]["cadence"] = ["yearly"]
        d["indicators"]["foreign_tourists"]["unit_kind"] = {"count": 1}
    problems = _problems(mini, change)
    assert len(problems) == 2, problems
    assert any("'series.mori_gpci.cadence'" in p for p in problems)
    assert any("'indicators.foreign_tourists.unit_kind'" in p for p in problems)
