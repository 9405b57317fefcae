"""The one catalogue of user-facing strings, Korean first and English beside it."""

from __future__ import annotations

DEFAULT_LANG = "ko"
LANGS = ("ko", "en")

# Each entry: key -> {"ko": ..., "en": ...}; placeholders use str.format names.
MESSAGES: dict[str, dict[str, str]] = {
    # --- validation problems (pipeline and uploads) ---
    "problem.location": {
        "ko": "{file} {row}행 '{column}' 열",
        "en": "{file} row {row}, column '{column}'",
    },
    "problem.location_file": {"ko": "{file}", "en": "{file}"},
    "problem.location_column": {"ko": "{file} '{column}' 열", "en": "{file}, column '{column}'"},
    "check.not_a_whole_number": {
        "ko": "정수가 아닙니다: '{value}'. 1, 2, 3 같은 숫자만 적으세요.",
        "en": "not a whole number: '{value}'. Write a plain number such as 1, 2, 3.",
    },
    "check.not_a_number": {
        "ko": "숫자가 아닙니다: '{value}'. 숫자만 적으세요 (예: 1234.5).",
        "en": "not a number: '{value}'. Write a number only (e.g. 1234.5).",
    },
    "check.missing_value": {
        "ko": "값이 비어 있습니다. 이 열은 반드시 채워야 합니다.",
        "en": "the value is empty; this column is required.",
    },
    "check.too_small": {
        "ko": "값 '{value}'이(가) 너무 작습니다 (최소 {limit}).",
        "en": "value '{value}' is too small (minimum {limit}).",
    },
    "check.too_large": {
        "ko": "값 '{value}'이(가) 너무 큽니다 (최대 {limit}).",
        "en": "value '{value}' is too large (maximum {limit}).",
    },
    "check.not_allowed": {
        "ko": "허용되지 않는 값: '{value}'. 가능한 값: {allowed}.",
        "en": "value '{value}' is not allowed. Allowed: {allowed}.",
    },
    "check.bad_format": {
        "ko": "형식이 맞지 않습니다: '{value}' ({expected}).",
        "en": "wrong format: '{value}' (expected {expected}).",
    },
    "check.duplicate_key": {
        "ko": "같은 키({columns})가 두 번 이상 나옵니다. 한 행만 남기세요.",
        "en": "the key ({columns}) appears more than once; keep one row.",
    },
    "check.missing_column": {
        "ko": "필수 열 '{value}'이(가) 없습니다.",
        "en": "required column '{value}' is missing.",
    },
    "check.unknown_column": {
        "ko": "알 수 없는 열 '{value}'이(가) 있습니다. 열 이름을 확인하세요.",
        "en": "unknown column '{value}'; check the column names.",
    },
    "check.rank_status": {
        "ko": "순위와 상태가 맞지 않습니다: 순위가 있으면 상태는 'ranked', 순위가 없으면 다른 상태여야 합니다 (상태 '{value}').",
        "en": "rank and status disagree: a row with a rank has status 'ranked', a row without one another status (status '{value}').",
    },
    "check.rank_or_score": {
        "ko": "순위와 점수가 모두 비어 있습니다. 둘 중 하나는 있어야 합니다.",
        "en": "both rank and score are empty; give at least one.",
    },
    "check.url": {
        "ko": "출처 URL이 http(s)로 시작하지 않습니다: '{value}'.",
        "en": "the source URL does not start with http(s): '{value}'.",
    },
    "check.date": {
        "ko": "날짜 형식이 아닙니다: '{value}' (YYYY-MM-DD).",
        "en": "not a date: '{value}' (YYYY-MM-DD).",
    },
    "check.month": {
        "ko": "연월 형식이 아닙니다: '{value}' (YYYY-MM).",
        "en": "not a year-month: '{value}' (YYYY-MM).",
    },
    "check.failed": {
        "ko": "검사 '{check}' 실패: '{value}'.",
        "en": "check '{check}' failed: '{value}'.",
    },
    "check.unmapped_city": {
        "ko": "도시 이름 '{value}'을(를) 도시 목록(data/raw/cities.csv)에서 찾을 수 없습니다. 목록에 도시나 별칭을 추가하세요.",
        "en": "city '{value}' is not in the city mapping (data/raw/cities.csv); add the city or an alias there.",
    },
    "check.ambiguous_city": {
        "ko": "도시 이름 또는 별칭 '{value}'이(가) 도시 목록에 두 번 이상 나옵니다.",
        "en": "city name or alias '{value}' appears more than once in the city mapping.",
    },
    "check.unknown_edition": {
        "ko": "판 '{value}'이(가) editions.csv에 없습니다. 판 정보(연도, 발표월)를 먼저 추가하세요.",
        "en": "edition '{value}' is not in editions.csv; add the edition (year, month published) there first.",
    },
    "check.unknown_component": {
        "ko": "구성요소 '{value}'이(가) indicators.yml의 이 지수 구성요소에 없습니다.",
        "en": "component '{value}' is not a component of this series in indicators.yml.",
    },
    "check.unknown_series": {
        "ko": "지수 '{value}'이(가) indicators.yml에 없습니다.",
        "en": "series '{value}' is not in indicators.yml.",
    },
    "check.component_conflict": {
        "ko": "같은 판·도시·구성요소에 서로 다른 {measure} 값이 있습니다: {value}.",
        "en": "conflicting {measure} values for the same edition, city and component: {value}.",
    },
    "check.unreadable_csv": {
        "ko": "CSV 파일을 읽을 수 없습니다: {value}",
        "en": "cannot read the CSV file: {value}",
    },
    # --- catalogue ---
    "catalogue.unknown_key": {
        "ko": "{file}: '{path}'에 알 수 없는 키 '{name}'이(가) 있습니다. 가능한 키: {allowed}.",
        "en": "{file}: unknown key '{name}' at '{path}'. Allowed keys: {allowed}.",
    },
    "catalogue.missing_key": {
        "ko": "{file}: '{path}'에 필수 키 '{name}'이(가) 없습니다.",
        "en": "{file}: required key '{name}' is missing at '{path}'.",
    },
    "catalogue.bad_value": {
        "ko": "{file}: '{path}' 값이 올바르지 않습니다: {detail}.",
        "en": "{file}: bad value at '{path}': {detail}.",
    },
    "catalogue.missing_file": {
        "ko": "{file}: '{path}'가 가리키는 파일 '{target}'이(가) 없습니다.",
        "en": "{file}: the file '{target}' named at '{path}' does not exist.",
    },
    "catalogue.unknown_ref": {
        "ko": "{file}: '{path}'의 '{value}'이(가) {kind} 목록에 없습니다.",
        "en": "{file}: '{value}' at '{path}' is not a known {kind}.",
    },
    "catalogue.not_found": {
        "ko": "카탈로그 파일 '{file}'이(가) 없습니다.",
        "en": "catalogue file '{file}' does not exist.",
    },
    "catalogue.yaml_error": {
        "ko": "{file}: YAML 문법 오류: {detail}",
        "en": "{file}: YAML syntax error: {detail}",
    },
    # --- command line ---
    "cli.check_ok": {
        "ko": "검사 통과: 지수 {series}개, 순위 {rankings}행, 구성요소 {components}행, 도시 {cities}곳. 기록한 것은 없습니다.",
        "en": "Check passed: {series} series, {rankings} ranking rows, {components} component rows, {cities} cities. Nothing was written.",
    },
    "cli.problems": {
        "ko": "문제 {count}건을 찾았습니다. 데이터 웨어하우스는 바뀌지 않았습니다.",
        "en": "Found {count} problem(s). The warehouse was not changed.",
    },
    "cli.build_ok": {
        "ko": "웨어하우스를 만들었습니다: {path} (순위 {rankings}행, 구성요소 {components}행, {seconds:.2f}초)",
        "en": "Built the warehouse: {path} ({rankings} ranking rows, {components} component rows, {seconds:.2f}s)",
    },
    "cli.no_warehouse": {
        "ko": "웨어하우스 {path}이(가) 없습니다. 먼저 'cityidx build'를 실행하세요.",
        "en": "No warehouse at {path}; run 'cityidx build' first.",
    },
    # --- shared labels (dashboard and CLI) ---
    "status.ranked": {"ko": "순위 발표", "en": "ranked"},
    "status.outside_list": {"ko": "발표 목록 밖", "en": "outside the published list"},
    "status.not_covered": {"ko": "평가 대상 아님", "en": "not covered this edition"},
    "status.not_published": {"ko": "순위 비공개", "en": "rank not published"},
    "status.rank_unknown": {"ko": "목록 내 순위 미상", "en": "in the list, position not given"},
    "status.not_found": {"ko": "자료 없음", "en": "not found"},
    "status.no_edition": {"ko": "수록된 판 없음", "en": "no edition loaded"},
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the message `key` in `lang`, filled with `values`."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def both(key: str, **values: object) -> str:
    """Return the message in Korean and English, for logs and the command line."""
    return f"{t(key, 'ko', **values)} / {t(key, 'en', **values)}"
