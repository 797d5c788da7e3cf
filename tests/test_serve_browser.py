"""Chapter 07: the story page in a real headless browser (Chromium through Playwright).

Debian's chromium is used (`playwright install` downloads are not needed);
.ci/run installs it with apt-get when it is missing and it can (root, apt).
The tests skip, saying why, only where Playwright, Starlette or a Chromium
that starts cannot be had (PYSTORY_CHROMIUM names another browser binary).
"""
import os
import shutil

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                                 "(make setup installs it)")
pytest.importorskip("starlette", reason="starlette is not installed (make setup installs the web extra)")
pytest.importorskip("httpx", reason="httpx is not installed (make setup installs it)")

CHROMIUM = os.environ.get("PYSTORY_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def server():
    from pystory.gpt_cli import SHIPPED_MODEL, load_model
    from pystory.serve import BackgroundServer, Limits, StoryService, create_app
    if CHROMIUM is None:
        pytest.skip("no Chromium found (apt-get install chromium; .ci/run does this)")
    model, tok, _ = load_model(SHIPPED_MODEL, "c")
    service = StoryService(model, tok, Limits(RATE=10**6, BURST=10**6), workers=2)
    with BackgroundServer(create_app(service)) as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    with playwright.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        except playwright.Error as e:            # a Chromium that is there but cannot run here
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            pytest.skip(f"Chromium at {CHROMIUM} did not start: {first}")
        pg = browser.new_page(viewport={"width": 900, "height": 760})
        pg.goto(server)
        yield pg
        browser.close()


def write(page, prompt, seed, tokens=60, temperature="0.8"):
    page.fill("#prompt", prompt)
    page.fill("#seed", str(seed))
    page.fill("#max_tokens", str(tokens))
    page.fill("#temperature", temperature)
    page.click("#write")
    page.wait_for_function("document.getElementById('story').dataset.done === 'true'", timeout=60_000)
    return page.inner_text("#generated")


def test_the_page_writes_the_story_the_api_writes_for_the_same_seed(page, server, tmp_path):
    import httpx
    text = write(page, "Once upon a time, a little fox", 11)        # the page's own top-p: 0.9
    api = httpx.post(server + "/api/story", json={"prompt": "Once upon a time, a little fox", "seed": 11,
                                                  "max_tokens": 60, "temperature": 0.8, "top_p": 0.9}).json()
    assert len(text) > 20
    assert text == api["text"]
    assert "seed 11" in page.inner_text("#status")
    shot = page.screenshot(full_page=True)            # the figure itself is the demo's (--refresh-figures)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_shows_the_error_of_a_refused_request(page):
    page.fill("#temperature", "7")
    page.click("#write")
    page.wait_for_function("document.getElementById('story').dataset.done === 'true'", timeout=30_000)
    assert "'temperature' must be in [0, 2]" in page.inner_text("#error")
