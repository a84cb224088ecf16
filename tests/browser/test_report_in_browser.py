"""The HTML report opened in headless Chromium: every section and chart renders, no table makes
the page wider than 1280 px, and the Chinese report has no untranslated header.

Needs Debian's ``chromium`` (``apt-get install chromium fonts-noto-cjk``). Outside CI the test is
skipped when the browser is missing; in CI (``CI`` set) a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

import useropslib as uo
from useropslib.report import SECTION_KEYS, operations_report

pytest.importorskip("matplotlib")

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
_WIDTH = 1280

# filled in by the browser after layout: what a person would see is wrong
_PROBE = """
<script>
window.addEventListener("load", () => {
  const page = document.documentElement;
  const out = {
    viewport: window.innerWidth,
    pageWidth: page.scrollWidth,
    sections: [...document.querySelectorAll("section")].map(s => ({
      key: s.dataset.key, height: s.getBoundingClientRect().height,
      note: !!s.querySelector(".note")})),
    images: [...document.querySelectorAll("img")].map(i => ({
      ok: i.complete && i.naturalWidth > 0, width: i.getBoundingClientRect().width})),
    tables: [...document.querySelectorAll(".table-wrap")].map(w => ({
      right: w.getBoundingClientRect().right, scrolls: w.scrollWidth > w.clientWidth})),
    headers: [...document.querySelectorAll("th")].map(t => t.textContent),
    charts: Object.fromEntries([...document.querySelectorAll("section")].map(s => [
      s.dataset.key, [...s.querySelectorAll("img")].map(i => ({
        ok: i.complete && i.naturalWidth > 0, width: i.getBoundingClientRect().width}))])),
  };
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""

KNOWN_HEADERS = {
    "metric", "value", "event", "events", "users", "share of users", "week starting",
    "active users", "new users", "incomplete", "month", "active", "new", "retained",
    "resurrected", "churned", "net change", "quick ratio", "churn rate", "cohort",
    "cohort size", "step", "conversion", "step conversion", "drop-off", "days silent",
    "silences", "returned", "censored", "return rate", "days", "at risk", "survival", "lower",
    "upper", "channel", "sent", "delivered", "opened", "clicked", "delivery rate", "open rate",
    "click rate", "segment", "customers", "share", "attribute", "level", "convention",
    "choice", "meaning", "revenue",
}  # fmt: skip


def _browser() -> str:
    for name in _BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    message = "no Chromium found (Debian: apt-get install chromium fonts-noto-cjk)"
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the browser test: {message}")
    pytest.skip(message)


def _run(browser: str, tmp: pathlib.Path, page: pathlib.Path, *extra: str) -> str:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={_WIDTH},900",
        "--virtual-time-budget=5000",
        *extra,
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _probe(browser: str, tmp: pathlib.Path, html: pathlib.Path) -> dict[str, object]:
    probed = tmp / f"probe-{html.name}"
    probed.write_text(
        html.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8"
    )
    dom = _run(browser, tmp, probed, "--dump-dom")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, "the probe did not run"
    import html as html_mod

    out: dict[str, object] = json.loads(html_mod.unescape(found.group(1)))
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("reports")
    data = uo.datasets.synthetic(n_users=2500, days=100, seed=5)
    for lang in ("en", "zh"):
        rep = operations_report(
            data.events,
            users=data.users,
            funnel_steps=uo.datasets.ONBOARDING_STEPS,
            activity_events=["app_open"],
            lang=lang,  # type: ignore[arg-type]
        )
        rep.write(out)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["report.html", "report.zh.html"])
def test_report_renders_in_chromium(
    reports: pathlib.Path, tmp_path: pathlib.Path, name: str
) -> None:
    browser = _browser()
    probe = _probe(browser, tmp_path, reports / name)
    sections = probe["sections"]
    assert isinstance(sections, list)
    keys = [s["key"] for s in sections]
    for key in SECTION_KEYS:
        assert key in keys, f"section {key} missing"
    assert all(s["height"] > 20 for s in sections)
    assert not [s["key"] for s in sections if s["note"]], "a section was not computed"
    images = probe["images"]
    assert isinstance(images, list)
    assert len(images) >= 9
    assert all(i["ok"] for i in images), "a chart did not render"
    assert all(i["width"] <= _WIDTH for i in images)
    # no table widens the page: wide tables scroll inside their box
    assert probe["pageWidth"] <= probe["viewport"]
    tables = probe["tables"]
    assert isinstance(tables, list)
    assert all(t["right"] <= _WIDTH for t in tables)
    headers = probe["headers"]
    assert isinstance(headers, list)
    if name == "report.zh.html":
        untranslated = sorted(set(headers) & KNOWN_HEADERS)
        assert not untranslated, f"untranslated headers: {untranslated}"
    shot = tmp_path / f"{name}.png"
    _run(browser, tmp_path, reports / name, f"--screenshot={shot}")
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("USEROPSLIB_SCREENSHOTS")
    if keep:
        pathlib.Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, pathlib.Path(keep) / shot.name)


