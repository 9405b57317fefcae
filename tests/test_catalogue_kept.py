"""The catalogue as kept (pipelines.catalogue_data, issue 13): what `cityidx build` reads without pydantic says
exactly what the validated model says, and is used only while the catalogue, its code and its ledger files are as
they were when it passed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pipelines import catalogue, cli
from pipelines.catalogue_data import CatalogueView, analysis_settings, as_data, keep, load_kept

ROOT = Path(__file__).resolve().parent.parent


def _same(view, model) -> None:
    """The view holds what the model holds, part by part, and its methods answer as the model's do."""
    assert as_data(view) == as_data(model)
    assert view.path == model.path and view.root == model.root and view.raw_files() == model.raw_files()
    assert analysis_settings(view) == analysis_settings(model)
    assert view.analysis.model_dump() == model.analysis.model_dump()
    # the goal's source: {ko, en} in the real catalogue, one text in the mini fixture's
    assert [view.goal.source_in(lang) for lang in ("ko", "en")] == [model.goal.source_in(lang) for lang in ("ko", "en")]
    for sid, s in model.series.items():
        assert view.series[sid].title.get("en") == s.title.get("en") and view.series[sid].title.get("ko") == s.title.ko
        for c in s.components:
            assert as_data(view.series[sid].component(c.id)) == as_data(c)
        assert view.series[sid].component("no_such_component") is None
    for iid, ind in model.indicators.items():
        v = view.indicators[iid]
        assert (v.source_name, v.source_url, v.accepts_percent_sign) == (ind.source_name, ind.source_url,
                                                                        ind.accepts_percent_sign)


@pytest.mark.parametrize("which", ["real", "mini"])
def test_the_kept_catalogue_says_what_the_model_says(which: str, mini: Path, cache_home: Path):
    path = ROOT / "indicators.yml" if which == "real" else mini
    assert load_kept(path) is None  # nothing kept yet
    model = catalogue.load(path)
    keep(model)
    view = load_kept(path)
    assert isinstance(view, CatalogueView)
    _same(view, model)
    with pytest.raises(AttributeError):
        view.focus_city = "Tokyo"  # read-only, as the model is


def test_a_changed_catalogue_or_a_missing_file_is_validated_again(mini: Path, cache_home: Path):
    keep(catalogue.load(mini))
    assert load_kept(mini) is not None
    data = yaml.safe_load(mini.read_text(encoding="utf-8"))
    data["focus_city"] = "Tokyo"
    mini.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_kept(mini) is None  # another content: nothing kept for it
    keep(catalogue.load(mini))
    assert load_kept(mini).focus_city == "Tokyo"
    rankings = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    rankings.rename(rankings.with_suffix(".gone"))
    assert load_kept(mini) is None  # a file the model checks is gone: the model says so, not the view
    with pytest.raises(catalogue.CatalogueError) as caught:
        catalogue.load(mini)
    assert "series.zyen_gfci.rankings_file" in str(caught.value)


def test_a_damaged_kept_form_is_not_used(mini: Path, cache_home: Path):
    keep(catalogue.load(mini))
    [kept] = cache_home.glob("catalogue-kept.*.json")
    kept.write_text('{"@": "Catalogue", "focus_city": ', encoding="utf-8")
    assert load_kept(mini) is None
    kept.write_text('{"@": "Text", "ko": "a", "en": "b"}', encoding="utf-8")  # not a catalogue
    assert load_kept(mini) is None


def test_build_keeps_the_catalogue_and_reads_it_back(mini: Path, cache_home: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    """`cityidx build` validates the catalogue the first time and keeps it; the next build reads it as kept. A build
    with a catalogue that no longer passes still fails with the catalogue's own problem, kept form or not."""
    runner = CliRunner()
    warehouse = tmp_path / "w" / "cityindex.duckdb"
    args = ["build", "--catalogue", str(mini), "--warehouse", str(warehouse)]
    assert runner.invoke(cli.main, args).exit_code == 0
    assert load_kept(mini) is not None
    seen = []
    monkeypatch.setattr(cli, "_catalogue", lambda path: seen.append(path) or catalogue.load(path))
    assert runner.invoke(cli.main, args).exit_code == 0 and seen == []  # read as kept: not validated again
    shutil.move(mini.parent / "data" / "raw" / "cities.csv", tmp_path / "cities.csv")
    failed = runner.invoke(cli.main, args)
    assert failed.exit_code != 0 and seen and "cities_file" in failed.output

