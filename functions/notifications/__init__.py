"""Notices to officers: told at once of a new report, reminded before the 12-hour deadline — never a word
of the report.

Only fixed Vietnamese text leaves the office (``messages``): a notice says that a report arrived and when
its initial assessment is due, nothing else — no description, category, commune, name, receipt, case
number or count. The pieces:

- ``outbox``: what intake writes when a report commits (a create-only queue entry holding the officers to
  tell, the 12-hour due time and, only when the office turned it on, the urgent flag), the non-secret
  "opened" marker and the failure log officers see as "không gửi được thông báo";
- ``sender``: ``deliver_once`` reads the queue and delivers with retries, backoff and batching, exactly
  once per recipient and notice (see its docstring for the crash rules);
- ``recipients``: who is told on which channel (ids in storage, addresses only from the keyring or settings);
- ``channels``: SMTP (``smtplib``), a signed HTTPS webhook (with the reference verifier) and SNS;
- ``messages``: the fixed Vietnamese text;
- ``background``: the sender thread of ``bvte serve`` (``functions/notify_handler.py`` on AWS);
- ``deadlines``: the officer-side counts for ``bvte notify remind`` (cases decrypted on the officer's computer).

This module imports nothing heavy: intake imports ``outbox`` alone.
"""

from .outbox import delivery_failures, mark_opened, queue_new_report

__all__ = ["delivery_failures", "mark_opened", "queue_new_report"]
