"""Deterministic, atomic CSV tables: the one way the project writes a table.

``write_csv`` sorts nothing itself (callers sort by their key), writes UTF-8 with ``\\n`` line ends
to a temporary file beside the target and renames it into place, so a reader never sees a
half-written file and an interrupted run leaves the previous version intact. The same rows
always give the same bytes.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd


def umask_mode(mode: int = 0o666) -> int:
    """``mode`` as the process's umask leaves it (0o644 for 0o666 under umask 022), what ``open``
    gives a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename. The file gets the mode the
    umask gives a new file (``mkstemp`` creates its file 0600, which the rename would keep)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, umask_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(frame: pd.DataFrame, columns: Sequence[str] | None = None, float_format: str | None = None) -> str:
    """``frame`` (only ``columns``, in that order, if given) as CSV text; floats with ``float_format``
    (e.g. ``"%.6g"``) when given, so that rebuilt tables do not drift in the last digit."""
    if columns is not None:
        frame = frame.reindex(columns=list(columns))
    return frame.to_csv(index=False, lineterminator="\n", float_format=float_format)


def as_written(frame: pd.DataFrame, float_format: str | None = None) -> pd.DataFrame:
    """``frame`` as ``read_csv`` would give it back after ``write_csv``: every cell the string stored."""
    text = csv_text(frame, float_format=float_format)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[])


def write_csv(
    frame: pd.DataFrame, path: Path, columns: Sequence[str] | None = None, float_format: str | None = None
) -> None:
    """Write ``frame`` atomically as ``csv_text`` gives it."""
    atomic_write_bytes(Path(path), csv_text(frame, columns, float_format).encode("utf-8"))


def read_csv(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a CSV with every cell as a string ("" for empty); an absent file gives no rows."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=list(columns or []), dtype=str)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame
