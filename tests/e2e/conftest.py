"""What the browser tests share: Debian's headless Chromium, driven by Playwright, once per
test module (skipped on a developer's machine without it, failing in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import service_missing

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium (a ``playwright.sync_api.Browser``)."""
    if not Path(CHROMIUM).is_file():
        service_missing("Chromium", FileNotFoundError(CHROMIUM))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()
