"""The report in a real browser: Debian's Chromium, driven by Playwright, opens ``report.html`` from ``file://``.

Checked: no console error and no failed request; every ``<audio>`` element loads (a duration > 0); a click on
a point of the latent map puts that song in the player and starts playback, then its reconstruction is
queued; hovering names the song; the legend hides a genre; the screenshot is written. The report is the one
the demo's last step makes (players, map, t-SNE, new music), on the tiny store so that it is quick
(``tiny_report``); the odd stores' reports (one genre and no test split; songs shorter than a segment) are
opened too.

Set ``GENMUSIC_REPORT=<report folder>`` (e.g. ``reports/analysis`` after ``make demo``) to run the first test
on that report instead, made with ``--input``; its screenshot is written to the test's temporary folder
(the path is printed), never into the report.

Skips, saying why, where Playwright or a Chromium binary is missing (``apt-get install chromium``; set
``GENMUSIC_CHROMIUM`` to use another binary). Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


CHROMIUM = os.environ.get("GENMUSIC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
#: Headless, offline, and allowed to play sound without a user's gesture.
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]
TIMEOUT_MS = 60_000  # generous: the machine may be busy; nothing here measures speed


if not CHROMIUM:  # before any report is built
    pytest.skip("no Chromium found (apt-get install chromium, or set GENMUSIC_CHROMIUM=/path/to/chromium): the "
                "report's browser test did not run", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e "
                                                             "'.[test]'): the report's browser test did not run")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A report opened from file://, with every console error, page error and failed request it causes."""

    def __init__(self, browser, html: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.page.set_default_timeout(TIMEOUT_MS)
        self.problems = []
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} ({r.failure})"))
        self.page.goto(html.resolve().as_uri())

    def audio_states(self) -> list:
        """[src, duration, error code] of every <audio>, once each has loaded its metadata or failed."""
        self.page.wait_for_function("Array.from(document.querySelectorAll('audio'))"
                                    ".every(a => a.readyState >= 1 || a.error)")
        return self.page.evaluate("Array.from(document.querySelectorAll('audio'))"
                                  ".map(a => [a.getAttribute('src'), a.duration, a.error && a.error.code])")

    def point_on_top(self) -> str:
        """The key of a song in the PCA view that a click at its centre reaches (points may overlap)."""
        return self.page.evaluate("""() => {
            for (const p of document.querySelectorAll('section.latent-map .map-view:first-child .pt:not(.new)')) {
                p.scrollIntoView({block: 'center'});
                const b = p.getBoundingClientRect();
                if (document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2) === p) return p.dataset.key;
            }
            return null;
        }""")

    def click_centre(self, selector: str) -> None:
        """A real mouse click at the centre of the first element (the PCA view's point)."""
        box = self.page.locator(selector).first.bounding_box()
        self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_report_map_and_players_work_in_chromium(browser, request, tmp_path):
    import json

    given = os.environ.get("GENMUSIC_REPORT")
    report_dir = Path(given) if given else request.getfixturevalue("tiny_report").output_dir
    page = Page(browser, report_dir / "report.html")
    states = page.audio_states()
    assert len(states) >= 2 + 2 * 4 + 5 + 3  # the map's pair, 2 test songs x 4, the strip, 3 pieces
    assert [s for s in states if not (s[1] and s[1] > 0) or s[2]] == [], "audio that did not load"
    data = json.loads(page.page.locator("script.map-data").text_content())

    key = page.point_on_top()
    song = data["songs"][int(key[1:])]
    before = page.page.evaluate("document.querySelector('audio.map-original').src")
    page.page.locator(f'.pt[data-key="{key}"]').first.hover()
    assert page.page.locator(".map-tip").is_visible() and song["name"] in page.page.locator(".map-tip").text_content()
    page.click_centre(f'.pt[data-key="{key}"]')
    page.page.wait_for_function("() => { const a = document.querySelector('audio.map-original');"
                                " return !a.paused && a.currentTime > 0; }")
    original, rebuilt = page.page.evaluate("[document.querySelector('audio.map-original').src,"
                                           " document.querySelector('audio.map-reconstruction').src]")
    assert original.endswith("/" + song["original"]) and rebuilt.endswith("/" + song["reconstruction"])
    assert original != before or key == "s0"
    assert page.page.locator(f'.pt[data-key="{key}"].selected').count() == 2  # marked in PCA and t-SNE
    assert song["name"] in page.page.locator(".map-now").text_content()
    # The song plays to its end, then its reconstruction follows.
    page.page.wait_for_function("() => { const a = document.querySelector('audio.map-reconstruction');"
                                " return !a.paused && a.currentTime > 0; }")

    # The legend hides a genre in both views and shows it again.
    genre = song["genre"]
    button = page.page.locator(f'.legend-item[data-genre="{genre}"]')
    n_points = page.page.locator(f'.pt[data-genre="{genre}"]').count()
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert page.page.locator(f'.pt[data-genre="{genre}"]:visible').count() == 0 < n_points
    button.click()
    assert page.page.locator(f'.pt[data-genre="{genre}"]:visible').count() == n_points

    # New music is on the map (a star) and playable.
    page.click_centre('.pt[data-key="n0"]')
    page.page.wait_for_function("document.querySelector('audio.map-original').src.includes('/audio/new/')")

    shot = tmp_path / "report.png"
    page.page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot of {report_dir / 'report.html'}: {shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert page.problems == []


@pytest.mark.parametrize("which", ["one_genre_report", "short_songs_report"])
def test_reports_of_odd_stores_load_without_errors(browser, which, request):
    out = request.getfixturevalue(which)
    page = Page(browser, out / "report.html")
    states = page.audio_states()
    assert states and [s for s in states if not (s[1] and s[1] > 0) or s[2]] == []
    key = page.point_on_top()
    page.click_centre(f'.pt[data-key="{key}"]')
    page.page.wait_for_function("!document.querySelector('audio.map-original').paused")
    assert page.problems == []
