"""The status lookup's least privilege in template.yaml matches what the code really touches.

Every key ``POST /api/assessments/status`` reads, every prefix it lists and every counter it bumps is
recorded on the real handler and checked against AssessmentStatusFunction's policy (IAM wildcards), and
the evidence of a self-assessment stays outside that policy."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from functions.config import REPO_ROOT
from functions.core import office_keys, review_store
from functions.core.assessment_review import decide
from functions.keys import DEV_PASSPHRASE, dev_officer_key, ensure_dev_office
from tests.test_assessments import JSON, PDF, form

YEAR = dt.date.today().year
SUB_PREFIX = re.compile(r"^\$\{DataBucket\.Arn\}/\$\{DataPrefix\}")


def _iam_pattern(arn: str) -> re.Pattern:
    """An IAM resource or StringLike pattern as a regex: ``*`` any run of characters, ``?`` one."""
    return re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in arn) + r"\Z")


@pytest.fixture(scope="module")
def policy() -> dict[str, list[re.Pattern]]:
    """AssessmentStatusFunction's allowed S3 reads, list prefixes and counter keys, without the data prefix."""
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))
    props = template["Resources"]["AssessmentStatusFunction"]["Properties"]
    assert props["Environment"]["Variables"]["BVTE_LAMBDA_AREAS"] == "assessment_status"
    found: dict[str, list[re.Pattern]] = {"read": [], "list": [], "count": []}
    for statement in props["Policies"][0]["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert set(actions) <= {"s3:GetObject", "s3:ListBucket", "dynamodb:UpdateItem"}, actions  # nothing written
        if actions == ["s3:GetObject"]:
            found["read"] += [_iam_pattern(SUB_PREFIX.sub("", r["Fn::Sub"])) for r in statement["Resource"]]
        elif actions == ["s3:ListBucket"]:
            prefixes = statement["Condition"]["StringLike"]["s3:prefix"]
            found["list"] += [_iam_pattern(p["Fn::Sub"].replace("${DataPrefix}", "")) for p in prefixes]
        else:
            keys = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            found["count"] += [_iam_pattern(k["Fn::Sub"].replace("${DataPrefix}", "")) for k in keys]
    return found


class RecordingStorage:
    """The app's storage, noting every key read, prefix listed and counter incremented."""

    def __init__(self, inner):
        self.inner, self.read_keys, self.listed, self.counted = inner, [], [], []

    def read(self, key, *args, **kwargs):
        self.read_keys.append(key)
        return self.inner.read(key, *args, **kwargs)

    def list(self, prefix, *args, **kwargs):
        self.listed.append(prefix)
        return self.inner.list(prefix, *args, **kwargs)

    def increment(self, counter, *args, **kwargs):
        self.counted.append(counter)
        return self.inner.increment(counter, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def app(config):
    from functions.web import create_app

    ensure_dev_office(config)
    return create_app(config)


def _allowed(value: str, patterns: list[re.Pattern]) -> bool:
    return any(p.match(value) for p in patterns)


def test_the_lookup_touches_only_what_its_function_may(client, app, code, rubric, storage, config, policy):
    from functions.web import context

    sent = client.post("/api/assessments", data={**form(code, rubric), "evidence_tc03": (io.BytesIO(PDF), "a.pdf")},
                       headers=JSON, content_type="multipart/form-data").get_json()["assessment"]
    decision = decide(rubric, sent, {"outcome": "tra-lai", "deadline": (dt.date.today() + dt.timedelta(days=9))
                                     .isoformat(), "verdict_tc03": "can-bo-sung"}, today=dt.date.today())
    identity = office_keys.unlock(dev_officer_key(config).read_bytes(), DEV_PASSPHRASE)
    review_store.write_review(storage, commune_id="muong-ang", year=YEAR, version=1,
                              submission_sha256=review_store.submission_digest(storage, YEAR, "muong-ang", 1),
                              decision=decision, author="can-bo-phat-trien", identity=identity)
    recorder = RecordingStorage(storage)
    context(app).storage = recorder
    data = {"commune": "muong-ang", "year": str(YEAR), "access_code": code}
    answer = client.post("/api/assessments/status", data=data, headers=JSON)
    assert answer.get_json()["assessment_status"]["status"] == "tra-lai"  # the review was read through the policy
    wrong = client.post("/api/assessments/status", data={**data, "access_code": "AAAA-BBBB-CCCC-DDDD"}, headers=JSON)
    assert wrong.status_code == 401
    assert recorder.read_keys and recorder.listed and recorder.counted
    assert any(k.startswith("keyring/") for k in recorder.read_keys)  # reviews verified against the keyring
    assert [k for k in recorder.read_keys if not _allowed(k, policy["read"])] == []
    assert [p for p in recorder.listed if not _allowed(p, policy["list"])] == []
    assert [c for c in recorder.counted if not _allowed(c, policy["count"])] == []
    evidence = [k for k in storage.list("assessments/evidence/")]
    assert evidence and not any(_allowed(k, policy["read"]) for k in evidence)
    assert not _allowed("assessments/evidence/", policy["list"])
