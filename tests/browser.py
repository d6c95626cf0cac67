"""The headless-Chromium driver of the tests: engine.browser (also used by `report --format pdf`).

    with Browser() as browser:
        page = browser.open(path, width=390)
        page.evaluate("document.title")
        page.errors, page.requests
        page.screenshot(png_path)
"""
from __future__ import annotations

from engine.browser import CANDIDATES, Browser, BrowserError, Page, find_chromium

__all__ = ["CANDIDATES", "Browser", "BrowserError", "Page", "find_chromium"]
