"""Benchmarks: scripts that print figures (ratios against a baseline measured in the same run).

Run one with ``.venv/bin/python -m bench.<name>``, all with ``make bench``. Figures that were
read are recorded in ``bench/RESULTS.md`` with the date and the machine.
"""

import os


def busy_cpu_seconds() -> float:
    """The whole machine's busy time so far (user, nice, system, irq, softirq; all cores) from /proc/stat:
    what a benchmark whose work runs in other processes (a browser, the kernel's journal) costs."""
    with open("/proc/stat", encoding="ascii") as stat:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, stat.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
