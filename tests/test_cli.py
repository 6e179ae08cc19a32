"""The command line: which commands write (and so take the lock), and the exit-code policy."""

from __future__ import annotations

import pytest

from evidence.cli import build_parser, main
from evidence.locking import writer_lock
from tests.conftest import copy_data


@pytest.fixture
def paths(tmp_path):
    return copy_data(tmp_path / "data")


def test_a_writer_is_refused_while_another_holds_the_lock_and_readers_go_on(paths, capsys):
    with writer_lock(paths.root, "update"):
        assert main(["analyse", "--data-dir", str(paths.root)]) == 2
        assert "is writing to" in capsys.readouterr().err
        assert main(["validate", "--data-dir", str(paths.root)]) == 0
        assert main(["status", "--data-dir", str(paths.root)]) == 0
    assert main(["analyse", "--data-dir", str(paths.root)]) == 0


def test_bad_input_exits_2_and_names_the_file(paths, capsys):
    studies = paths.curated / "studies.csv"
    studies.write_text(studies.read_text().replace("parallel_rct", "cohort", 1))
    assert main(["validate", "--data-dir", str(paths.root)]) == 2
    out = capsys.readouterr().out
    assert "studies.csv, row " in out and "column design" in out
    assert main(["import", str(paths.root / "no-such-file.xml"), "--data-dir", str(paths.root)]) == 2


def test_an_unknown_command_or_flag_is_a_usage_error():
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["report", "--no-such-flag"])
    assert raised.value.code == 2
    with pytest.raises(SystemExit) as raised:
        main(["frobnicate"])
    assert raised.value.code == 2


@pytest.mark.parametrize("before", [True, False])
def test_common_options_work_before_and_after_the_command(before, tmp_path):
    from evidence.cli import build_parser

    args = ["-v", "--data-dir", str(tmp_path)]
    parsed = build_parser().parse_args([*args, "status"] if before else ["status", *args])
    assert parsed.verbose is True and parsed.data_dir == str(tmp_path)
    plain = build_parser().parse_args(["status"])
    assert plain.verbose is False and plain.data_dir.endswith("data")
