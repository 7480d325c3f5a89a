"""The report in a real browser: Debian's chromium driven by Playwright (no browser download).

The page must load with no request but itself, no console error and no
dialog; the hostile names show as text; tables sort and filter with a click;
the charts have size. A screenshot is kept under the test's tmp dir and in
tests/reports/artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.reports.conftest import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "chromium is not installed (scripts/sysdeps.sh test installs it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Loaded:
    def __init__(self, page: Page, requests: list[str], errors: list[str], dialogs: list[str]) -> None:
        self.page, self.requests, self.errors, self.dialogs = page, requests, errors, dialogs


@pytest.fixture(scope="module")
def loaded(browser: Browser, report_html: Path) -> Iterator[Loaded]:
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    me = report_html.resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []

    def route(r: Any) -> None:
        if r.request.url != me:
            requests.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(me, wait_until="load")
    page.wait_for_timeout(300)
    yield Loaded(page, requests, errors, dialogs)
    page.close()


def test_the_page_loads_with_no_request_no_console_error_and_no_dialog(loaded: Loaded) -> None:
    assert loaded.requests == []
    assert loaded.errors == []
    assert loaded.dialogs == []
    assert loaded.page.title() == "Triage report: case CASE-001"


def test_hostile_names_are_shown_as_text(loaded: Loaded) -> None:
    page = loaded.page
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1
    table = page.locator("#t-notable")
    table.scroll_into_view_if_needed()
    text = table.inner_text()
    assert "/<img src=x onerror=alert(1)>.txt" in text
    assert "/<script>" in text
    assert loaded.dialogs == []


def _column(page: Page, table: str, col: int) -> list[str]:
    return page.eval_on_selector_all(f"#{table} tbody tr:not([hidden])",
                                     f"rows => rows.map(r => r.cells[{col}].textContent)")


def test_tables_sort_and_filter_with_a_click(loaded: Loaded) -> None:
    page = loaded.page
    drill = page.locator("details.drill", has=page.locator("#t-email"))
    if not drill.evaluate("d => d.open"):
        drill.locator("summary").click()
    head = page.locator("#t-email thead th").nth(4)    # offset
    before = _column(page, "t-email", 4)
    head.click()
    asc = _column(page, "t-email", 4)
    nums = [float(x.replace(",", "")) for x in asc if x]
    assert nums == sorted(nums) and len(nums) > 5
    assert head.get_attribute("aria-sort") == "ascending"
    head.click()
    desc = [float(x.replace(",", "")) for x in _column(page, "t-email", 4) if x]
    assert desc == sorted(nums, reverse=True)
    assert sorted(before) == sorted(asc)               # same rows, new order
    box = page.locator("#t-email input.filter")
    box.fill("hostile")
    exhibits = _column(page, "t-email", 1)
    assert exhibits and set(exhibits) == {"hostile"}
    box.fill("")
    assert len(_column(page, "t-email", 1)) == len(before)


def test_charts_render_with_size(loaded: Loaded) -> None:
    page = loaded.page
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 30
    bars = page.locator("#chart-findings svg rect")
    assert bars.count() > 20
    assert bars.first.bounding_box()["width"] > 0   # type: ignore[index]


def test_a_screenshot_is_kept(loaded: Loaded, tmp_path: Path) -> None:
    page = loaded.page
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    verdict = tmp_path / "report-verdict.png"
    page.locator("#verdict").screenshot(path=str(verdict))
    charts = tmp_path / "report-charts.png"
    page.locator("#chart-findings").screenshot(path=str(charts))
    for p in (shot, verdict, charts):
        assert p.stat().st_size > 10_000 and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACTS.mkdir(exist_ok=True)
    for p in (shot, verdict, charts):
        shutil.copyfile(p, ARTIFACTS / p.name)


def test_the_page_reads_the_same_with_scripts_off(browser: Browser, report_html: Path) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1300, "height": 1000})
    try:
        page = context.new_page()
        page.goto(report_html.resolve().as_uri(), wait_until="load")
        assert page.locator("input.filter").count() == 0          # the script adds them; nothing else needs it
        assert page.locator("#t-notable tbody tr").count() == 2
        assert page.locator("#key-findings li[id^=kf-]").count() > 5
        assert page.locator("#t-email tbody tr").first.is_visible()
        box = page.locator("#chart-types svg").bounding_box()
        assert box is not None and box["width"] > 100
    finally:
        context.close()
