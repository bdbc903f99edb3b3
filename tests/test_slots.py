"""The batch-key allocator: no key twice in a process, disjoint across workers, per hour when asked."""

from __future__ import annotations

import random

import pytest

from meterconform.harness.slots import Slots

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
    from meterconform.harness.slots import KeyHistory

    history = KeyHistory(tmp_path / "keys.tsv")
    first = [Slots(clock=lambda: NOW, history=history).take(["a", "b"], ["X"]) for _ in range(1)]
    run1 = Slots(clock=lambda: NOW, history=history)
    keys1 = {run1.take(["a", "b"], ["X"]) for _ in range(30)}
    run2 = Slots(clock=lambda: NOW + 5, history=KeyHistory(tmp_path / "keys.tsv"))
    keys2 = {run2.take(["a", "b"], ["X"]) for _ in range(30)}
    assert not keys1 & keys2 and not set(first) & (keys1 | keys2)
    assert len(history.load(NOW - 3600)) == 61


def test_the_history_forgets_keys_no_window_reaches(tmp_path):
    from meterconform.harness.slots import KeyHistory

    history = KeyHistory(tmp_path / "keys.tsv")
    history.add(("a", "X", NOW - 10 * 86400))
    history.add(("a", "X", NOW - 60))
    assert history.load(NOW - 2 * 86400) == [("a", "X", NOW - 60)]
    header, *keys = (tmp_path / "keys.tsv").read_text().splitlines()
    assert header.startswith("# meterconform batch keys, generation ") and keys == [f"a\tX\t{NOW - 60}"]


def test_runs_at_the_same_time_never_take_the_same_key(tmp_path):
    """Two runs against one endpoint, both started before either takes a key (a campaign and a `run`, two CI
    jobs): each sees what the other took meanwhile, through the history file, though both are worker 0 of 1."""
    from meterconform.harness.slots import KeyHistory

    a = Slots(clock=lambda: NOW, history=KeyHistory(tmp_path / "keys.tsv"))
    b = Slots(clock=lambda: NOW, history=KeyHistory(tmp_path / "keys.tsv"))
    keys_a, keys_b = [], []
    for _ in range(40):
        keys_a.append(a.take(["a", "b"], ["X"]))
        keys_b.append(b.take(["a", "b"], ["X"]))
    ranged_b = [b.take(["a"], ["X"], min_age=60, max_age=120, rng=random.Random(i)) for i in range(5)]
    assert len(set(keys_a) | set(keys_b) | set(ranged_b)) == 85
    assert a.claim(ranged_b[0]) is False  # chosen by the other run
    assert a.claim(("b", "X", NOW - 5)) is True and b.claim(("b", "X", NOW - 5)) is False


def test_processes_at_the_same_time_share_the_history(tmp_path):
    """The same across real processes (the flock and the unbuffered reads are what is tested): both start,
    wait for each other, then take 150 keys each."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from meterconform.harness.slots import KeyHistory, Slots
        me, other = Path(sys.argv[1]), Path(sys.argv[2])
        slots = Slots(clock=lambda: {NOW}, history=KeyHistory(Path(sys.argv[3])))
        me.touch()
        deadline = time.time() + 30
        while not other.exists() and time.time() < deadline:
            time.sleep(0.005)
        for _ in range(150):
            print("\\t".join(map(str, slots.take(["a", "b"], ["X", "Y"]))))
    """)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                script,
                str(tmp_path / f"ready-{i}"),
                str(tmp_path / f"ready-{1 - i}"),
                str(tmp_path / "keys.tsv"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in (0, 1)
    ]
    outputs = [p.communicate(timeout=60)[0].splitlines() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert [len(o) for o in outputs] == [150, 150]
    assert not set(outputs[0]) & set(outputs[1])


def test_a_run_still_sees_the_others_after_one_rewrote_the_history(tmp_path):
    """A run that starts forgets the keys no window reaches by rewriting the file, shorter; a run already going
    notices the new generation, reads the file again from the start and still avoids the new run's keys."""
    from meterconform.harness.slots import KeyHistory

    early = Slots(clock=lambda: NOW, history=KeyHistory(tmp_path / "keys.tsv"))
    for i in range(20):  # keys older than any window: the next run to start forgets them
        early.take(["a"], ["X"], min_age=2.2 * 86400, max_age=2.4 * 86400, rng=random.Random(i))
    late = Slots(clock=lambda: NOW, history=KeyHistory(tmp_path / "keys.tsv"))
    keys_late = {late.take(["a"], ["X"]) for _ in range(5)}
    assert len((tmp_path / "keys.tsv").read_text().splitlines()) == 6  # a new generation: header + 5 keys
    keys_early = {early.take(["a"], ["X"]) for _ in range(5)}
    assert not keys_early & keys_late


def test_history_files_nobody_wrote_for_three_days_are_deleted(tmp_path, monkeypatch):
    import os
    import time

    from meterconform.harness.slots import KeyHistory

    stale, fresh, other = (
        tmp_path / name for name in ("batch-keys-0000000000000001.tsv", "batch-keys-0000000000000002.tsv", "notes.tsv")
    )
    for path in (stale, fresh, other):
        path.write_text("a\tX\t1\n")
    four_days_ago = time.time() - 4 * 86400
    for path in (stale, other):
        os.utime(path, (four_days_ago, four_days_ago))
    monkeypatch.setenv("METERCONFORM_STATE_DIR", str(tmp_path))
    history = KeyHistory.for_endpoint("http://127.0.0.1:1")
    assert not stale.exists() and fresh.exists() and other.exists()
    assert history.path.parent == tmp_path
