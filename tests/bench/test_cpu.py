"""The bench's CPU accounting: a part is its processes and their descendants, never another part's."""

from __future__ import annotations

import os

from tests.bench.cpu import CpuMeter, cpu_lines, tree_cpu_seconds

# pid: (parent, CPU seconds). 10 is the bench; 20 PostgreSQL with backends 21 and 22; 30 a service with a child 31.
STATS = {10: (1, 2.0), 20: (10, 1.0), 21: (20, 4.0), 22: (20, 0.5), 30: (10, 3.0), 31: (30, 0.25), 40: (1, 9.0)}


def test_a_part_counts_its_descendants_but_not_the_other_parts():
    apart = {10, 20, 30}
    assert tree_cpu_seconds([20], STATS, apart) == 5.5
    assert tree_cpu_seconds([30], STATS, apart) == 3.25
    assert tree_cpu_seconds([10], STATS, apart) == 2.0
    assert tree_cpu_seconds([10], STATS) == 10.75  # without parts apart: the whole tree
    assert tree_cpu_seconds([99], STATS) == 0.0  # gone


def test_lines_say_microseconds_per_observation_and_share_of_a_core_largest_first():
    lines = cpu_lines({"ingest": 1.0, "processor": 2.0}, {"ingest": 3.0, "processor": 2.5}, 10_000, 4.0)
    assert lines == [
        "  ingest: 200 µs/observation (50% of a core)",
        "  processor: 50 µs/observation (12% of a core)",
        f"  all: 250 µs/observation (62% of a core, {os.cpu_count()} cores)",
    ]


def test_the_meter_reads_this_process():
    meter = CpuMeter({"this": [os.getpid()]})
    before = meter.read()["this"]
    sum(i * i for i in range(2_000_000))
    assert meter.read()["this"] > before
