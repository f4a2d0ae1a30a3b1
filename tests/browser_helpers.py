"""A headless Chromium for the page tests (Selenium with Debian's chromium-driver).

Reusable for every page type: :func:`browser` gives a :class:`Browser` (or skips
with the reason when no Chromium is installed; with ``VSBENGINE_REQUIRE_BROWSER=1``,
as ``.ci/run`` sets it, a missing browser fails instead). Screenshots and PDFs go
to :func:`artefacts` (``build/test-artefacts`` unless ``VSBENGINE_ARTEFACTS`` says
otherwise; printed at the end of the run, never committed).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pytest

WIDTH = 1200  # the width the pages must read well at
A4_WIDTH_PX = 794  # 210 mm at 96 px per inch: the width of a printed page
ROOT = Path(__file__).resolve().parents[1]
TAKEN: list[Path] = []  # artefacts of this run (printed at the end)


def artefacts() -> Path:
    folder = Path(os.environ.get("VSBENGINE_ARTEFACTS") or ROOT / "build" / "test-artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _missing(reason: str):
    if os.environ.get("VSBENGINE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (VSBENGINE_REQUIRE_BROWSER=1), but {reason}")
    pytest.skip(f"no headless browser: {reason} (apt-get install chromium chromium-driver)")


def _find() -> tuple[str, str]:
    chromium = os.environ.get("VSBENGINE_CHROMIUM") or next(
        filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser"))), None
    )
    driver = os.environ.get("VSBENGINE_CHROMEDRIVER") or shutil.which("chromedriver")
    if chromium and not os.path.exists(chromium):
        _missing(f"{chromium} does not exist")
    if not chromium:
        _missing("chromium is not installed")
    if not driver:
        _missing("chromedriver (Debian: chromium-driver) is not installed")
    return chromium, driver


class Browser:
    """One headless Chromium, driven through Selenium."""

    def __init__(self) -> None:
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:
            _missing("the selenium package is not installed (pip install -e '.[test]')")
        chromium, driver = _find()
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in (
            "--headless=new",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--lang=nl-BE",
            f"--window-size={WIDTH},900",
        ):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.driver.set_page_load_timeout(30)

    def close(self) -> None:
        self.driver.quit()

    # -- pages ---------------------------------------------------------------------------
    def open(self, path: Path, width: int = WIDTH, media: str = "screen") -> None:
        """Open a page file at ``width`` px, as on a screen or as when printed."""
        self.driver.set_window_size(width, 900)
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
        self.driver.get(path.resolve().as_uri())
        assert self.js("return document.readyState") == "complete"

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def text(self) -> str:
        """The text a reader sees (rendered, not the source)."""
        return self.js("return document.body.innerText")

    def tables(self) -> list[dict]:
        """Every table: the heading before it, its header cells and its rows of cell texts."""
        return self.js(
            """
            return [...document.querySelectorAll('table')].map(t => {
              let h = t.previousElementSibling;
              while (h && !/^H[1-6]$/.test(h.tagName)) h = h.previousElementSibling;
              const part = t.closest('section');
              return {
                section: part ? part.id : null,
                heading: h ? h.innerText : null,
                head: [...t.querySelectorAll('thead th')].map(c => c.innerText),
                rows: [...t.querySelectorAll('tbody tr')].map(
                  r => [...r.cells].map(c => c.innerText)),
                foot: [...t.querySelectorAll('tfoot td')].map(c => c.innerText),
              };
            });
            """
        )

    def overflow(self) -> dict:
        """How far the page or any element sticks out to the right of the window."""
        return self.js(
            """
            const w = document.documentElement.clientWidth;
            let worst = 0, what = null;
            for (const el of document.querySelectorAll('body *')) {
              const r = el.getBoundingClientRect();
              if (r.right - w > worst) { worst = r.right - w; what = el.tagName; }
            }
            return {page: document.documentElement.scrollWidth - w, element: worst, tag: what};
            """
        )

    def loaded_resources(self) -> list[str]:
        """URLs the page fetched besides itself (a self-contained page fetches none)."""
        return self.js("return performance.getEntriesByType('resource').map(e => e.name)")

    def screenshot(self, name: str) -> Path:
        """A screenshot of the whole page (the window grown to its height)."""
        height = self.js("return document.documentElement.scrollHeight")
        width = self.js("return window.innerWidth")
        self.driver.set_window_size(width, min(max(height, 300), 16000))
        path = artefacts() / f"{name}.png"
        self.driver.save_screenshot(str(path))
        TAKEN.append(path)
        return path

    def pdf(self, name: str) -> Path:
        """The page printed to PDF by the browser (the page's own @page size)."""
        data = self.driver.execute_cdp_cmd(
            "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": False}
        )["data"]
        path = artefacts() / f"{name}.pdf"
        path.write_bytes(base64.b64decode(data))
        TAKEN.append(path)
        return path


def cents(text: str) -> int:
    """An amount as a page shows it (``€ 1.234,56`` or ``€ 1,234.56``) back in cents."""
    t = text.replace("\u00a0", " ").replace("€", "").strip().replace("−", "-")
    m = re.fullmatch(r"(-?)([\d.,]+)[.,](\d\d)", t)
    assert m, f"not an amount: {text!r}"
    whole = int(re.sub(r"[.,]", "", m.group(2)))
    return (-1 if m.group(1) else 1) * (whole * 100 + int(m.group(3)))
