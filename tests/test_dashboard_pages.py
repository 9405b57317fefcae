"""Every dashboard page, run through Streamlit's AppTest on a warehouse built from the mini fixture."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.display import css_text
from dashboard.text import t
from pipelines import build, catalogue
from pipelines.schemas import STATUSES
from pipelines.sql import parts
from tests.page_reading import english_labels, labels, marks, plotly_specs, run_on, svg_charts

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
PAGES = ("views/overview.py", "views/trends.py", "views/sources.py")
LANGS = ("ko", "en")

# English UI labels that differ from their Korean form: none may appear as a label in Korean mode.
ENGLISH_LABELS = english_labels("ui.", "status.")


def run(page: str = PAGES[0], lang: str | None = None, *, opened: tuple[str, ...] = ()) -> AppTest:
    """`page` after its first run; `opened` names expanders (their keys) that start open."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    for key in opened:
        at.session_state[key] = True
    run_on(at, page if page != PAGES[0] else None)
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> list[str]:
    """Everything a reader sees as text: headings, Markdown, captions, metrics, widget labels."""
    # the SVG charts are read apart (svg_charts): their labels are not the page's text
    out = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.caption)
           if not e.value.startswith("<div><svg")]
    out += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    out += [w.label for w in (*at.selectbox, *at.multiselect, *at.radio)]
    return [re.sub(r"\\(.)", r"\1", s) for s in out]  # as rendered: Markdown escapes removed


def warehouse(path: Path, sql: str) -> pd.DataFrame:
    con = parts.connect_read_only(path)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_an_exception_and_no_stray_english(read_mini_warehouse, page, lang):
    at = run(page, lang)
    assert at.title, "every page has a title"
    shown = labels(at)
    assert len(shown) > 3
    stray = sorted(set(shown) & ENGLISH_LABELS)
    if lang == "ko":
        assert not stray, f"English labels in Korean mode: {stray}"
    else:
        assert stray, "English mode shows English labels"


def test_overview_has_a_row_for_every_series_and_the_goal(read_mini_warehouse):
    series = warehouse(read_mini_warehouse, "select title_ko, title_en from series order by seq")
    assert len(series) == 2
    ko = run(lang="ko")
    body = "\n".join(texts(ko))
    for title in series["title_ko"]:
        assert title in body
    assert "2030년 글로벌 TOP 5 도시" in body
    metric = {m.label: m.value for m in ko.metric}
    # Mini: Seoul is 6th in GPCI 2025 and 10th in GFCI 38: none in the TOP 5, both ranked.
    assert metric[t("ui.overview.in_goal_now", "ko", target=5)] == "0 / 2개"
    assert metric[t("ui.overview.ranked_now", "ko")] == "2 / 2개"
    assert "6위" in body and "1계단" in body and "5계단" in body
    charts = svg_charts(ko)
    assert sorted(charts) == ["latest_ranks", "spark_mori_gpci", "spark_zyen_gfci"], \
        "the latest-ranks chart and one sparkline per series"
    assert not ko.get("plotly_chart"), "the overview draws SVG only: no Plotly bundle to load"
    assert [(e.get("data-series"), e.get("data-rank")) for e in marks(charts["latest_ranks"], "rank")] == \
        [("GPCI", "6"), ("GFCI", "10")]
    # a cell's value and its note under it are one Markdown element (the note in small grey type): no caption in a card
    cells = [m for m in texts(ko) if ":small[:gray[" in m]
    assert len(cells) >= 6 * len(series), cells
    assert any(m.startswith("**[6위](") and "48" in m.split(":small[:gray[", 1)[1] for m in cells), cells
    assert len(ko.caption) <= 3, [c.value for c in ko.caption]  # the headline's, the chart's and the footnote
    # the header row names the columns; when a phone stacks a series' cells, the page's style writes each cell's
    # column heading above it (one rule per column, in the reader's language; tests/test_browser_analyst.py sees it)
    for key in ("latest_edition", "latest_rank", "change", "best_ever", "to_goal", "rank_trend"):
        assert f"**{t(f'col.{key}', 'ko', target=5)}**" in texts(ko), key
    style = "".join(h.proto.body for h in ko.get("html") if "st-key-ovrow_" in h.proto.body)
    for n, key in enumerate(("latest_edition", "latest_rank", "change", "best_ever", "to_goal", "rank_trend"), start=2):
        assert f":nth-child({n})::before {{ content: {css_text(t(f'col.{key}', 'ko', target=5))}; }}" in style, key

    en = run(lang="en")
    body_en = "\n".join(texts(en))
    for title in series["title_en"]:
        assert title in body_en
    assert "#6" in body_en and "1 place" in body_en
    assert "모리기념재단" not in body_en


