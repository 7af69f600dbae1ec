"""Run ``monitor run`` inside a fresh network namespace where nothing answers on 127.0.0.1:6379.

Used by ``tests/test_embedded_daemon.py`` as ``unshare -rn python -m tests.netns_launch SITE PORT
ARGS...``: it brings the namespace's loopback up, serves ``SITE`` (a folder) over HTTP on
``127.0.0.1:PORT`` from a child that dies with us (``PR_SET_PDEATHSIG``), then replaces itself
with ``python -m monitor run ARGS...`` (same pid, so the test's SIGTERM reaches the daemon).
A new namespace has its own loopback, so the daemon's probe of 6379 fails and it must start the
embedded Redis, exactly as on a machine with no Redis.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import subprocess
import sys
import time

from monitor.proc import pdeathsig_preexec

_SIOCGIFFLAGS = 0x8913  # from <linux/sockios.h>
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFREQ = "16sH14x"  # struct ifreq: name, then ifr_flags in the union


def loopback_up() -> None:
    """Set the namespace's ``lo`` interface up (a new network namespace starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        raw = fcntl.ioctl(sock, _SIOCGIFFLAGS, struct.pack(_IFREQ, b"lo", 0))
        flags = struct.unpack(_IFREQ, raw)[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))


def serve(site: str, port: int) -> None:
    """Serve ``site`` on 127.0.0.1:``port`` from a child process; return once it accepts connections."""
    subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", site],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=pdeathsig_preexec(),  # noqa: PLW1509
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the site server on 127.0.0.1:{port} did not start")


def main(argv: list[str]) -> None:
    site, port, *args = argv
    loopback_up()
    serve(site, int(port))
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "monitor", "run", *args])  # noqa: S606


if __name__ == "__main__":
    main(sys.argv[1:])