CAMPAIGN_KEYS = {
    "holdout": [
        "campaign-goal", "campaign-lift", "campaign-cost", "campaign-funnel",
        "campaign-participation", "campaign-quality", "campaign-findings",
        "campaign-conventions",
    ],
    "none": [
        "campaign-goal", "campaign-counterfactual", "campaign-funnel", "campaign-participation",
        "campaign-lasting", "campaign-quality", "campaign-findings", "campaign-conventions",
    ],
}  # fmt: skip
CAMPAIGN_CHARTS = {
    "holdout": ["campaign-goal", "campaign-lift", "campaign-funnel", "campaign-participation",
                "campaign-quality"],
    "none": ["campaign-goal", "campaign-counterfactual", "campaign-funnel",
             "campaign-participation", "campaign-quality"],
}  # fmt: skip
# the campaign sections' English headers that must not show in the Chinese report
CAMPAIGN_HEADERS = {
    "goal", "role", "lift", "CI low", "CI high", "p-value", "adjusted p", "chance to win",
    "stage", "users", "step conversion", "drop-off", "convention", "group",
}  # fmt: skip


@pytest.fixture(scope="module")
def campaign_reports(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    from useropslib.report import Report, campaign_sections, log_report

    out = tmp_path_factory.mktemp("campaign-reports")
    for control in ("holdout", "none"):
        data = uo.datasets.synthetic_campaign(
            n_users=3000,
            lift=0.4,
            control=control,
            after_days=28,
            seed=3,  # type: ignore[arg-type]
        )
        rv = uo.campaigns.review(data.campaign, data.log, after_days=14)
        for lang in ("en", "zh"):
            base = log_report(data.log, lang=lang)  # type: ignore[arg-type]
            rep = Report(base.title, base.sections, lang=lang).with_sections(  # type: ignore[arg-type]
                *campaign_sections(rv, lang=lang)  # type: ignore[arg-type]
            )
            rep.write(out, stem=f"campaign-{control}" + ("" if lang == "en" else ".zh"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("control", ["holdout", "none"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_campaign_sections_render_in_chromium(
    campaign_reports: pathlib.Path, tmp_path: pathlib.Path, control: str, lang: str
) -> None:
    browser = _browser()
    name = f"campaign-{control}" + ("" if lang == "en" else ".zh") + ".html"
    html = campaign_reports / name
    probe = _probe(browser, tmp_path, html)
    sections = probe["sections"]
    assert isinstance(sections, list)
    keys = [s["key"] for s in sections]
    for key in CAMPAIGN_KEYS[control]:
        assert key in keys, f"campaign section {key} missing"
    assert not [s["key"] for s in sections if s["note"]], "a campaign section was not computed"
    # every campaign chart is decoded by the browser and fits the page
    charts = probe["charts"]
    assert isinstance(charts, dict)
    for key in CAMPAIGN_CHARTS[control]:
        assert charts.get(key), f"no chart in {key}"
        assert all(c["ok"] for c in charts[key]), f"a chart of {key} did not render"
        assert all(0 < c["width"] <= _WIDTH for c in charts[key])
    assert probe["pageWidth"] <= probe["viewport"]
    tables = probe["tables"]
    assert isinstance(tables, list)
    assert all(t["right"] <= _WIDTH for t in tables)
    if lang == "zh":
        headers = probe["headers"]
        assert isinstance(headers, list)
        untranslated = sorted(set(headers) & (KNOWN_HEADERS | CAMPAIGN_HEADERS))
        assert not untranslated, f"untranslated headers: {untranslated}"
    shot = tmp_path / f"{name}.png"
    _run(browser, tmp_path, html, f"--screenshot={shot}", "--window-size=1280,6000")
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("USEROPSLIB_SCREENSHOTS")
    if keep:
        pathlib.Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, pathlib.Path(keep) / shot.name)
