"""Render the sample article's HTML report in headless Chromium and save reports/sample-report.png.

    python scripts/report_screenshot.py        # needs Chromium (Debian: apt-get install chromium)

The picture in the README; tests/test_report.py renders the same report in the same browser.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "conflict-paragraphs")


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no Chromium found; on Debian: apt-get install chromium")
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "sample.html"
        subprocess.run([CLI, "classify", "data/samples/article.txt", "--format", "html", "--explain", "--output", str(report)],
                       cwd=ROOT, check=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(report.as_uri())
            page.screenshot(path=str(ROOT / "reports" / "sample-report.png"), full_page=True)
            browser.close()
    print(ROOT / "reports" / "sample-report.png")


if __name__ == "__main__":
    main()
