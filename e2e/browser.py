"""The Chromium the browser tests drive.

    python -m e2e.browser ensure     make sure a Chromium is installed (`make chromium` runs this)

By default the tests use Debian's chromium package (Playwright's own download needs internet access that
some machines lack). With PLAYWRIGHT_BROWSER=bundled they use the Chromium that `playwright install` fetches.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DEBIAN_WRAPPER = Path("/usr/bin/chromium")  # a shell script that adds flags
DEBIAN_BINARY = Path("/usr/lib/chromium/chromium")  # the real binary, which Playwright launches directly
INSTALL_HINT = "sudo apt-get install -y chromium"

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def bundled() -> bool:
    return os.environ.get("PLAYWRIGHT_BROWSER", "").strip().lower() == "bundled"


def executable_path() -> str | None:
    """The Chromium to launch, or None for Playwright's bundled one (PLAYWRIGHT_BROWSER=bundled)."""
    if bundled():
        return None
    return str(DEBIAN_BINARY if DEBIAN_BINARY.exists() else DEBIAN_WRAPPER)


def ensure() -> int:
    if bundled():
        return subprocess.call([sys.executable, "-m", "playwright", "install", "chromium"])
    if DEBIAN_WRAPPER.exists():
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"The browser tests need Chromium. Install it with:\n\n    {INSTALL_HINT}\n", file=sys.stderr)
        print("(or set PLAYWRIGHT_BROWSER=bundled to use `playwright install chromium`)", file=sys.stderr)
        return 1
    print("[e2e] installing Debian's chromium package with apt-get", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.call(["apt-get", "update", "-qq"], env=env) != 0:
        return 1
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]
    if subprocess.call(install, env=env) != 0 or not DEBIAN_WRAPPER.exists():
        print(f"[e2e] installing chromium failed; try: {INSTALL_HINT}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["ensure"]:
        print("usage: python -m e2e.browser ensure", file=sys.stderr)
        return 2
    return ensure()


if __name__ == "__main__":
    sys.exit(main())