def test_overview_says_why_when_the_focus_city_has_no_rank(mini, tmp_path, monkeypatch):
    ledger = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    text = ledger.read_text(encoding="utf-8")
    ranked = "GFCI 38,Seoul,South Korea,10,749,ranked,"
    assert ranked in text
    ledger.write_text(text.replace(ranked, "GFCI 38,Seoul,South Korea,,,outside_list,"), encoding="utf-8")
    path = tmp_path / "unranked.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))

    at = run(lang="ko")
    body = "\n".join(texts(at))
    assert t("status.outside_list", "ko") in body
    assert t("ui.overview.never_ranked", "ko") in body
    assert t("ui.overview.no_goal_gap", "ko") in body
    assert t("ui.overview.no_trend", "ko") in body
    assert sorted(svg_charts(at)) == ["latest_ranks", "spark_mori_gpci"], \
        "the latest-ranks chart; no sparkline for a series without any rank"


@pytest.mark.parametrize("lang", LANGS)
def test_the_goals_source_is_said_in_the_readers_language(mini, tmp_path, monkeypatch, lang):
    """indicators.yml `goal.source` as {ko, en} (a Korean plan's title and its English gloss): each page that names
    the goal's source names it in the reader's language. The mini fixture's one text is the other form (test_catalogue_kept)."""
    said = {"ko": "글로벌 도시경쟁력 관리 계획 (2022-04)", "en": "Global City Competitiveness Management Plan (2022-04)"}
    one = f'source: "{said["ko"]}"'
    text = mini.read_text(encoding="utf-8")
    assert one in text
    mini.write_text(text.replace(one, f'source: {{ko: "{said["ko"]}", en: "{said["en"]}"}}'), encoding="utf-8")
    path = tmp_path / "w.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))
    other = "en" if lang == "ko" else "ko"
    for page in ("views/overview.py", "views/goal.py"):
        body = "\n".join(texts(run(page, lang)))
        assert said[lang] in body and said[other] not in body, (page, body)


@pytest.mark.parametrize(("new_rank", "expected", "unexpected"), [
    (4, ":green[▲ 2계단 상승]", ":red[▼"),   # 6th -> 4th: a smaller number is an improvement
    (9, ":red[▼ 3계단 하락]", ":green[▲"),   # 6th -> 9th: a fall
])
def test_overview_change_arrow_reads_a_smaller_rank_as_a_rise(mini, tmp_path, monkeypatch, new_rank, expected, unexpected):
    ledger = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    text = ledger.read_text(encoding="utf-8")
    latest = "2025,Seoul,South Korea,6,"
    assert latest in text
    ledger.write_text(text.replace(latest, f"2025,Seoul,South Korea,{new_rank},"), encoding="utf-8")
    path = tmp_path / "moved.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))
    source = [m.value for m in run(lang="ko").markdown]
    assert any(expected in m for m in source), source
    assert not any(unexpected in m for m in source)


