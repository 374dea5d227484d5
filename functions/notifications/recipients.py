"""Who is told of a queued report, on which channel, at which address.

A target is ``(channel name, recipient id, address)``. Recipient ids name storage keys and failure records,
so they are never addresses: an officer's id from the keyring, ``_to-<hash>`` for an address of
``BVTE_NOTIFY_TO`` (a short hash, so changing the order of the list changes nothing), ``_office`` for an
SNS topic or a webhook told of a report no officer of the keyring covers.

- SMTP: each officer of the entry whose keyring entry has an e-mail, and every ``BVTE_NOTIFY_TO`` address;
- webhook: each officer of the entry (the relay maps ids to Zalo, Telegram or SMS), else ``_office``;
- SNS: ``_office`` (the topic's subscribers).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

OFFICE = "_office"


@dataclass(frozen=True)
class Target:
    channel: str
    recipient: str
    address: str


def notify_to(config) -> list[str]:
    return [a.strip() for a in (config.notify_to or "").split(",") if a.strip()]


def address_id(address: str) -> str:
    return "_to-" + hashlib.blake2b(address.strip().lower().encode("utf-8"), digest_size=6).hexdigest()


def targets(entry: dict, channel_names: set[str], emails: dict[str, str], extra_addresses: list[str]) -> list[Target]:
    """The targets of one queue entry (``emails``: officer id → e-mail from the keyring)."""
    officers = [str(o) for o in entry.get("officers", [])]
    found: list[Target] = []
    if "smtp" in channel_names:
        found += [Target("smtp", o, emails[o]) for o in officers if emails.get(o)]
        found += [Target("smtp", address_id(a), a) for a in extra_addresses]
    if "webhook" in channel_names:
        found += [Target("webhook", o, o) for o in officers] or [Target("webhook", OFFICE, OFFICE)]
    if "sns" in channel_names:
        found.append(Target("sns", OFFICE, OFFICE))
    return found


def keyring_emails(config, storage) -> dict[str, str]:
    """Officer id → e-mail, from the newest keyring that verifies (empty without an office root)."""
    from ..core import office_keys
    from ..keys import load_office_root

    root = load_office_root(config)
    if root is None:
        return {}
    keyring = office_keys.current_keyring(storage, root)
    return {o.id: o.email for o in keyring.officers if o.email}


def address_of(channel: str, recipient: str, emails: dict[str, str], extra: list[str]) -> str:
    """The address of a recipient id as the settings and keyring say now ("" when no longer there)."""
    if channel != "smtp":
        return recipient
    if recipient.startswith("_to-"):
        return next((a for a in extra if address_id(a) == recipient), "")
    return emails.get(recipient, "")
