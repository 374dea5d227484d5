"""The one unlocked key of a console, kept in memory only and dropped when idle or on "Khóa".

Activity is a request that needs the key; after ``idle_seconds`` without one, the next look finds
nothing: the key object is forgotten (Python cannot wipe memory, but nothing refers to it any more).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

DEFAULT_IDLE_SECONDS = 15 * 60


class KeyHolder:
    def __init__(self, idle_seconds: int = DEFAULT_IDLE_SECONDS, clock: Callable[[], float] | None = None):
        self.idle_seconds = idle_seconds
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._actor = None
        self._last_used = 0.0

    def hold(self, actor) -> None:
        with self._lock:
            self._actor = actor
            self._last_used = self._clock()

    def current(self, touch: bool = True):
        """The unlocked actor, or None when locked or idle too long (which locks it)."""
        with self._lock:
            if self._actor is not None and self._clock() - self._last_used > self.idle_seconds:
                self._actor = None
            if self._actor is not None and touch:
                self._last_used = self._clock()
            return self._actor

    def drop(self) -> None:
        with self._lock:
            self._actor = None
