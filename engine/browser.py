"""A small headless-Chromium driver over the DevTools pipe, without any Python dependency.

Used by `report --format pdf` (engine.pdf) and by the tests (tests/browser.py re-exports it).
Chromium is started with `--remote-debugging-pipe`: it reads Chrome DevTools Protocol
commands from file descriptor 3 and writes replies and events to file descriptor 4, each a
JSON message ended by a NUL byte. One browser process serves many pages; each
`Browser.open` navigates the same tab and records, per page, the console errors, uncaught
exceptions, log errors (a failed load, a blocked request) and every requested URL.
With `offline=True` every request that is not for a file: or data: URL fails before it is
sent (the Fetch domain), so a page can never reach the network.

    with Browser() as browser:
        page = browser.open(path, width=390)
        page.evaluate("document.title")
        page.errors, page.requests
        page.screenshot(png_path)
        page.pdf()  # Page.printToPDF: the bytes of the PDF
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import outputs

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium binary (INDICATORS_CHROMIUM, else Debian's `chromium` on PATH), or None."""
    given = os.environ.get("INDICATORS_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(Exception):
    pass


@dataclass
class Page:
    browser: Browser
    url: str
    errors: list[str] = field(default_factory=list)     # console errors, exceptions, log errors
    requests: list[str] = field(default_factory=list)   # every URL the page requested

    def evaluate(self, expression: str):
        """The value of a JavaScript expression (promises awaited), or BrowserError on an exception."""
        reply = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                       "awaitPromise": True})
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or details.get("text"))
        return reply["result"].get("value")

    def resize(self, width: int, height: int = 900, mobile: bool | None = None) -> None:
        """Another viewport for the page as loaded (the layout follows at once)."""
        self.browser.viewport(width, height, mobile)

    def pdf(self, **options) -> bytes:
        """The page printed (Page.printToPDF, print media): A4 by the page's own @page rule, backgrounds, a
        tagged PDF with an outline (bookmarks) from its headings; `options` override these."""
        params = {"printBackground": True, "preferCSSPageSize": True, "paperWidth": 8.27, "paperHeight": 11.69,
                  "displayHeaderFooter": False, "generateTaggedPDF": True, "generateDocumentOutline": True,
                  **options}
        reply = self.browser.send("Page.printToPDF", params, timeout=max(self.browser.timeout, 120))
        return base64.b64decode(reply["data"])

    def screenshot(self, path: Path | str, full_page: bool = True) -> Path:
        params: dict = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.evaluate("[document.documentElement.clientWidth, "
                                          "document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.browser.send("Page.captureScreenshot", params)["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


class Browser:
    """One headless Chromium and one tab, spoken to over the DevTools pipe."""

    def __init__(self, binary: str | None = None, timeout: float = 20.0, offline: bool = False):
        found = binary or find_chromium()
        if found is None:
            raise BrowserError("no chromium found")
        self.binary: str = found
        self._to_browser: int | None = None
        self.timeout = timeout
        self.offline = offline
        self._next = 0
        self._replies: dict[int, dict] = {}
        self._events: queue.Queue = queue.Queue()
        self._lock = threading.Condition()
        self.page: Page | None = None
        self.session = ""

    # ---------------------------------------------------------------- process and pipe

    def __enter__(self) -> Browser:
        self.profile = tempfile.mkdtemp(prefix="indicators-chromium-")
        outputs.register(self.profile, folder=True)  # removed on SIGTERM and SIGINT too
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        args = [self.binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
                "--hide-scrollbars", f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"]

        def fds():  # in the child: fd 3 reads our commands, fd 4 writes the replies (both inherited by exec)
            read, write = os.dup(to_browser_r), os.dup(from_browser_w)  # first out of the way of 3 and 4
            os.dup2(read, 3)
            os.dup2(write, 4)
        # close_fds=False: fds 3 and 4 made in preexec_fn must survive; every other fd of this process is
        # non-inheritable (PEP 446) and closed by exec anyway
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, preexec_fn=fds, close_fds=False)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
            self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                     session=False)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable")
            if self.offline:  # every request pauses; anything but file: and data: fails (_on_event)
                self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "process", None) is not None and self.process.poll() is None:
            with contextlib.suppress(BrowserError, OSError):
                self.send("Browser.close", session=False, timeout=5)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._to_browser is not None:
            with contextlib.suppress(OSError):
                os.close(self._to_browser)
            self._to_browser = None
        if getattr(self, "profile", ""):
            outputs.remove(self.profile)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._lock:
                    self._lock.notify_all()
                os.close(self._from_browser)
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        self._replies[message["id"]] = message
                        self._lock.notify_all()
                else:
                    self._on_event(message)

    def _post(self, method: str, params: dict | None = None, session: bool = True) -> int:
        """Write one command; its id."""
        if self._to_browser is None:
            raise BrowserError("the browser is closed")
        with self._lock:
            self._next += 1
            ident = self._next
        message: dict = {"id": ident, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return ident

    def send(self, method: str, params: dict | None = None, session: bool = True, timeout: float | None = None):
        """Send one command and wait for its reply's result (BrowserError on an error reply or a timeout)."""
        ident = self._post(method, params, session)
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._lock:
            while ident not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise BrowserError(f"no reply to {method} within {timeout or self.timeout} s")
                self._lock.wait(left)
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    # ---------------------------------------------------------------- events

    def _on_event(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        page = self.page
        if page is not None:
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                texts = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
                page.errors.append("console: " + " ".join(texts))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                page.errors.append("exception: " + str(details.get("exception", {}).get("description")
                                                       or details.get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                page.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())
            elif method == "Network.requestWillBeSent":
                page.requests.append(params.get("request", {}).get("url", ""))
        if method == "Fetch.requestPaused":  # offline: answered here, on the reader thread, without waiting
            url = params.get("request", {}).get("url", "")
            with contextlib.suppress(BrowserError, OSError):
                if url.startswith(("file:", "data:")):
                    self._post("Fetch.continueRequest", {"requestId": params["requestId"]})
                else:
                    if page is not None:
                        page.errors.append(f"blocked: {url}")
                    self._post("Fetch.failRequest", {"requestId": params["requestId"],
                                                     "errorReason": "BlockedByClient"})
        self._events.put(message)

    def _wait_for(self, method: str, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no {method} within {timeout or self.timeout} s")
            try:
                message = self._events.get(timeout=left)
            except queue.Empty:
                continue
            if message.get("method") == method:
                return message

    # ---------------------------------------------------------------- pages

    def viewport(self, width: int, height: int = 900, mobile: bool | None = None) -> None:
        """The viewport's size in CSS pixels; below 800 px wide a phone's (mobile: the viewport meta tag counts)."""
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": width < 800 if mobile is None else mobile})

    def open(self, path: Path | str, width: int = 1280, height: int = 900, mobile: bool | None = None) -> Page:
        """Load a file (or URL) at a viewport width and wait for its load event; a fresh record of errors."""
        url = path if isinstance(path, str) and ":" in path.split("/")[0] else Path(path).resolve().as_uri()
        self.viewport(width, height, mobile)
        while not self._events.empty():  # events of the page before
            self._events.get_nowait()
        self.page = Page(self, url)
        self.send("Page.navigate", {"url": url})
        self._wait_for("Page.loadEventFired")
        return self.page
