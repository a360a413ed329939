"""``make screenshots``: the README's pictures of the project and chapter pages, phone and desktop.

Serves the demo from a temporary SQLite database and photographs it with Debian's
headless chromium (the same browser setup as the a11y suite).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
SHOTS = [
    ("project-phone.png", "/de/projects/smart-city", 360, 780),
    ("chapter-phone.png", "/de/projects/smart-city/chapters/offen", 360, 780),
    ("project-desktop.png", "/de/projects/smart-city", 1280, 860),
    ("chapter-desktop.png", "/einfach/projects/smart-city/chapters/offen", 1280, 860),
]


def main() -> None:
    from werkzeug.serving import make_server

    from a11y.conftest import make_browser
    from tests.support import demo_app, fresh_database

    os.environ["MITREDEN_INSTANCE"] = tempfile.mkdtemp(prefix="mitreden-shots-")
    app = demo_app(fresh_database(Path(os.environ["MITREDEN_INSTANCE"])))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = make_browser(javascript=True)
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        for name, path, width, height in SHOTS:
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
            browser.get(f"http://127.0.0.1:{server.server_port}{path}")
            browser.save_screenshot(str(OUT / name))
            print(f"{OUT / name}")
    finally:
        browser.quit()
        server.shutdown()


if __name__ == "__main__":
    main()
