"""`gazette.parallel.in_background` and `in_halves`: work done by a forked copy
while the build goes on, the same result either way."""

from __future__ import annotations

import os
import sys
import time

import pytest

from gazette.parallel import in_background, in_halves
from gazette.parallel import room_for_a_copy as real_room_for_a_copy

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
    reason="in_halves forks only on Linux with two cores or more",
)


def squares_with_pids(items):
    return [(n * n, os.getpid()) for n in items]


@pytest.fixture(autouse=True)
def room(monkeypatch):
    """The tests fork whatever the machine's free memory (tested on its own below)."""
    import gazette.parallel as parallel

    monkeypatch.setattr(parallel, "room_for_a_copy", lambda: True)


def test_the_second_half_is_done_by_another_process_and_the_order_is_kept():
    result = in_halves(squares_with_pids, list(range(101)), least=10)
    assert [value for value, _ in result] == [n * n for n in range(101)]
    pids = [pid for _, pid in result]
    assert set(pids[:50]) == {os.getpid()}
    assert len(set(pids[50:])) == 1 and pids[50] != os.getpid()


def test_few_items_stay_in_this_process():
    result = in_halves(squares_with_pids, list(range(5)), least=10)
    assert {pid for _, pid in result} == {os.getpid()}


def test_a_copy_that_fails_leaves_the_work_to_this_process():
    me = os.getpid()

    def fails_elsewhere(items):
        if os.getpid() != me:
            raise RuntimeError("the copy fails")
        return [n + 1 for n in items]

    assert in_halves(fails_elsewhere, list(range(40)), least=2) == list(range(1, 41))


def test_a_copy_that_hangs_is_stopped_and_its_half_done_here(monkeypatch):
    import gazette.parallel as parallel

    me = os.getpid()

    def hangs_elsewhere(items):
        if os.getpid() != me:
            time.sleep(60)
        return list(items)

    real = parallel._read_all
    monkeypatch.setattr(
        parallel, "_read_all", lambda fd, deadline: real(fd, time.perf_counter() + 0.5)
    )
    started = time.perf_counter()
    assert in_halves(hangs_elsewhere, list(range(40)), least=2) == list(range(40))
    assert time.perf_counter() - started < 30


def test_the_collectors_state_in_this_process_is_left_as_it_was():
    """The build hides the loaded site from the collector (`gazette.collector`);
    forking must not bring it back, nor leave the collector off."""
    import gc

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        in_halves(squares_with_pids, list(range(40)), least=2)
        # Frozen objects that die meanwhile leave the count; an unfreeze empties it.
        assert gc.get_freeze_count() > frozen // 2
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_without_room_for_a_copy_the_work_stays_here(monkeypatch):
    import gazette.parallel as parallel

    monkeypatch.setattr(parallel, "room_for_a_copy", lambda: False)
    result = in_halves(squares_with_pids, list(range(100)), least=10)
    assert [v for v, _ in result] == [n * n for n in range(100)]
    assert {pid for _, pid in result} == {os.getpid()}


def test_room_for_a_copy_compares_free_memory_with_this_process():
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        available = next(
            int(line.split()[1]) for line in meminfo if line.startswith("MemAvailable")
        )
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_kb = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    # Far from the boundary either way, the answer follows the comparison.
    if available > 2 * resident_kb or available < resident_kb // 2:
        assert real_room_for_a_copy() is (available > resident_kb)


# --------------------------------------------------------------------------- in_background


def pid_and_big_result():
    return os.getpid(), list(range(200_000))  # far more than a pipe holds (64 KB)


def test_work_in_the_background_is_done_by_another_process_while_this_one_goes_on():
    started = time.perf_counter()
    pending = in_background(lambda: (time.sleep(0.5), os.getpid())[1])
    assert time.perf_counter() - started < 0.4  # forked, not waited for
    assert pending.result() != os.getpid()
    assert pending.result() == pending.result()  # collected once, then kept
    pid, numbers = in_background(pid_and_big_result).result()
    assert pid != os.getpid() and numbers == list(range(200_000))


@pytest.mark.parametrize("failure", ["raises", "hangs", "invalid", "no fork"])
def test_a_copy_that_fails_hangs_or_answers_wrongly_leaves_the_work_here(monkeypatch, failure):
    import gazette.parallel as parallel

    me = os.getpid()
    if failure == "no fork":
        monkeypatch.setattr(parallel.os, "fork", lambda: (_ for _ in ()).throw(OSError("no")))

    def work():
        if os.getpid() != me:
            if failure == "raises":
                raise RuntimeError("the copy fails")
            if failure == "hangs":
                time.sleep(60)
            if failure == "invalid":
                return "wrong"
        return ["right", os.getpid()]

    started = time.perf_counter()
    pending = in_background(work, valid=lambda found: isinstance(found, list))
    assert pending.result(wait=0.5) == ["right", me]
    assert time.perf_counter() - started < 30


def test_a_result_never_read_does_not_leave_the_copy_behind():
    pending = in_background(pid_and_big_result)  # blocks on the full pipe until stopped
    pid = pending._pid
    assert pid is not None
    time.sleep(0.2)
    del pending  # a failed build drops the site, and this with it
    with pytest.raises(ChildProcessError):  # stopped and reaped: no longer our child
        os.waitpid(pid, os.WNOHANG)
