"""Delivery under stress, against a real SMTP server on 127.0.0.1: a sender process killed mid-batch (each
officer still gets each notice exactly once) and a flood of 500 reports in a minute (a bounded number of
notices, every report told to every officer exactly once); and the AWS shape (S3 storage, an SNS topic)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from test_notifications import Office, smtp_server, smtp_settings

from functions.config import REPO_ROOT
from functions.notifications import delivery_failures, outbox
from functions.notifications.sender import CLAIMS, OUT, deliver_once
from functions.storage import open_storage

OFFICERS = [f"can-bo-{n}" for n in range(1, 7)]


def address(officer_id: str) -> str:
    return f"{officer_id}@van-phong.test"


def office_with(config, officers: list[str]):
    storage = open_storage(config)
    office = Office(storage, config)
    for officer_id in officers:
        office.add(officer_id, ("*",), address(officer_id))
    return storage


def test_a_sender_killed_mid_batch_leaves_each_officer_with_each_notice_exactly_once(config):
    storage = office_with(config, OFFICERS)
    now = datetime.now(timezone.utc)
    for n in range(3):
        outbox.queue_new_report(storage, f"{n:032x}", OFFICERS, now)
    with smtp_server() as (port, inbox):
        inbox.block_at = 3  # hold the third message: the sender is killed before it hears "250"
        env = {**os.environ, "BVTE_DATA_DIR": str(config.data_dir), "BVTE_SMTP_HOST": "127.0.0.1",
               "BVTE_SMTP_PORT": str(port), "BVTE_SMTP_SECURITY": "none", "BVTE_SMTP_FROM": "tb@van-phong.test"}
        sender = subprocess.Popen([sys.executable, "-c", "from functions.commands import main; main()", "notify", "send"],
                                  cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            while not inbox.reached.wait(0.2):  # the held message, or the sender ending without it
                assert sender.poll() is None, sender.stdout.read().decode("utf-8", "replace")
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(30)
            sender.stdout.close()
            inbox.release.set()
        assert sender.returncode == -signal.SIGKILL and inbox.count() == 3
        # A new sender, once the dead one's lease is over, finishes the batch.
        cfg = smtp_settings(config, port)
        after_lease = datetime.now(timezone.utc) + timedelta(seconds=4 * cfg.notify_timeout_seconds + 61)
        result = deliver_once(storage, cfg, now=after_lease)
        assert result.delivered == 3 and result.uncertain == 1
        assert deliver_once(storage, cfg, now=after_lease + timedelta(minutes=30)).delivered == 0
        counts = {officer_id: len(inbox.to(address(officer_id))) for officer_id in OFFICERS}
    assert counts == {officer_id: 1 for officer_id in OFFICERS}
    # The notice in flight at the kill did arrive, but the sender cannot know: it says so, never resends.
    assert [f["reason"] for f in delivery_failures(storage, now)] == ["uncertain"]


def test_a_flood_of_500_reports_in_a_minute_gives_each_officer_a_few_notices_covering_all(config):
    officers = OFFICERS[:2]
    storage = office_with(config, officers)
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    with smtp_server() as (port, inbox):
        cfg = smtp_settings(config, port)
        queued = 0
        for second in range(0, 11 * 60, 15):  # 11 minutes of rounds every 15 s; reports come in the first
            moment = start + timedelta(seconds=second)
            while queued < 500 and second < 60 and queued < (second + 15) * 500 // 60:
                outbox.queue_new_report(storage, f"{queued:032x}", officers, moment)
                queued += 1
            deliver_once(storage, cfg, now=moment)
        assert queued == 500
        per_officer = {officer_id: len(inbox.to(address(officer_id))) for officer_id in officers}
    # Windows of 5 minutes, never two plans in neighbouring windows: at most 3 notices in 11 minutes.
    assert all(1 <= count <= 3 for count in per_officer.values()), per_officer
    for officer_id in officers:
        claimed = [k for k in storage.list(CLAIMS) if f"/smtp/{officer_id}/" in k]
        assert len(claimed) == 500  # every report is in exactly one notice to this officer
        done = [k for k in storage.list(OUT) if f"/smtp/{officer_id}/" in k and k.endswith("/done")]
        assert len(done) == per_officer[officer_id]


@pytest.mark.s3
def test_on_s3_storage_and_an_sns_topic_each_report_is_published_once(config, seaweedfs, dynamodb):
    """The AWS shape: queue and delivery state in an S3-compatible bucket (SeaweedFS), notices to an SNS
    topic (moto server), read back through an SQS queue subscribed to it."""
    import boto3

    from functions.notifications.channels import SnsChannel
    from s3_servers import REGION, s3_storage

    storage = s3_storage(seaweedfs)
    clients = {name: boto3.client(name, region_name=REGION, endpoint_url=dynamodb.endpoint,
                                  aws_access_key_id="moto", aws_secret_access_key="moto") for name in ("sns", "sqs")}
    topic = clients["sns"].create_topic(Name="bvte-thong-bao")["TopicArn"]
    queue = clients["sqs"].create_queue(QueueName="can-bo")["QueueUrl"]
    queue_arn = clients["sqs"].get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    clients["sns"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                             Attributes={"RawMessageDelivery": "true"})
    now = datetime.now(timezone.utc)
    for n in range(3):
        outbox.queue_new_report(storage, f"{n:032x}", [], now + timedelta(seconds=n))
    channel = SnsChannel(topic, client=clients["sns"])
    assert deliver_once(storage, config, now=now + timedelta(seconds=5), channels=[channel]).delivered == 1
    assert deliver_once(storage, config, now=now + timedelta(minutes=6), channels=[channel]).delivered == 0
    got = clients["sqs"].receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 1 and "Có tin báo mới cần xem trong bảng điều khiển." in got[0]["Body"]
    assert len([k for k in storage.list(CLAIMS)]) == 3  # all three reports in that one notice
