"""The report's paths section opened in headless Chromium, in English and Chinese.

Its four sections render without a note, its two charts (session length, transition flow) load
and fit the page, no table widens the page, and the Chinese section shows no English header.
Reuses the browser helpers of test_report_in_browser.py (same skip rule when Chromium is absent).
"""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

import useropslib as uo
from useropslib.report import operations_report

pytest.importorskip("matplotlib")

# the browser helpers of the report's browser test (pytest imports test files by path)
_spec = importlib.util.spec_from_file_location(
    "report_browser_helpers", pathlib.Path(__file__).with_name("test_report_in_browser.py")
)
assert _spec is not None
assert _spec.loader is not None
_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helpers)
_WIDTH, _browser, _probe = _helpers._WIDTH, _helpers._browser, _helpers._probe

PATHS_KEYS = ["paths", "paths-lengths", "paths-transitions", "paths-top"]
ENGLISH_HEADERS = {
    "sessions", "sessions per user", "events per session", "median length", "bounce rate",
    "length", "next event", "transitions", "share of transitions", "mean time", "path", "paths",
}  # fmt: skip


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("paths-report")
    data = uo.datasets.synthetic(n_users=1500, days=60, seed=8)
    for lang in ("en", "zh"):
        rep = operations_report(
            data.events,
            funnel_steps=uo.datasets.ONBOARDING_STEPS,
            lang=lang,  # type: ignore[arg-type]
        )
        rep.save(out / f"report.{lang}.html")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_paths_section_renders_in_chromium(
    pages: pathlib.Path, tmp_path: pathlib.Path, lang: str
) -> None:
    browser = _browser()
    probe = _probe(browser, tmp_path, pages / f"report.{lang}.html")
    sections = probe["sections"]
    assert isinstance(sections, list)
    keys = [s["key"] for s in sections]
    at = keys.index("paths")
    assert keys[at : at + 4] == PATHS_KEYS, "the paths sections are missing or out of order"
    shown = [s for s in sections if s["key"] in PATHS_KEYS]
    assert all(s["height"] > 40 and not s["note"] for s in shown)
    images = probe["images"]
    assert isinstance(images, list)
    assert all(i["ok"] and i["width"] <= _WIDTH for i in images), "a chart did not render"
    assert probe["pageWidth"] <= probe["viewport"]
    headers = probe["headers"]
    assert isinstance(headers, list)
    if lang == "zh":
        assert not sorted(set(headers) & ENGLISH_HEADERS), "untranslated paths headers"
        assert {"人均会话数", "跳出率", "转移次数", "路径数"} <= set(headers)
    else:
        assert {"sessions per user", "bounce rate", "transitions", "paths"} <= set(headers)
