"""Atomic counters in DynamoDB (rate limits, visit counts) for the S3 backend.

One item per counter: partition key ``pk`` (string), the value in ``n`` (number), changed only by
``UpdateItem ADD`` — atomic on the server, so concurrent Lambdas never lose an increment. Rate-limit
counters (``ratelimit/...``) also get ``expires_at`` (epoch seconds) so DynamoDB's TTL deletes them:
the keyed hashes of client addresses live a few hours, not forever.
"""

from __future__ import annotations

import time

from . import check_key
from .retry import DEFAULT_DEADLINE, botocore_config, with_retries

TTL_ATTRIBUTE = "expires_at"
# Rate-limit keys name their hour; keep them one more hour, then let TTL remove them.
RATELIMIT_TTL_SECONDS = 2 * 3600


class DynamoCounters:
    def __init__(self, table: str, client=None, *, region: str = "", endpoint_url: str = "",
                 key_prefix: str = "", deadline: float = DEFAULT_DEADLINE):
        self.table = table
        self.key_prefix = key_prefix
        self.deadline = deadline
        if client is None:
            import boto3

            client = boto3.client(
                "dynamodb", region_name=region or None, endpoint_url=endpoint_url or None,
                config=botocore_config(),
            )
        self.client = client

    @classmethod
    def from_config(cls, config, client=None) -> "DynamoCounters":
        prefix = config.s3_prefix.strip("/") + "/" if config.s3_prefix.strip("/") else ""
        return cls(config.dynamodb_table, client, region=config.s3_region,
                   endpoint_url=config.dynamodb_endpoint_url, key_prefix=prefix,
                   deadline=float(getattr(config, "storage_deadline_seconds", DEFAULT_DEADLINE)))

    def increment(self, counter: str, amount: int = 1) -> int:
        check_key(counter)
        names = {"#n": "n"}
        values = {":a": {"N": str(int(amount))}}
        expression = "ADD #n :a"
        if counter.startswith("ratelimit/"):
            names["#t"] = TTL_ATTRIBUTE
            values[":t"] = {"N": str(int(time.time()) + RATELIMIT_TTL_SECONDS)}
            expression += " SET #t = if_not_exists(#t, :t)"

        def call(_attempt: int) -> int:
            # ADD is atomic but not idempotent: if an answer is lost (read timeout) and botocore retries,
            # that increment counts twice. For rate limits and visit counts this errs on the safe side
            # (one extra count, very rarely), never on losing one — and ADD never conflicts, which a
            # compare-and-swap on the hot "visits/total" item would, constantly.
            answer = self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": self.key_prefix + counter}},
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
            return int(answer["Attributes"]["n"]["N"])

        return with_retries(call, "dynamodb counter", self.deadline)
