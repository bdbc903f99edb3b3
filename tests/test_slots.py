"""The batch-key allocator: no key twice in a process, disjoint across workers, per hour when asked."""

from __future__ import annotations

import random

import pytest

from meterconform.slots import Slots

NOW = 1_800_000_000


def test_cursor_keys_are_unique_and_recent():
    slots = Slots(clock=lambda: NOW)
    keys = [slots.take(["a", "b"], ["X", "Y", "Z"]) for _ in range(60)]
    assert len(set(keys)) == 60
    assert all(NOW - 60 - 10 <= ts <= NOW - 60 for _, _, ts in keys)  # 6 keys per second: 10 seconds


def test_workers_own_disjoint_seconds():
    w0, w1 = Slots(0, 2, clock=lambda: NOW), Slots(1, 2, clock=lambda: NOW)
    k0 = {w0.take(["a"], ["X"])[2] for _ in range(20)}
    k1 = {w1.take(["a"], ["X"])[2] for _ in range(20)}
    assert not k0 & k1 and {s % 2 for s in k0} == {0} and {s % 2 for s in k1} == {1}


def test_hour_granularity_never_hands_out_two_keys_in_one_hour():
    slots = Slots(granularity=3600, clock=lambda: NOW)
    keys = [slots.take(["a"], ["X"]) for _ in range(5)]
    hours = [ts // 3600 for _, _, ts in keys]
    assert len(set(hours)) == 5
    ranged = [slots.take(["a"], ["X"], min_age=60, max_age=30 * 3600, rng=random.Random(1)) for _ in range(10)]
    assert len({ts // 3600 for _, _, ts in ranged} | set(hours)) == 15


def test_ranged_keys_stay_in_range_and_claim_refuses_a_taken_key():
    slots = Slots(clock=lambda: NOW)
    key = slots.take(["a"], ["X"], min_age=100, max_age=200, rng=random.Random(3))
    assert NOW - 200 < key[2] <= NOW - 100
    assert slots.claim(key) is False and slots.claim(("a", "X", NOW - 5)) is True


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="worker_index 3"):
        Slots(3, 2)
    with pytest.raises(ValueError, match="at least one customer"):
        Slots().take([], ["X"])


def test_a_later_run_never_reuses_an_earlier_runs_keys(tmp_path):
    """Two runs against one long-lived endpoint: the second walks around the first's keys."""
    from meterconform.slots import KeyHistory

    history = KeyHistory(tmp_path / "keys.tsv")
    first = [Slots(clock=lambda: NOW, history=history).take(["a", "b"], ["X"]) for _ in range(1)]
    run1 = Slots(clock=lambda: NOW, history=history)
    keys1 = {run1.take(["a", "b"], ["X"]) for _ in range(30)}
    run2 = Slots(clock=lambda: NOW + 5, history=KeyHistory(tmp_path / "keys.tsv"))
    keys2 = {run2.take(["a", "b"], ["X"]) for _ in range(30)}
    assert not keys1 & keys2 and not set(first) & (keys1 | keys2)
    assert len(history.load(NOW - 3600)) == 61


def test_the_history_forgets_keys_no_window_reaches(tmp_path):
    from meterconform.slots import KeyHistory

    history = KeyHistory(tmp_path / "keys.tsv")
    history.add(("a", "X", NOW - 10 * 86400))
    history.add(("a", "X", NOW - 60))
    assert history.load(NOW - 2 * 86400) == [("a", "X", NOW - 60)]
    assert (tmp_path / "keys.tsv").read_text().splitlines() == [f"a\tX\t{NOW - 60}"]
