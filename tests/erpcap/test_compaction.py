"""Compaction of live part files (erpcap/compaction.py): many small parts become one with the
same rows, and a compaction killed between any two of its steps neither loses nor doubles a
row for any reader."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from erpcap.compaction import compact
from erpcap.rundir import MERGED_PREFIX, RunDir

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _run_with_parts(path: Path, parts: int, rows_per_part: int = 3) -> RunDir:
    """A run whose ``requests`` table is ``parts`` part files, each row with its own number
    (in ``bytes``) so that a lost or doubled row shows."""
    run = RunDir.create(path)
    writer = run.part_writer("requests")
    number = 0
    for _ in range(parts):
        for _ in range(rows_per_part):
            start = T0 + timedelta(milliseconds=10 * number)
            writer.append({
                "intended_start": start, "start": start, "name": "get_order", "group": "query",
                "user_class": "u", "method": "GET", "status_code": 200, "ok": True,
                "latency_us": 1000 + number, "service_us": 1000 + number, "bytes": number,
                "users": 1, "worker": "w", "error": None, "paced": False,
            })  # fmt: skip
            number += 1
        writer.flush()
    return run


def _numbers(run: RunDir) -> list[int]:
    return sorted(run.read_table("requests")["bytes"].tolist())


def test_many_small_parts_become_one_with_the_same_rows(tmp_path: Path) -> None:
    run = _run_with_parts(tmp_path / "run", parts=25)
    before = run.read_table("requests").sort_values("bytes").reset_index(drop=True)
    assert len(run.all_parts("requests")) == 25
    assert compact(run, "requests", min_parts=20) == 25
    assert [p.name[: len(MERGED_PREFIX)] for p in run.all_parts("requests")] == [MERGED_PREFIX]
    after = run.read_table("requests").sort_values("bytes").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    assert run.count_rows("requests") == 75
    assert compact(run, "requests", min_parts=20) == 0  # one part: nothing to merge


def test_too_few_parts_are_left_alone(tmp_path: Path) -> None:
    run = _run_with_parts(tmp_path / "run", parts=5)
    assert compact(run, "requests", min_parts=20) == 0
    assert len(run.all_parts("requests")) == 5


def test_a_kill_before_the_rename_leaves_the_parts(tmp_path: Path) -> None:
    """Step 1 done, step 2 not: the merged rows sit under a hidden temporary name."""
    run = _run_with_parts(tmp_path / "run", parts=4)
    folder = run.path / "requests"
    merged = _run_with_parts(tmp_path / "other", parts=4)
    compact(merged, "requests", min_parts=2)
    (only,) = merged.all_parts("requests")
    shutil.copy(only, folder / f".{only.name}.tmp")  # what a killed compaction leaves
    assert _numbers(run) == list(range(12))
    assert run.count_rows("requests") == 12


def test_a_kill_after_the_rename_doubles_nothing(tmp_path: Path) -> None:
    """Steps 1 and 2 done, step 3 (removing the parts) not: readers skip the parts."""
    run = _run_with_parts(tmp_path / "run", parts=6)
    folder = run.path / "requests"
    saved = tmp_path / "saved"
    shutil.copytree(folder, saved)
    compact(run, "requests", min_parts=2)
    for part in saved.iterdir():  # the parts come back, as if never removed
        shutil.copy2(part, folder / part.name)
    assert len(run.all_parts("requests")) == 7
    fresh = RunDir.open(run.path)  # a reader in another process
    assert _numbers(fresh) == list(range(18))
    assert fresh.count_rows("requests") == 18
    assert fresh.inputs()["requests"]["rows"] == 18
    # a later compaction removes the leftovers first, and merges the merged part again
    more = _run_with_parts(tmp_path / "more", parts=3)
    for part in more.all_parts("requests"):
        shutil.copy2(part, folder / f"part-late-{part.name}")
    assert compact(fresh, "requests", min_parts=2) == 4
    assert _numbers(fresh) == sorted([*range(18), *range(9)])
    assert len(fresh.all_parts("requests")) == 1


def test_consolidation_after_a_killed_compaction(tmp_path: Path) -> None:
    run = _run_with_parts(tmp_path / "run", parts=5)
    folder = run.path / "requests"
    saved = tmp_path / "saved"
    shutil.copytree(folder, saved)
    compact(run, "requests", min_parts=2)
    for part in saved.iterdir():
        shutil.copy2(part, folder / part.name)
    assert run.consolidate("requests") == 15
    assert not folder.exists()  # the leftovers went too
    assert _numbers(RunDir.open(run.path)) == list(range(15))


def test_a_new_part_with_a_merged_name_is_still_read(tmp_path: Path) -> None:
    """A later process with a recycled pid may reuse a merged part's name: its size differs,
    so it is not mistaken for the part the merge replaced."""
    run = _run_with_parts(tmp_path / "run", parts=3)
    first = run.all_parts("requests")[0].name
    compact(run, "requests", min_parts=2)
    other = _run_with_parts(tmp_path / "other", parts=1, rows_per_part=7)
    shutil.copy2(other.all_parts("requests")[0], run.path / "requests" / first)
    assert len(RunDir.open(run.path).read_table("requests")) == 9 + 7