def test_trends_draws_the_bump_chart_with_rank_one_on_top(read_mini_warehouse):
    at = run("views/trends.py", "ko")
    chart = svg_charts(at)["bump"]  # SVG, drawn for a wide screen and a phone
    assert sum(m.value.startswith("<div><svg") and 'data-chart="bump"' in m.value for m in at.markdown) == 2
    ys = {d.get("data-rank"): float(d.get("cy")) for d in marks(chart, "rank")}
    assert ys[min(ys, key=int)] < ys[max(ys, key=int)], "rank 1 on top"
    assert [e.text for e in marks(chart, "x-tick")] == ["2024", "2025"], "editions as categories"
    assert {"서울", "도쿄", "런던"} <= {e.text for e in marks(chart, "legend")}
    # GPCI 2025 records a methodology change: a star in the strip.
    assert [e.get("data-edition") for e in marks(chart, "change")] == ["2025"]
    assert not plotly_specs(at), "no Plotly chart on the default trends page: its bundle is not loaded"
    assert at.multiselect[0].value == ["Seoul", "Tokyo", "London"]


def test_trends_table_links_every_figure_to_its_source(read_mini_warehouse):
    # the figures' grid is drawn only once its expander is opened: the page shows the charts without it
    closed = run("views/trends.py", "ko")
    assert not [d for d in closed.dataframe if "출처" in d.value.columns and "상태" in d.value.columns]
    (expander,) = [e for e in closed.expander if e.label.startswith(t("ui.trends.as_table", "ko", figures=6)[:5])]
    assert t("ui.trends.as_table", "ko", figures=6) == expander.label, "the label counts the figures it holds"
    assert "27 indicator groups / 72 indicators" in "\n".join(texts(closed)), "the notes stay on the page"
    # the ledger's English methodology change is marked as the English original in Korean mode (not in English)
    assert t("ui.trends.note_in_english", "ko", note="27 indicator groups / 72 indicators") in "\n".join(texts(closed))

    at = run("views/trends.py", "ko", opened=("trend_table",))
    table = at.dataframe[0].value
    assert list(table.columns)[:5] == ["판", "도시", "순위", "점수", "상태"]
    assert len(table) == 6
    assert table["출처"].str.startswith("https://").all()
    assert set(table["상태"]) == {t("status.ranked", "ko")}
    body = "\n".join(texts(at))
    assert "27 indicator groups / 72 indicators" in body, "methodology notes of the series"


def test_trends_shows_component_ranks_where_the_series_has_them(read_mini_warehouse):
    at = run("views/trends.py", "en")
    grid = svg_charts(at)["components"]  # a rank grid, drawn for a wide screen and a phone
    assert [e.get("data-name") for e in marks(grid, "y-tick")] == ["Economy", "R&D", "Livability"]
    assert sum(m.value.startswith("<div><svg") and 'data-chart="components"' in m.value for m in at.markdown) == 2
    assert "components" not in plotly_specs(at)
    # GPCI's scores compare only within an edition: one edition's bars (SVG), the latest with the focus city scored
    bars = svg_charts(at)["edition_scores"]
    assert "Seoul" in {b.get("data-city") for b in marks(bars, "bar")}
    assert not plotly_specs(at), "every chart of the page is SVG"
    # the figures (wide and phone views), then the component ranks (wide, then phone)
    comp_table = next(d.value for d in at.dataframe if "Component" in d.value.columns and "Source" in d.value.columns)
    assert set(comp_table["Component"]) == {"Economy", "R&D", "Livability"}

    at.selectbox[0].set_value("zyen_gfci").run()
    assert not at.exception
    specs = plotly_specs(at)
    assert "components" not in svg_charts(at)
    assert t("ui.trends.no_components", "en", kind="area") in "\n".join(texts(at))
    # GFCI scores are comparable across editions: a score chart over editions (SVG, as every chart of the page)
    assert [e.text for e in marks(svg_charts(at)["scores"], "x-tick")] == ["GFCI 37", "GFCI 38"]
    assert not specs


