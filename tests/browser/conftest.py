"""A real headless Chromium (Debian's chromium and chromium-driver) driven by Selenium."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        pytest.skip(
            f"{' and '.join(missing)} not installed: `apt-get install chromium chromium-driver` "
            "(.ci/run does it) to run the browser tests."
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="toxmod-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1440,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser: Any) -> Any:
    """Save a PNG of the page under $TOXMOD_SCREENSHOTS_DIR (docs/screenshots) when set."""
    folder = os.environ.get("TOXMOD_SCREENSHOTS_DIR")

    def take(name: str, *, height: int | None = None) -> None:
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        if height:
            browser.set_window_size(1440, height)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))
        if height:
            browser.set_window_size(1440, 1000)

    return take
