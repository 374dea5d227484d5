"""The sender on a thread beside a local server (``bvte serve``): a round at once when intake queues a report
(``outbox.WAKE``), and every ``interval`` seconds for retries, batches and reminders; stopped cleanly."""

from __future__ import annotations

import logging
import threading

from . import outbox

log = logging.getLogger(__name__)


class SenderThread:
    """``with SenderThread(storage, config): ...`` runs rounds until the block ends (then joins)."""

    def __init__(self, storage, config, interval: float = 30, channels: list | None = None):
        self.storage, self.config, self.interval, self.channels = storage, config, interval, channels
        self.stopping = threading.Event()
        self.rounds = 0
        self.thread = threading.Thread(target=self._run, name="bvte-notify", daemon=True)

    def _run(self) -> None:
        from .sender import deliver_once

        while not self.stopping.is_set():
            outbox.WAKE.clear()
            try:
                deliver_once(self.storage, self.config, channels=self.channels)
            except Exception as exc:  # noqa: BLE001 - a failed round is retried at the next; the server stays up
                log.error("notice round failed: %s", type(exc).__name__)
            self.rounds += 1
            outbox.WAKE.wait(self.interval)

    def __enter__(self) -> "SenderThread":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        outbox.WAKE.set()
        self.thread.join(timeout=self.config.notify_timeout_seconds * 4 + 5)
