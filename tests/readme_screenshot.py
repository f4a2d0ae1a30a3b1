"""Make the README's screenshot of the review page again (``tests/data/pages/review.png``).

    python tests/readme_screenshot.py

The page of the browser tests' accepted sending (``test_browser._review_page``: a
hostile facility name, shown escaped), its top 1500 px at 1200 px wide, in the same
headless Chromium the page tests use.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from browser_helpers import Browser  # noqa: E402
from test_browser import _review_page  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = _review_page(Path(tmp), flagged=False)
        browser = Browser()
        try:
            browser.open(page.path, width=1200)
            browser.driver.set_window_size(1200, 1500)
            target = HERE / "data" / "pages" / "review.png"
            browser.driver.save_screenshot(str(target))
        finally:
            browser.close()
    print(target)


if __name__ == "__main__":
    main()
