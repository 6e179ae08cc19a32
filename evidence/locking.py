"""One writer at a time: an exclusive OS lock on a data directory.

Commands that write to a data directory (``update``, ``import``, ``analyse``, ``report``) hold
``writer_lock`` for their whole run: an exclusive ``flock`` on ``<data dir>/.evidence.lock``,
taken without waiting. A second writer is refused at once with ``DataDirBusy`` (exit code 2)
naming the process that holds the lock; it never waits, so a scheduled job cannot pile up behind
a stuck one. Readers (``status``, ``validate``, ``check-wording``) take no lock and never block:
every table is replaced atomically, so they read either the old or the new version of a file.

The lock belongs to the open file description of the process, so the operating system releases
it when the process ends in any way, a ``kill -9`` included; no stale lock is ever left to clear
by hand. The file itself stays (removing it would let two processes lock two different files);
it holds the pid and command of its last holder, for the refusal message.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evidence.config import ConfigError

LOCK_FILE = ".evidence.lock"


class DataDirBusy(ConfigError):
    """Another process holds the data directory's writer lock."""


@contextmanager
def writer_lock(root: Path, command: str) -> Iterator[None]:
    """Hold the exclusive writer lock of the data directory ``root`` while the block runs;
    ``DataDirBusy`` at once if another process holds it."""
    path = Path(root) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "pid unknown"
            raise DataDirBusy(
                f"another evidence command ({holder}) is writing to {root}; run this one when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {command}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
