"""The writer lock of a data directory: one holder at a time, named when refused, free again after."""

from __future__ import annotations

import pytest

from evidence.locking import LOCK_FILE, DataDirBusy, writer_lock


def test_a_second_holder_is_refused_at_once_and_told_who_holds_it(tmp_path):
    with writer_lock(tmp_path, "analyse"):
        assert "analyse" in (tmp_path / LOCK_FILE).read_text()
        with pytest.raises(DataDirBusy, match=r"another evidence command \(pid \d+, analyse\) is writing to"):
            with writer_lock(tmp_path, "update"):
                pass
    with writer_lock(tmp_path, "report"):  # released when the first block ended
        assert "report" in (tmp_path / LOCK_FILE).read_text()


def test_the_lock_is_released_when_the_block_raises(tmp_path):
    with pytest.raises(RuntimeError):
        with writer_lock(tmp_path, "import"):
            raise RuntimeError("failed midway")
    with writer_lock(tmp_path, "import"):
        pass


def test_different_data_directories_do_not_block_each_other(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with writer_lock(tmp_path / "a", "update"), writer_lock(tmp_path / "b", "update"):
        pass
