"""The one error type: every error renders itself in Korean or English, the command line prints it once
(exit code 1), and a broken catalogue gives every dashboard page a clear message in the reader's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from dashboard.text import t
from pipelines import catalogue
from pipelines.catalogue import CatalogueError
from pipelines.cli import main
from pipelines.errors import AccountError, Busy, CityIdxError, ForumError, Message
from pipelines.schemas import ProblemsFound, problem
from tests.page_reading import run_on

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
# Every page the router knows, read from app.py so that a new page is covered without touching this test.
PAGES = re.findall(r'"(views/\w+\.py)"', APP.read_text(encoding="utf-8"))
NEEDS_CATALOGUE = {"views/calendar.py", "views/my_indicators.py", "views/reporting.py"}


def _break(path: Path) -> None:
    """Two defects in indicators.yml: a misspelt key and a missing one."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["series"]["mori_gpci"]["relase_months"] = [11]
    data["series"]["zyen_gfci"].pop("publisher")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _shown(value: str) -> str:
    """Markdown as a reader sees it: escapes and hard line breaks removed."""
    return re.sub(r"\\(.)", r"\1", value).replace("  \n", "\n")


# --- the error type --------------------------------------------------------------------------------

@pytest.mark.parametrize("error", [
    ForumError("forum.no_such", kind=Message("forum.kind.meeting"), value="m9"),
    AccountError("account.no_such_user", value="nobody"),
    Busy(),
    CityIdxError("cli.no_warehouse", path="/nowhere.duckdb"),
])
def test_every_error_renders_in_each_language_and_both_in_str(error: CityIdxError):
    ko, en = error.text("ko"), error.text("en")
    assert ko != en and re.search(r"[\uac00-\ud7a3]", ko) and not re.search(r"[\uac00-\ud7a3]", en)
    assert str(error) == f"{ko} / {en}"
    assert isinstance(error, CityIdxError)


def test_a_message_inside_an_error_is_rendered_in_the_same_language():
    """A noun (the kind of thing missing) or a nested error is never left in the other language."""
    inner = ForumError("forum.no_such", kind=Message("forum.kind.agenda"), value="a-1")
    outer = ForumError("forum.bad_event_file", file="data/raw/forum/x.json", detail=inner)
    assert outer.text("en") == t("forum.bad_event_file", "en", file="data/raw/forum/x.json",
                                 detail="no such agenda item: 'a-1'.")
    assert "안건 'a-1'" in outer.text("ko") and not re.search(r"[\uac00-\ud7a3]", outer.text("en"))
    assert str(outer) == f"{outer.text('ko')} / {outer.text('en')}"


def test_problems_found_lists_every_problem_in_the_asked_language():
    found = ProblemsFound([problem("a.csv", 3, "rank", "check.not_a_number", value="ten"),
                           problem("a.csv", 2, "score", "check.missing_value")])
    en = found.text("en").splitlines()
    assert en[0].startswith("- a.csv row 2, column 'score'") and en[1].startswith("- a.csv row 3, column 'rank'")
    assert en[2] == t("problems.found", "en", count=2)
    assert "a.csv 3행 'rank' 열" in found.text("ko") and "row 3" not in found.text("ko")
    assert "a.csv row 3" in str(found) and "a.csv 3행" in str(found)


def test_catalogue_error_carries_keyed_problems(mini: Path):
    _break(mini)
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(mini)
    exc = caught.value
    assert isinstance(exc, CityIdxError)
    assert {p.key for p in exc.problems} == {"catalogue.unknown_key", "catalogue.missing_key"}
    en, ko = exc.text("en"), exc.text("ko")
    assert en.splitlines()[0] == t("catalogue.problems", "en", file="indicators.yml", count=2)
    assert "relase_months" in en and "'publisher'" in en and "unknown key" in en
    assert "알 수 없는 키" in ko and "unknown key" not in ko


# --- the command line's one boundary ---------------------------------------------------------------

def test_cli_prints_a_catalogue_error_once_in_both_languages_and_exits_1(mini: Path):
    _break(mini)
    result = CliRunner().invoke(main, ["check", "--catalogue", str(mini)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # printed by the boundary, not a traceback
    out = result.output
    assert out.count(t("catalogue.problems", "en", file="indicators.yml", count=2)) == 1
    assert t("catalogue.problems", "ko", file="indicators.yml", count=2) in out
    assert "relase_months" in out and "Traceback" not in out


def test_cli_error_from_deep_inside_a_command_exits_1(mini: Path, mini_warehouse: Path, tmp_path: Path):
    result = CliRunner().invoke(main, ["forum", "export", "--catalogue", str(mini), "--agenda-packet", "no-such-meeting",
                                       str(tmp_path / "p.html")])
    assert result.exit_code == 1, result.output
    assert "no such meeting: 'no-such-meeting'" in result.output and "회의 'no-such-meeting'을(를)" in result.output
    assert not (tmp_path / "p.html").exists()


def test_cli_usage_errors_stay_exit_2_with_a_catalogue_message(mini: Path, tmp_path: Path):
    result = CliRunner().invoke(main, ["brief", "--catalogue", str(mini), "--quarter", "2025-Q5"])
    assert result.exit_code == 2
    assert t("brief.bad_quarter", "en", value="2025-Q5") in result.output
    missing = CliRunner().invoke(main, ["upload", "--catalogue", str(mini), "--department", "tourism_sports",
                                        str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and t("cli.no_such_file", "ko", file=tmp_path / "none.csv") in missing.output


# --- the dashboard: every page says what is wrong with the catalogue ---------------------------------

def test_the_router_has_every_page():
    assert len(PAGES) >= 9 and len(set(PAGES)) == len(PAGES)
    assert NEEDS_CATALOGUE <= set(PAGES)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_broken_catalogue_gives_every_page_a_clear_message(mini: Path, mini_warehouse: Path, monkeypatch, lang: str):
    _break(mini)
    monkeypatch.setenv("CITYIDX_CATALOGUE", str(mini))
    other = "en" if lang == "ko" else "ko"
    header = t("catalogue.problems", lang, file="indicators.yml", count=2)
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    seen = 0
    for page in PAGES:
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        errors = [_shown(e.value) for e in at.error]
        assert len(errors) == 1, (page, errors)
        text = errors[0]
        assert text.startswith(header), (page, text)
        assert "relase_months" in text and "'publisher'" in text
        assert t("catalogue.problems", other, file="indicators.yml", count=2) not in text
        if page in NEEDS_CATALOGUE:
            assert t("ui.needs_catalogue", lang) in [i.value for i in at.info], page
        seen += 1
    assert seen == len(PAGES)


def test_the_forum_page_stays_readable_without_a_catalogue(mini: Path, mini_warehouse: Path, monkeypatch):
    _break(mini)
    monkeypatch.setenv("CITYIDX_CATALOGUE", str(mini))
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = "en"
    run_on(at, "views/forum.py")
    assert not at.exception, [e.value for e in at.exception]
    assert t("ui.forum.no_catalogue", "en") in [w.value for w in at.warning]
    assert at.title, "the page still draws the forum from the warehouse"