def test_ledger_text_marks_only_english_text_in_korean_mode():
    from dashboard.text import ledger_text

    assert ledger_text("27 indicators", "ko") == t("ui.trends.note_in_english", "ko", note="27 indicators")
    assert ledger_text("지표 27개로 변경", "ko") == "지표 27개로 변경", "a Korean text is not called English"
    assert ledger_text("27 indicators", "en") == "27 indicators"
    assert ledger_text(None, "ko") == ledger_text(float("nan"), "ko") == ledger_text("", "ko") == ""


def test_trends_city_picker_adds_and_removes_lines(read_mini_warehouse):
    at = run("views/trends.py", "en", opened=("trend_table",))
    at.multiselect[0].set_value(["Seoul"]).run()
    assert not at.exception
    names = {e.get("data-city") for e in marks(svg_charts(at)["bump"], "rank")}
    assert "Seoul" in names and "Tokyo" not in names and "London" not in names
    assert set(at.dataframe[0].value["City"]) == {"Seoul"}


def test_trends_opens_the_series_named_in_the_url(read_mini_warehouse):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["series"] = "zyen_gfci"
    at.run()
    at.switch_page("views/trends.py").run()
    assert not at.exception
    assert at.selectbox[0].value == "zyen_gfci"


SOURCE_SECTIONS = tuple(f"src_series_{sid}" for sid in catalogue.load(Path(__file__).parent / "fixtures/mini/indicators.yml").series)


def test_sources_draws_a_series_section_only_once_opened(read_mini_warehouse):
    closed = run("views/sources.py", "ko")
    assert len(closed.expander) == len(SOURCE_SECTIONS), "a section per series"
    assert any("Mori Memorial Foundation" in e.label for e in closed.expander)
    assert len(closed.dataframe) == 4, "the four tables across the catalogue (their phone views are cards), none of a section"
    assert "11월·12월" not in "\n".join(texts(closed))
    # one section opened: its facts and tables, and no other section's
    gpci = run("views/sources.py", "ko", opened=("src_series_mori_gpci",))
    body = "\n".join(texts(gpci))
    assert "https://mori-m-foundation.or.jp" in body and "GFCI" not in body.split(t("ui.sources.catalogue", "ko"))[-1]
    assert len(gpci.dataframe) > len(closed.dataframe)


def test_sources_lists_provenance_status_publications_and_flags(read_mini_warehouse):
    at = run("views/sources.py", "ko", opened=SOURCE_SECTIONS)
    body = "\n".join(texts(at))
    assert "Mori Memorial Foundation" in body and "https://mori-m-foundation.or.jp" in body
    assert "기획조정실 시정연구담당관" in body and "경제정책실" in body
    assert "11월·12월" in body and "반기 (연 2회)" in body
    frames = [f.value for f in at.dataframe]
    status = frames[0]
    assert list(status.columns)[:2] == ["지수", t("status.ranked", "ko")]
    gfci = status[status["지수"] == "GFCI"].iloc[0]
    assert gfci[t("status.not_found", "ko")] == 1 and gfci["합계"] == 6  # Seoul missing in GFCI 37
    # Every state a row can have has a column, so the per-state counts add up to the total.
    states = [t(f"status.{s}", "ko") for s in STATUSES]
    assert list(status.columns)[1:-1] == states
    assert (status[states].sum(axis=1) == status["합계"]).all()
    flags = frames[1]
    assert t("flag.derived", "ko") in flags.columns and len(flags) == 2
    assert set(flags[t("flag.derived", "ko")]) == {"0 (0)"}, "no flagged row in the mini ledger"
    tiers = frames[2].set_index("지수")
    assert tiers.at["GFCI", "집계·블로그"] == 5, "every GFCI row with a source rests on Wikipedia (aggregator)"
    outlets = frames[3]
    assert {"Wikipedia", "Newscafe"} <= set(outlets["게재처"])
    assert any("판" in f.columns and "대상 도시 수" in f.columns for f in frames), "editions with field size"


