"""Deterministic, atomic CSV tables: what is written is what is read back, and a failed write loses nothing."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evidence.tables import (
    as_written,
    atomic_write_bytes,
    csv_text,
    read_csv,
    write_csv,
)


def test_written_floats_have_six_significant_digits_and_read_back_as_strings(tmp_path):
    frame = pd.DataFrame({"a": [1 / 3, 12345678.9, math.nan], "b": ["x", "", "z"], "k": [1, 2, 3]})
    write_csv(frame, tmp_path / "t.csv", float_format="%.6g")
    assert (tmp_path / "t.csv").read_text() == "a,b,k\n0.333333,x,1\n1.23457e+07,,2\n,z,3\n"
    back = read_csv(tmp_path / "t.csv")
    assert back.equals(as_written(frame, "%.6g"))  # the in-memory view is exactly the stored one
    assert list(back.loc[2]) == ["", "z", "3"]


def test_same_rows_give_the_same_bytes_and_columns_can_be_chosen():
    frame = pd.DataFrame({"b": [2.0], "a": ["x"]})
    assert csv_text(frame, ["a", "b", "c"]) == "a,b,c\nx,2.0,\n"
    assert csv_text(frame) == "b,a\n2.0,x\n"  # the frame's own column order, "\n" line ends


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_bytes(b"old\n")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_read_csv_of_an_absent_file_is_empty_and_missing_columns_are_named(tmp_path):
    empty = read_csv(tmp_path / "none.csv", ["x", "y"])
    assert empty.empty and list(empty.columns) == ["x", "y"]
    (tmp_path / "t.csv").write_text("x\n1\n")
    with pytest.raises(ValueError, match="missing column\\(s\\) y"):
        read_csv(tmp_path / "t.csv", ["x", "y"])
