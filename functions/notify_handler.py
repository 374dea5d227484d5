"""AWS Lambda entry point of the notice sender: one delivery round per invocation.

Invoked by EventBridge when intake creates ``notices/queue/…`` in the data bucket, and every 5 minutes
(retries, batches, the 12-hour reminder). The event's content is not read: a round looks at the queue
itself, so a duplicate or lost event changes nothing. Nothing heavy is imported here; the settings and
storage are built once per container, channels (smtplib, boto3's SNS client) only when a round needs them.
"""

from __future__ import annotations

_state: dict = {}


def _storage_and_config():
    if "storage" not in _state:
        from .config import Config
        from .storage import open_storage

        config = Config.from_env()
        _state["config"], _state["storage"] = config, open_storage(config)
    return _state["storage"], _state["config"]


def handler(event, context) -> dict:
    """Deliver what is due now; returns the round's counts (no address, no text)."""
    from .notifications.sender import deliver_once

    storage, config = _storage_and_config()
    done = deliver_once(storage, config)
    return {"planned": done.planned, "delivered": done.delivered, "failed": done.failed,
            "uncertain": done.uncertain, "waiting": done.waiting}
