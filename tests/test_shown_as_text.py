"""What a user or a file supplied is shown as text and never acts: a terminal's escape sequences, a bell, a line
break inside a value, a bidirectional override, zero-width and tag characters. Written as their escapes in every
message (pipelines.messages.visible) and on the command line, refused in what the forum log takes (it is kept for
good), and bounded in length there."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pipelines import catalogue
from pipelines.build import forum, writes
from pipelines.cli import main
from pipelines.errors import ForumError, Message
from pipelines.messages import LANGS, t, visible
from tests.warehouse_files import warehouse_bytes

ACTING = {"Cc", "Cf", "Zl", "Zp", "Cs"}  # control, format, line and paragraph separators, lone surrogates
# clear the screen, set the window's title, ring, a C1 control sequence introducer, reverse what follows, hide
HOSTILE = "ab\x1b[2J\x1b]0;pwned\x07c\x01\x9b31m\u202eevil\u200b\ufeff\U000e0041\u2028\udc80"
MEETING = {"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": "2026-03-11", "kind": "regular"}


def _acting(text: str, keep: str = "\n") -> list[str]:
    return [ch for ch in text if ch not in keep and unicodedata.category(ch) in ACTING]


@given(st.text())
def test_visible_leaves_nothing_that_acts_and_keeps_every_character_that_shows_in_order(text: str):
    shown = visible(text)
    assert not _acting(shown, keep="")
    if not _acting(text, keep=""):
        assert shown == text
    rest = iter(shown)
    assert all(ch in rest for ch in text if unicodedata.category(ch) not in ACTING)


def test_visible_writes_each_escape_as_python_does_and_leaves_hangul_and_spaces():
    assert visible("서울 2030\u00a0·\u3000TOP 5") == "서울 2030\u00a0·\u3000TOP 5"
    assert visible("a\x1b[2Jb\x07") == "a\\x1b[2Jb\\x07"
    assert visible("\u202eevil\u200b") == "\\u202eevil\\u200b"
    assert visible("\U000e0041\udc80\x9b") == "\\U000e0041\\udc80\\x9b"
    assert visible("x\ny") == "x\\ny" and visible("x\ny", keep="\n") == "x\ny"


@pytest.mark.parametrize("lang", LANGS)
def test_a_value_in_a_message_is_shown_with_its_escapes(lang: str):
    text = t("upload.unknown_department", lang, value=HOSTILE)
    assert not _acting(text, keep=""), _acting(text, keep="")
    assert "ab\\x1b[2J\\x1b]0;pwned\\x07c\\x01\\x9b31m\\u202eevil\\u200b\\ufeff\\U000e0041\\u2028\\udc80" in text
    assert t("cli.no_such_file", lang, file=Path("/tmp/x\x1b[2J.csv")).count("\\x1b[2J") == 1


@pytest.mark.parametrize("color", [True, False], ids=["to a terminal", "to a pipe"])
def test_cells_with_terminal_escapes_are_shown_escaped_and_nothing_is_written(mini: Path, mini_warehouse: Path,
                                                                             tmp_path: Path, color: bool):
    """Click strips ANSI sequences only when it writes to no terminal; the escapes are shown either way, and the
    controls that are no ANSI sequence (a bell, \\x01) never reach the screen."""
    upload = tmp_path / "values.csv"
    upload.write_text("indicator_id,period,value,note\n"
                      "foreign_tourists,2025,ab\x1b[2J\x1b]0;pwned\x07c\x01,x\n"
                      "foreign\x1b[31m_tourists,2024,5,y\n", encoding="utf-8")
    before = warehouse_bytes(mini_warehouse)
    result = CliRunner().invoke(main, ["upload", "--catalogue", str(mini), "--department", "tourism_sports",
                                       "--as", "kim", str(upload)], color=color)
    assert result.exit_code == 1, result.output
    assert not _acting(result.output), _acting(result.output)
    assert "cell C2 (column 'value'): not a number: 'ab\\x1b[2J\\x1b]0;pwned\\x07c\\x01'" in result.output
    assert "'foreign\\x1b[31m_tourists'" in result.output
    assert warehouse_bytes(mini_warehouse) == before


def test_what_was_typed_is_repeated_escaped_in_a_usage_error(mini: Path, tmp_path: Path):
    upload = tmp_path / "values.csv"
    upload.write_text("indicator_id,period,value\n", encoding="utf-8")
    for args, shown in [(["up\x1b[2Jload"], "'up\\x1b[2Jload'"),
                        (["--\x1b]0;t\x07"], "--\\x1b]0;t\\x07"),
                        (["upload", "--catalogue", str(mini), "--department", "x\u202e\x1b[2J", str(upload)],
                         "'x\\u202e\\x1b[2J'"),
                        (["forum", "list", "--what", "x\x1b[2J"], "'x\\x1b[2J'")]:
        result = CliRunner().invoke(main, args, color=True)
        assert result.exit_code == 2, (args, result.output)
        assert not _acting(result.output), (args, _acting(result.output))
        assert shown in result.output, (args, result.output)


def _events(cat) -> list[Path]:
    return sorted((cat.root / "data" / "raw" / "forum").glob("*.json"))


def test_the_forum_log_refuses_a_text_too_long_or_one_that_would_act_and_writes_nothing(mini: Path,
                                                                                      mini_warehouse: Path):
    cat = catalogue.load(mini)
    limit = cat.forum.max_text_chars
    before = warehouse_bytes(mini_warehouse)
    for data, key, label in [({**MEETING, "title": "가" * (limit + 1)}, "forum.text_too_long", "'제목'이(가) 너무"),
                             ({**MEETING, "place": "3층 회의실\u202e1"}, "forum.text_acting", "'장소'에"),
                             ({**MEETING, "meeting_id": "m\x1b[2J"}, "forum.text_acting", "'회의'에")]:
        with pytest.raises(ForumError) as caught:
            writes.record_event(cat, "park", "meeting.scheduled", data, warehouse_path=mini_warehouse)
        assert caught.value.key == key and caught.value.ko.startswith(label), caught.value.ko
        assert not _acting(caught.value.both(), keep=""), caught.value.both()
        assert _events(cat) == [] and warehouse_bytes(mini_warehouse) == before
    with pytest.raises(ForumError, match=r"\\u202e"):  # the character is named, as its escape
        forum.check_text({"place": "회의실\u202e1"}, limit)
    with pytest.raises(ForumError) as nested:  # a reference inside a list of references is a typed text too
        forum.check_text({"weaknesses": [{"index_id": "mori_gpci", "component_id": "live\x00ability"}]}, limit)
    assert nested.value.values == {"field": Message("forum.field.weaknesses"), "char": "\\x00"}
    assert nested.value.ko.startswith("'연결 약점'에") and nested.value.en.startswith("'linked weaknesses' holds")

    # a text of the limit's length, with line breaks and tabs, goes in whole
    title = ("가나다\t라마\n" * limit)[:limit]
    writes.record_event(cat, "park", "meeting.scheduled", {**MEETING, "title": title}, warehouse_path=mini_warehouse)
    [written] = _events(cat)
    assert json.loads(written.read_text(encoding="utf-8"))["data"]["title"] == title
