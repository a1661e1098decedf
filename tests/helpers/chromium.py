"""Debian's Chromium, driven by Playwright, for the tests that look at a page as a person would."""

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# As root and on a closed network, Chromium needs no sandbox and none of its background connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install "
                                                                  "chromium (tools/setup.sh does where it can)")


def launch(playwright):
    """A headless Chromium browser (Playwright's own browser download is not reachable here)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
