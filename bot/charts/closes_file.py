"""The closes a batch of chart processes draw from, written to a file each process reads once.

Sent with every chart job, 25 years of closes (1.3 MB pickled) cost ~20 ms to pickle in the
sender and ~20 ms to unpickle in the worker: 89 charts, 3.5 s of CPU, a tenth of the demo's
(bench/demo.py). Written once instead, each process reads the file on its first chart and
keeps the frame for the next ones; a chart job carries only the file's path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

__all__ = ["read_closes", "write_closes"]

_held: tuple[tuple[str, int, int, int], pd.DataFrame] | None = None
"""The frame this process read last, under its file's path, inode, size and modification
time (:func:`write_closes` replaces the file, so a rewrite is a new inode even within one
tick of the clock)."""


def write_closes(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` pickled to ``path`` (a private folder's file: it is read back with pickle)."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    frame.to_pickle(tmp)
    os.replace(tmp, path)  # a process never reads half a file
    return path


def read_closes(path: Path) -> pd.DataFrame:
    """The frame in ``path``, read once per process while the file stays the same."""
    global _held
    stat = os.stat(path)
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)  # a rewrite is a new inode
    if _held is None or _held[0] != key:
        frame = pd.read_pickle(path)
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{path} holds a {type(frame).__name__}, not closes")
        _held = (key, frame)
    return _held[1]
