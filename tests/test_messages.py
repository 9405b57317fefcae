"""The message catalogues hold exactly the keys the code uses: both languages, the same placeholders, the right file.

Keys are found in the code as written: string literals in pipelines/ and dashboard/ (and quoted literals in
the SQL files), f-strings such as f"status.{s}" whose values come from a helper's literal arguments or a
literal tuple the code loops over, and the dynamic families declared in FAMILIES below with the enum or
tuple their values come from.
"""

from __future__ import annotations

import ast
import re
import string
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
import yaml

from pipelines import accounts, schemas
from pipelines.analysis import GOAL_STATUSES, WEAKNESS_LABELS, due, signals
from pipelines.build import forum
from pipelines.catalogue import CADENCES, INDICATOR_CADENCES
from pipelines.messages import LANGS, MESSAGES_FILE, plural_forms
from pipelines.reports.forum import PHASES

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_FILE = ROOT / "dashboard" / "messages.yml"
PLACEHOLDER = "{}"


def _call_literals(path: Path, function: str, index: int) -> tuple:
    """The literal values a module passes as argument `index` of its calls to `function`."""
    calls = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == function]
    values = tuple(ast.literal_eval(call.args[index]) for call in calls)
    assert values, f"no call of {function} in {path}"
    return values


# Keys built at run time from a value, and where the values come from. A family here is checked
# member by member: every value has its message in both languages.
FAMILIES: dict[str, tuple] = {
    "status.{}": schemas.STATUSES,  # rank status of a row
    "action.{}": forum.STATUSES,  # action item status
    "decision.{}": forum.DECISIONS,
    "execution.{}": forum.EXECUTIONS,
    "meeting.{}": forum.MEETING_KINDS,
    "due.{}": due.STATES,
    "ui.due.count.{}": due.STATES,
    "goal.{}": GOAL_STATUSES,
    "label.{}": WEAKNESS_LABELS,
    "cadence.{}": INDICATOR_CADENCES,  # a city indicator's cadence
    "ui.cadence.{}": CADENCES,  # a series' cadence
    "role.{}": accounts.ROLES,
    "ui.lang.{}": LANGS,
    "ui.month.{}": tuple(range(1, 13)),
    "ui.forum.phase_{}": PHASES,
    "change.{}": signals.CHANGE_KINDS,  # focus_signals.change_kind
    "flag.{}": signals.FLAG_NAMES,  # a figure's flags, each with its one-line explanation
    "flag.{}_help": signals.FLAG_NAMES,
    "forum.field.{}": forum.LABELLED,  # a field of a forum event's data, named by its label
    "ui.forum.log_{}": _call_literals(ROOT / "pipelines" / "build" / "forum.py", "_log", 2),  # action_log.kind
}
# Strings shaped like a key that are not one: forum event types and analysis setting names.
NOT_KEYS = set(forum.EVENT_TYPES) | {
    "goal.trend_editions", "goal.min_trend_editions",
}
KEY_SHAPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
FILE_NAME = re.compile(r".*\.(csv|json|yml|yaml|sql|py|html|ics|xlsx|duckdb|md|txt)")


def _catalogue(path: Path) -> dict[str, dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


PIPELINE = _catalogue(MESSAGES_FILE)
DASHBOARD = _catalogue(DASHBOARD_FILE)
ALL = PIPELINE | DASHBOARD
NAMESPACES = {k.split(".")[0] for k in ALL}


def _pattern(node: ast.AST) -> str | None:
    """f"ui.col.{key}" or "role." + x as "ui.col.{}" / "role.{}"; None for any other expression."""
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant) \
            and isinstance(node.left.value, str):
        return node.left.value + PLACEHOLDER
    return None


def _placeholder_name(node: ast.AST) -> str | None:
    """The variable an f-string key is built from, where it is a single plain name."""
    if isinstance(node, ast.JoinedStr):
        names = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        return names[0].id if len(names) == 1 and isinstance(names[0], ast.Name) else None
    if isinstance(node, ast.BinOp):
        return node.right.id if isinstance(node.right, ast.Name) else None
    return None


def _looks_like_key(text: str) -> bool:
    return bool(KEY_SHAPE.fullmatch(text)) and text.split(".")[0] in NAMESPACES and text not in NOT_KEYS \
        and not FILE_NAME.fullmatch(text)


def _is_key_pattern(pattern: str) -> bool:
    head = pattern.split(PLACEHOLDER)[0]
    return "." in head and head.split(".")[0] in NAMESPACES and bool(re.fullmatch(r"[a-z0-9_.]+", head))


def _literal(expr: ast.AST, tree: ast.Module) -> tuple | None:
    """The values of a literal tuple or list, or the keys of a literal dict `name` iterates (`name.items()`)."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("items", "keys") \
            and isinstance(expr.func.value, ast.Name):
        found = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                 and any(getattr(target, "id", None) == expr.func.value.id for target in node.targets)]
        if len(found) == 1 and all(isinstance(k, ast.Constant) for k in found[0].keys):
            return tuple(k.value for k in found[0].keys)
        return None
    try:
        return tuple(ast.literal_eval(expr))
    except (ValueError, TypeError, SyntaxError):
        return None


def _column(expr: ast.AST, i: int) -> tuple | None:
    """Item `i` of each row of a literal sequence of tuples whose item `i` is a constant: (("weight", x), ...)."""
    if not isinstance(expr, (ast.Tuple, ast.List)):
        return None
    rows = [row.elts[i] if isinstance(row, ast.Tuple) and i < len(row.elts) else None for row in expr.elts]
    return tuple(r.value for r in rows) if rows and all(isinstance(r, ast.Constant) for r in rows) else None


def _literal_values(loop: ast.AST, name: str, tree: ast.Module) -> tuple | None:
    """The values `name` takes in `for name in <literal>`, `for name, x in <literal rows>`,
    `for name, x in <dict>.items()` or `for a, name in zip(x, <literal>)`; else None."""
    target, iterable = loop.target, loop.iter
    if isinstance(target, ast.Name) and target.id == name:
        return _literal(iterable, tree)
    if isinstance(target, ast.Tuple):
        names = [e.id if isinstance(e, ast.Name) else None for e in target.elts]
        if name not in names:
            return None
        i = names.index(name)
        if isinstance(iterable, ast.Call) and getattr(iterable.func, "id", None) == "zip" and i < len(iterable.args):
            return _literal(iterable.args[i], tree)
        if i == 0 and isinstance(iterable, ast.Call):
            return _literal(iterable, tree)  # for key, value in <dict>.items()
        return _column(iterable, i)
    return None


class _Uses:
    """Every message key a set of files uses, and every dynamic key pattern it could not resolve."""

    def __init__(self) -> None:
        self.keys: dict[str, set[str]] = defaultdict(set)  # key -> files using it
        self.unresolved: dict[str, set[str]] = defaultdict(set)  # pattern -> files

    def python(self, path: Path) -> None:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        where = str(path.relative_to(ROOT))
        helpers = self._helpers(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and not isinstance(
                    parents.get(node), ast.JoinedStr) and not self._is_prefix(node, parents):
                if node.value in ALL or _looks_like_key(node.value):
                    self.keys[node.value].add(where)
            pattern = _pattern(node)
            if pattern is None or not _is_key_pattern(pattern):
                continue
            name = _placeholder_name(node)
            values = self._loop_values(node, name, parents, tree)
            if values is None and name is not None:
                values = self._helper_values(tree, helpers, node, name, parents)
            if values is None and pattern in FAMILIES:
                values = FAMILIES[pattern]
            if values is None:
                self.unresolved[pattern].add(where)
                continue
            for value in values:
                self.keys[pattern.replace(PLACEHOLDER, str(value))].add(where)

    def sql(self, path: Path) -> None:
        code = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))  # an apostrophe in a comment is no quote
        for text in re.findall(r"'([^']*)'", code):
            if text in ALL or _looks_like_key(text):
                self.keys[text].add(str(path.relative_to(ROOT)))

    @staticmethod
    def _is_prefix(node: ast.Constant, parents: dict) -> bool:
        parent = parents.get(node)
        return isinstance(parent, ast.BinOp) and parent.left is node and _pattern(parent) is not None

    @staticmethod
    def _loop_values(node: ast.AST, name: str | None, parents: dict, tree: ast.Module) -> tuple | None:
        current = node
        while name is not None and current in parents:
            current = parents[current]
            generators = current.generators if isinstance(current, (ast.ListComp, ast.SetComp, ast.DictComp,
                                                                    ast.GeneratorExp)) else []
            for loop in [*generators, *([current] if isinstance(current, ast.For) else [])]:
                values = _literal_values(loop, name, tree)
                if values is not None:
                    return values
        return None

    @staticmethod
    def _helpers(tree: ast.Module) -> dict[str, tuple[str, int]]:
        """Functions that turn one argument into a key, e.g. `def col(key): return t(f"ui.col.{key}", lang)`."""
        out = {}
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for node in ast.walk(fn):
                pattern, name = _pattern(node), _placeholder_name(node)
                if pattern and name in params and _is_key_pattern(pattern):
                    out[fn.name] = (name, params.index(name))
        return out

    @staticmethod
    def _helper_values(tree, helpers, node, name, parents) -> tuple | None:
        fn = node
        while fn in parents and not isinstance(fn, ast.FunctionDef):
            fn = parents[fn]
        if not isinstance(fn, ast.FunctionDef) or helpers.get(fn.name, (None,))[0] != name:
            return None
        index = helpers[fn.name][1]
        values = []
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == fn.name:
                args = [*call.args[index:index + 1], *(k.value for k in call.keywords if k.arg == name)]
                if args and isinstance(args[0], ast.Constant):
                    values.append(args[0].value)
                    continue
                looped = _Uses._loop_values(call, args[0].id, parents, tree) \
                    if args and isinstance(args[0], ast.Name) else None
                if looped is None:
                    return None  # a helper called with a computed value: its family must be declared
                values.extend(looped)
        return tuple(values)


@cache
def _uses() -> tuple[_Uses, _Uses]:
    """Uses in pipelines/ (code and SQL), and in dashboard/."""
    pipeline, dashboard = _Uses(), _Uses()
    for path in sorted((ROOT / "pipelines").rglob("*.py")):
        pipeline.python(path)
    for path in sorted((ROOT / "pipelines").rglob("*.sql")):
        pipeline.sql(path)
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        dashboard.python(path)
    assert len(pipeline.keys) > 100 and len(dashboard.keys) > 300, "the scan found too few keys to be right"
    return pipeline, dashboard


def _texts(entry: dict, lang: str) -> list[str]:
    text = entry.get(lang)
    return list(text.values()) if isinstance(text, dict) else [text]


def _fields(text: str) -> set[str]:
    return {re.split(r"[.\[]", name)[0] for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_the_code_uses_is_defined(lang):
    pipeline, dashboard = _uses()
    missing = sorted(f"{k} ({', '.join(sorted(pipeline.keys[k]))})" for k in pipeline.keys
                     if not _texts(PIPELINE.get(k, {}), lang)[0])
    missing += sorted(f"{k} ({', '.join(sorted(dashboard.keys[k]))})" for k in dashboard.keys
                      if not _texts(ALL.get(k, {}), lang)[0])
    assert not missing, f"used in code, missing in the {lang} catalogue: {missing}"


def test_every_dynamic_key_is_resolved():
    pipeline, dashboard = _uses()
    unresolved = {p: sorted(files) for uses in (pipeline, dashboard) for p, files in uses.unresolved.items()}
    assert not unresolved, f"keys built from values this test cannot list; declare them in FAMILIES: {unresolved}"


def test_every_defined_key_is_used():
    pipeline, dashboard = _uses()
    used = set(pipeline.keys) | set(dashboard.keys)
    unused = sorted(set(ALL) - used)
    assert not unused, f"defined but never used: {unused}"


def test_each_message_lives_with_who_shows_it():
    pipeline, dashboard = _uses()
    both_files = sorted(set(PIPELINE) & set(DASHBOARD))
    assert not both_files, f"defined in both files: {both_files}"
    in_dashboard_file = sorted(k for k in pipeline.keys if k in DASHBOARD)
    assert not in_dashboard_file, f"used by pipelines/, defined in dashboard/messages.yml: {in_dashboard_file}"
    dashboard_only = sorted(k for k in PIPELINE if k in dashboard.keys and k not in pipeline.keys)
    assert not dashboard_only, f"only the dashboard shows these; move them to dashboard/messages.yml: {dashboard_only}"


@pytest.mark.parametrize("path", [MESSAGES_FILE, DASHBOARD_FILE], ids=["pipeline", "dashboard"])
def test_both_languages_and_the_same_placeholders(path):
    messages = _catalogue(path)
    assert len(messages) > 100
    wrong = []
    for key, entry in messages.items():
        assert set(entry) <= {*LANGS, "plural"}, (key, entry)
        fields = {lang: [_fields(text) for text in _texts(entry, lang)] for lang in LANGS}
        if any(not text or not text.strip() for lang in LANGS for text in _texts(entry, lang)):
            wrong.append(f"{key}: empty")
        every = [f for lang in LANGS for f in fields[lang]]
        if any(f != every[0] for f in every):
            wrong.append(f"{key}: {fields}")
    assert not wrong, wrong


@pytest.mark.parametrize("path", [MESSAGES_FILE, DASHBOARD_FILE], ids=["pipeline", "dashboard"])
def test_plural_messages_have_every_form_their_language_needs(path):
    messages = _catalogue(path)
    plurals = {k: v for k, v in messages.items() if "plural" in v}
    wrong = []
    for key, entry in plurals.items():
        for lang in LANGS:
            text = entry[lang]
            forms = set(text) if isinstance(text, dict) else {"other"}
            if forms != plural_forms(lang):
                wrong.append(f"{key} [{lang}]: forms {sorted(forms)}, the language has {sorted(plural_forms(lang))}")
            if entry["plural"] not in set.union(*[_fields(t) for t in _texts(entry, lang)]):
                wrong.append(f"{key} [{lang}]: the count '{entry['plural']}' is not a placeholder")
    assert not wrong, wrong
    hand_made = [k for k in messages if re.search(r"_(one|other|few|many|plural)$", k)]
    assert not hand_made, f"plurals by key name; use a `plural:` entry instead: {hand_made}"
    either = [k for k, v in messages.items() if any(re.search(r"\{\w+\}[^{}]*\w\(s\)", text) for text in _texts(v, "en"))]
    assert not either, f"a count followed by 'noun(s)'; use a `plural:` entry instead: {either}"


def test_the_same_translation_is_one_key():
    groups = defaultdict(list)
    for key, entry in ALL.items():
        groups[tuple(str(entry.get(lang)) for lang in LANGS)].append(key)
    repeated = {texts: keys for texts, keys in groups.items() if len(keys) > 1}
    assert not repeated, f"the same words under several keys: {sorted(repeated.values())}"


def test_plural_forms_follow_each_language():
    from dashboard.text import t

    assert plural_forms("en") == {"one", "other"} and plural_forms("ko") == {"other"}
    assert [t("ui.places", "en", n=n) for n in (0, 1, 2)] == ["0 places", "1 place", "2 places"]
    assert t("ui.places", "ko", n=1) == t("ui.places", "ko", n=2).replace("2", "1") == "1계단"


def test_a_value_said_in_both_languages_shows_in_each():
    from pipelines.catalogue import Text
    from pipelines.messages import bilingual, both, t

    ko, en = both("upload.below_min", value="-1", limit=0, unit=Text(ko="명", en="persons")).split(" / ")
    assert "단위 명" in ko and "unit persons" in en and "persons" not in ko
    cadence = bilingual("cadence.quarterly")
    shown = {lang: t("upload.bad_period", lang, value="2024", cadence=cadence, example="2024-Q3") for lang in LANGS}
    assert cadence.ko in shown["ko"] and cadence.en in shown["en"] and cadence.en not in shown["ko"]
