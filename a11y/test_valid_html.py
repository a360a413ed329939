"""Valid HTML on every page and state: the Nu Html Checker (vnu.jar from npm) reads them all."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from a11y.pages import all_urls

VNU = Path(__file__).resolve().parent.parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_every_page_is_valid_html(client, session, tmp_path):
    java = shutil.which("java")
    assert java, "apt-get install default-jre-headless (HTML validation needs Java)"
    files = {}
    for index, (url, _page) in enumerate(all_urls(session)):
        path = tmp_path / f"page{index:03d}.html"
        path.write_bytes(client.get(url).data)
        files[path.name] = url
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--also-check-css", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    # Errors and warnings both fail; plain notes ("info" without a warning subtype) do not.
    problems = [f"{files.get(Path(m.get('url', '')).name, m.get('url'))}:{m.get('lastLine')}: {m['message']}"
                for m in messages if m["type"] == "error" or m.get("subType") == "warning"]
    assert not problems, "\n".join(problems[:40])
