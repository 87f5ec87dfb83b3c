"""Which process runs a sync, and whether it still exists: plain Python, no Django.

A run records its worker as "<host>:<PID namespace>:<PID>". On the same host and in the same
PID namespace (containers have their own), a worker whose process is gone is known dead at
once, without waiting for its heartbeat to go stale. Anywhere else, or when the PID now belongs
to another process, only the heartbeat decides: a reused PID can delay a takeover, never cause
a wrong one.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")  # e.g. "pid:[4026531836]"
    except OSError:
        return ""


def worker_name() -> str:
    """Name the current process so that another process can tell whether it still runs."""
    return f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}"


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    # A process killed but not yet reaped by its parent is a zombie: gone all the same.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] not in {"Z", "X"}


def worker_gone(name: str) -> bool:
    """True only when `name` is a process of this host and PID namespace that no longer runs."""
    host, _, rest = name.partition(":")
    namespace, _, pid = rest.rpartition(":")
    if not pid.isdigit() or host != socket.gethostname() or namespace != _pid_namespace():
        return False
    return not _process_exists(int(pid))
