"""Small process helpers for the daemon: child processes that die with their parent, free ports.

Linux's ``PR_SET_PDEATHSIG`` (prctl(2)) asks the kernel to send a signal to a process when
the thread that created it exits, even by SIGKILL. Children of ``monitor run`` (workers,
scheduler, the embedded Redis) and RQ work-horses use it so that nothing is orphaned when a
supervisor crashes. Elsewhere (macOS) it is a no-op and the watchdogs are the fallback.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
from collections.abc import Callable
from functools import lru_cache

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    """libc, loaded once in the parent so that a forked child's ``preexec_fn`` does no dlopen."""
    return ctypes.CDLL(None, use_errno=True)


def die_with_parent(sig: int = signal.SIGTERM, expected_parent: int | None = None) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent exits (Linux only).

    Args:
        sig: the signal to receive (SIGTERM lets a worker shut down warmly; SIGKILL for horses).
        expected_parent: the parent's pid; when the parent is already gone (reparented before
            the call), the signal is sent at once, closing the race.
    """
    if not sys.platform.startswith("linux"):
        return
    _libc().prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if expected_parent is not None and os.getppid() != expected_parent:
        os.kill(os.getpid(), sig)


def pdeathsig_preexec(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn`` for :class:`subprocess.Popen` making the child receive ``sig`` when we exit."""
    parent = os.getpid()
    if sys.platform.startswith("linux"):
        _libc()

    def _preexec() -> None:
        die_with_parent(sig, parent)

    return _preexec


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago (the OS picks it; the caller retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists (zombies included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
