"""Officer-side deadline counts for ``bvte notify remind``: how many clocks fall due within 24 hours and how
many are overdue, over the cases an officer's key opens. Only the two numbers ever leave the computer.

A case's clock facts are ``functions.core.case_clocks.case_facts`` (the console reads the same). Pure: no
storage, no key.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Iterable

from ..core.clocks import OVERDUE, Deadline

WINDOW = timedelta(hours=24)


def tally(deadline_lists: Iterable[list[Deadline]]) -> tuple[int, int]:
    """(due within 24 hours and still open, overdue) over every case's deadlines at their ``now``."""
    soon = overdue = 0
    for deadlines in deadline_lists:
        for deadline in deadlines:
            if deadline.status == OVERDUE:
                overdue += 1
            elif deadline.time_left is not None and timedelta(0) <= deadline.time_left <= WINDOW:
                soon += 1
    return soon, overdue
