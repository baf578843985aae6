"""Install Debian's Chromium for the browser tests when it is missing (never a downloaded one).

Called by `make test`. Failing to install is not an error here: the browser tests then skip and
say why."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    if os.path.exists(CHROMIUM):
        return 0
    if shutil.which("apt-get") is None:
        print(f"ensure_chromium: {CHROMIUM} missing and no apt-get: browser tests will skip")
        return 0
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("ensure_chromium: installing Debian's chromium for the browser tests")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        if subprocess.run(sudo + command, env=env, check=False).returncode != 0:
            print(f"ensure_chromium: `{' '.join(command)}` failed: browser tests will skip")
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
