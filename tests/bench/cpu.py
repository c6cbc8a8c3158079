"""CPU time of each part of the stack over a run, read from /proc: where the machine's cores went, per observation.

At 10,000 observations/s a 2-core machine has 200 µs of CPU per observation for everything (HTTP, Kafka, the
processor, PostgreSQL, the evaluator, and the load generator itself); this says what each part spends of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _process_stats() -> dict[int, tuple[int, float]]:
    """Every live process: its parent and its CPU seconds (user + system, with its reaped children's)."""
    found: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # gone since the listing
            continue
        # The command name is in parentheses and may hold spaces: the fields start after the last ')'.
        fields = text[text.rindex(")") + 2 :].split()
        ticks = sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
        found[int(entry.name)] = (int(fields[1]), ticks / TICKS_PER_S)
    return found


def tree_cpu_seconds(
    roots: list[int], stats: dict[int, tuple[int, float]], apart: frozenset[int] | set[int] = frozenset()
) -> float:
    """CPU seconds of the processes `roots` and all their live descendants (PostgreSQL's backends, say), but not
    of the processes `apart` and theirs (the services the bench started are its children, counted on their own)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats or (pid in apart and pid not in roots):
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


@dataclass
class CpuMeter:
    """Named parts of the stack, each one or more root processes; `read()` their CPU seconds now."""

    parts: dict[str, list[int]]

    def read(self) -> dict[str, float]:
        stats = _process_stats()
        every_root = {pid for pids in self.parts.values() for pid in pids}
        return {name: tree_cpu_seconds(pids, stats, every_root) for name, pids in self.parts.items()}


def cpu_lines(before: dict[str, float], after: dict[str, float], observations: int, seconds: float) -> list[str]:
    """Per part: µs of CPU per observation and the share of one core it kept busy, largest first; then the total."""
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    lines = [
        f"  {name}: {spent_s / observations * 1e6:.0f} µs/observation ({spent_s / seconds * 100:.0f}% of a core)"
        for name, spent_s in sorted(spent.items(), key=lambda item: -item[1])
    ]
    total = sum(spent.values())
    lines.append(
        f"  all: {total / observations * 1e6:.0f} µs/observation ({total / seconds * 100:.0f}% of a core, "
        f"{os.cpu_count()} cores)"
    )
    return lines
