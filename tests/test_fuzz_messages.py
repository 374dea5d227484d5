"""Fuzz of ``POST /api/tips/messages`` (issue 16), with a fixed seed: hostile bodies, headers and files, and
nearly valid messages to a real receipt (so the deep paths — cleaning, sealing, exactly once, the closed
check — are reached) never get a 5xx or a traceback, through ``dispatch`` and through Flask. The generators
and checks are tests/test_fuzz_intake.py's."""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from urllib.parse import quote_from_bytes

from functions.api import public_router
from functions.api.http import Context, Request
from functions.api.router import dispatch
from functions.core import tips
from functions.keys import load_public_key

from test_fuzz_intake import (ACCEPTS, MAGIC, ORIGINS, MemoryStorage, check, fuzz_config, hostile_text, json_body,
                              multipart_body, no_unhandled, urlencoded_body)  # noqa: F401 - no_unhandled: a fixture

SEED = 16
PATH = "/api/tips/messages"
FIELDS = ["receipt", "message", "message_id", "attachments"]
REQUESTS = 1_500
ADAPTER_REQUESTS = 150


def stored_receipt(ctx: Context) -> str:
    lock = tips.SingleKeyLock(load_public_key(ctx.config))
    fields = {"description": "Một tin báo để thử", "commune": "muong-ang", "category": "bao-luc"}
    return tips.store(ctx.storage, ctx.secret(), lock, "fuzz-messages-report-0001", fields, []).receipt


def nearly_valid(rng: random.Random, receipt: str) -> tuple[bytes, str]:
    values = {"receipt": receipt, "message": "Cháu vẫn ở nhà bà", "message_id": f"fuzz-message-{rng.randrange(50):06d}"}
    for name in rng.sample(sorted(values), k=rng.randrange(0, 3)):
        values[name] = hostile_text(rng)
    if rng.random() < 0.3:
        return json.dumps(values).encode("utf-8", "surrogatepass"), "application/json"
    if rng.random() < 0.3:
        pairs = [f"{k}={quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}" for k, v in values.items()]
        return "&".join(pairs).encode(), "application/x-www-form-urlencoded"
    boundary = "FuzzBoundary16"
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
                    + v.encode("utf-8", "surrogatepass") + b"\r\n" for k, v in values.items())
    for _ in range(rng.randrange(0, 3)):
        data = rng.choice(MAGIC) + rng.randbytes(rng.choice([10, 200, 2000]))
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="a.jpg"\r\n'
                 "Content-Type: image/jpeg\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def hostile(rng: random.Random, receipt: str) -> dict:
    kind = rng.random()
    if kind < 0.5:
        body, ctype = nearly_valid(rng, receipt)
    elif kind < 0.65:
        body, ctype = json_body(rng, FIELDS), "application/json"
    elif kind < 0.8:
        body, ctype = urlencoded_body(rng, FIELDS), "application/x-www-form-urlencoded"
    else:
        body, ctype = multipart_body(rng, FIELDS)
    headers = {"content-type": ctype}
    if rng.random() < 0.25:
        headers["origin"] = rng.choice(ORIGINS)
    accept = rng.choice(ACCEPTS)
    if accept:
        headers["accept"] = accept
    return {"method": "POST", "path": PATH, "headers": headers, "body": body, "client": f"198.51.100.{rng.randrange(8)}"}


def fuzz_context(tmp_path) -> tuple[Context, str]:
    ctx = Context(config=fuzz_config(tmp_path), storage=MemoryStorage())
    ctx.config.tip_message_floor_seconds = 0  # the floor has its own test; here it would only cost time
    return ctx, stored_receipt(ctx)


def test_fuzzed_messages_through_dispatch_never_get_5xx(tmp_path, no_unhandled):  # noqa: F811
    ctx, receipt = fuzz_context(tmp_path)
    router, rng, statuses = public_router(), random.Random(SEED), Counter()
    for _ in range(REQUESTS):
        sent = hostile(rng, receipt)
        request = Request(method="POST", path=PATH, headers=dict(sent["headers"]), body=io.BytesIO(sent["body"]),
                          client_address=sent["client"], host_url="http://localhost")
        response = dispatch(router, request, ctx)
        check(response.status, response.headers, response.body, sent)
        statuses[response.status] += 1
    assert statuses[201] > 0 and statuses[400] > 0, statuses  # the deep path and the field checks were reached


def test_fuzzed_messages_through_flask_never_get_5xx(tmp_path, no_unhandled):  # noqa: F811
    from functions.web import create_app

    config = fuzz_config(tmp_path)
    config.tip_message_floor_seconds = 0
    app = create_app(config, storage=MemoryStorage())
    receipt = stored_receipt(app.extensions["bvte"])
    client, rng = app.test_client(), random.Random(f"{SEED}|flask")
    for _ in range(ADAPTER_REQUESTS):
        sent = hostile(rng, receipt)
        headers = {k: v.encode("utf-8", "surrogatepass").decode("latin-1") for k, v in sent["headers"].items()}
        answer = client.post(PATH, headers=headers, data=sent["body"], environ_base={"REMOTE_ADDR": sent["client"]})
        check(answer.status_code, dict(answer.headers), answer.data, sent)
