"""The report as PDF: its HTML printed by headless Chromium (`report --format pdf`).

The HTML report carries its own print style sheet (A4, margins, a running header, page numbers,
headings kept with what follows, an indicator kept on one page where it fits); Chromium prints
it with Page.printToPDF over the DevTools pipe (engine.browser), as a tagged PDF whose outline
(bookmarks) follows the headings. Nothing is fetched: the page is a file in a fresh temporary
folder, its Content-Security-Policy allows nothing from outside, and the browser fails every
request that is not for a file (`Browser(offline=True)`). Chromium runs with a fresh profile,
no sandbox (it runs as the user, on our own file) and without background networking,
component updates or sync.

Chromium is found as `INDICATORS_CHROMIUM`, else `chromium`, `chromium-browser`,
`google-chrome` or `google-chrome-stable` on PATH; without it `report --format pdf` is
E_NO_BROWSER before anything is computed.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import outputs
from .browser import Browser, BrowserError, find_chromium
from .diagnostics import Diagnostic, EngineError, Position

INSTALL_HINT = ("install Chromium (Debian and Ubuntu: apt-get install chromium; elsewhere Chromium or Google "
                "Chrome), or name its program in INDICATORS_CHROMIUM=/path/to/chromium")


def chromium() -> str:
    """The Chromium program, or E_NO_BROWSER saying how to get one."""
    found = find_chromium()
    if found is None:
        given = os.environ.get("INDICATORS_CHROMIUM")
        what = (f"INDICATORS_CHROMIUM names {given}, which does not exist" if given else
                "no Chromium or Google Chrome found on PATH (chromium, chromium-browser, google-chrome, "
                "google-chrome-stable)")
        raise EngineError([Diagnostic(Position("--format pdf"), "E_NO_BROWSER",
                                      f"a PDF is printed by headless Chromium: {what}", INSTALL_HINT)])
    return found


def html_to_pdf(html: str, binary: str | None = None, timeout: float = 60.0) -> bytes:
    """The HTML page printed to PDF by headless Chromium (its @page rules decide the paper)."""
    program = binary or chromium()
    folder = tempfile.mkdtemp(prefix="indicators-pdf-")
    outputs.register(folder, folder=True)  # removed on SIGTERM and SIGINT too
    try:
        page_file = Path(folder) / "rapport.html"
        page_file.write_text(html, encoding="utf-8")
        with Browser(program, timeout=timeout, offline=True) as browser:
            page = browser.open(page_file)
            data = page.pdf()
        if not data.startswith(b"%PDF-"):
            raise BrowserError("Chromium did not return a PDF")
        return data
    except BrowserError as exc:
        raise EngineError([Diagnostic(Position("--format pdf"), "E_PDF",
                                      f"headless Chromium ({program}) could not print the report: {exc}",
                                      "check that the program starts (chromium --headless --version); "
                                      + INSTALL_HINT)]) from None
    except OSError as exc:
        raise EngineError([Diagnostic(Position("--format pdf"), "E_PDF",
                                      f"could not start headless Chromium ({program}): {exc.strerror or exc}",
                                      INSTALL_HINT)]) from None
    finally:
        outputs.remove(folder)


def to_pdf(report) -> bytes:
    """The report (engine.report.Report) as PDF: its HTML (engine.report_formats.to_html) printed."""
    from .report_formats import to_html
    return html_to_pdf(to_html(report))