def test_language_switch_changes_the_labels(read_mini_warehouse):
    at = run(lang=None)
    assert at.session_state["lang"] == "ko"
    assert at.title[0].value == t("ui.overview.title", "ko", city="서울")
    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert at.title[0].value == t("ui.overview.title", "en", city="Seoul")
    at.switch_page("views/sources.py").run()
    assert at.title[0].value == t("ui.sources.title", "en"), "the language holds across pages"


def test_missing_warehouse_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(tmp_path / "absent.duckdb"))
    for page in PAGES:
        at = run(page, "en")
        assert len(at.error) == 1
        message = at.error[0].value
        # Staff read plain words in both languages; the path and the command are for administrators, apart.
        assert "관리자" in message and "administrator" in message, "the message is bilingual"
        assert "cityidx" not in message and "absent.duckdb" not in message
        assert [c.value for c in at.code] == ["cityidx build"] and len(at.expander) == 1
        assert not at.get("plotly_chart") and not at.dataframe


def test_a_rebuilt_warehouse_is_read_without_a_restart(mini, mini_warehouse):
    at = run(lang="ko")
    assert "국제금융센터지수" in "\n".join(texts(at))
    text = mini.read_text(encoding="utf-8")
    mini.write_text(text.replace("{ko: 국제금융센터지수,", "{ko: 국제금융센터지수 (개정),"), encoding="utf-8")
    build.build(catalogue.load(mini), mini_warehouse)
    at.run()
    assert not at.exception
    assert "국제금융센터지수 (개정)" in "\n".join(texts(at))


def test_phone_cards_escape_every_text_and_leave_blank_values_out() -> None:
    """The stacked cards a phone shows instead of a wide table: ledger text is shown as typed, never as HTML."""
    from dashboard.display import cards_html

    frame = pd.DataFrame({"지수": ["<img src=x onerror=alert(1)>"], "상태": ["이탈"], "이유": ['a & "b" <script>'],
                          "빈칸": [None], "대시": ["—"], "수": [0.125]})
    out = cards_html(frame, head=2)
    assert "<img" not in out and "<script" not in out and "&lt;img src=x onerror=alert(1)&gt; · 이탈" in out
    assert "<dt>이유</dt><dd>a &amp; &quot;b&quot; &lt;script&gt;</dd>" in out
    assert "빈칸" not in out and "대시" not in out, "a blank value has no line"
    assert "<dt>수</dt><dd>0.125</dd>" in out
    assert out.count('class="cx-card"') == 1


def test_css_text_cannot_end_its_string_rule_or_style_element() -> None:
    """The uploader's words go into CSS `content:`; a quote, a brace or `</style>` in a message stays text."""
    from dashboard.display import css_text

    out = css_text('파일 "선택"; } </style><script>x</script> \\')
    assert out.startswith('"') and out.endswith('"') and out.count('"') == 2
    assert not set(out[1:-1]) & set('"\'{};<>/\\') - {"\\"}
    assert "<" not in out and "}" not in out and "\\22 " in out and "\\d30c " in out  # 파 is U+D30C


def test_the_servers_settings_are_streamlits_own_and_say_what_they_mean():
    """.streamlit/config.toml: every setting is one Streamlit knows (a misspelt one is ignored without a word), and
    the server does not walk its whole heap after every run (Streamlit's default: three quarters of the server's CPU
    per session on overview and trends, `make bench` section M)."""
    import tomllib

    from streamlit import config

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    names = {f"{section}.{name}" for section, options in settings.items() for name in options}
    known = set(config.get_config_options())
    assert names and names <= known, sorted(names - known)
    assert settings["runner"]["postScriptGC"] is False
    assert settings["runner"]["magicEnabled"] is False
    assert settings["browser"]["gatherUsageStats"] is False
