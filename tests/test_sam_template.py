"""template.yaml: transformed by the SAM translator and linted by cfn-lint, offline; its promises checked.

Also: the CloudFront functions run in node on sample events, the site upload script against
SeaweedFS, and the Lambda packaging script (page shell included, Flask left out).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from functions.config import REPO_ROOT

TEMPLATE = REPO_ROOT / "template.yaml"


class OfflinePolicyLoader:
    """The translator asks for AWS managed policy ARNs only when a template names one: none here."""

    def load(self):
        return {"AWSLambdaBasicExecutionRole":
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}


@pytest.fixture(scope="module")
def sam_template():
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def transformed(sam_template, tmp_path_factory):
    import copy
    import os

    from samtranslator.translator.transform import transform

    template = copy.deepcopy(sam_template)
    # What `sam package` does: the code folder becomes an S3 object.
    template["Globals"]["Function"]["CodeUri"] = "s3://bvte-artifacts/lambda.zip"
    old = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = "ap-southeast-1"
    try:
        out = transform(template, {"OfficePublicKey": "A" * 43 + "=", "EdgeSecret": "e" * 64}, OfflinePolicyLoader())
    finally:
        if old is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = old
    return out


def resources(tpl, kind):
    return {name: r for name, r in tpl["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def lint_findings(transformed, tmp_path_factory) -> dict[str, list[dict]]:
    """cfn-lint's findings (all levels) for the transformed template and for a copy with a planted mistake (a
    bucket with an unknown property), by file name: one cfn-lint run for both, as its start-up is most of
    its cost."""
    import copy

    folder = tmp_path_factory.mktemp("cfn-lint")
    broken = copy.deepcopy(transformed)
    broken["Resources"]["DataBucket"]["Properties"]["VersioningConfigurationX"] = {"Status": "Enabled"}
    for name, template in (("transformed.json", transformed), ("broken.json", broken)):
        (folder / name).write_text(json.dumps(template), encoding="utf-8")
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--format", "json",
                             "transformed.json", "broken.json"], cwd=folder, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode != 0, "cfn-lint passed a template with a planted mistake"  # the lint step is real
    findings: dict[str, list[dict]] = {"transformed.json": [], "broken.json": []}
    for finding in json.loads(result.stdout):
        findings[finding["Filename"]].append(finding)
    return findings


def test_cfn_lint_passes_on_the_transformed_template(lint_findings):
    assert lint_findings["transformed.json"] == []


def test_cfn_lint_finds_a_planted_mistake(lint_findings):
    """The lint step is real: a bucket with an unknown property fails it."""
    assert [f["Level"] for f in lint_findings["broken.json"] if "VersioningConfigurationX" in f["Message"]] == ["Error"]


def test_data_bucket_is_private_encrypted_versioned_with_lifecycle(transformed):
    props = transformed["Resources"]["DataBucket"]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert all(props["PublicAccessBlockConfiguration"][k] is True for k in
               ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    rules = {r["Id"] for r in props["LifecycleConfiguration"]["Rules"]}
    assert {"old-versions", "unclaimed-uploads", "ratelimit-counters", "visitor-markers"} <= rules
    # Nothing that expires may ever hold a report, a receipt index or an assessment.
    for rule in props["LifecycleConfiguration"]["Rules"]:
        if "ExpirationInDays" in rule:
            prefix = json.dumps(rule["Prefix"])
            assert any(p in prefix for p in ("uploads/", ".counters/ratelimit/", "visits/seen/")), rule
    assert transformed["Resources"]["DataBucket"]["DeletionPolicy"] == "Retain"


def test_counters_table_has_ttl_matching_the_code(transformed):
    from functions.storage.dynamo import TTL_ATTRIBUTE

    table = transformed["Resources"]["CountersTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]


def test_http_api_is_throttled_and_every_public_route_has_its_own_function(transformed, sam_template):
    from functions.api import all_routes

    api = sam_template["Resources"]["Api"]["Properties"]
    assert api["DefaultRouteSettings"]["ThrottlingBurstLimit"] and api["DefaultRouteSettings"]["ThrottlingRateLimit"]
    routes = {}
    for name, res in resources(sam_template, "AWS::Serverless::Function").items():
        for event in res["Properties"]["Events"].values():
            if event["Type"] != "HttpApi":
                continue  # the notice sender runs on storage events and a schedule, not on a route
            routes[(event["Properties"]["Method"], event["Properties"]["Path"])] = name
    # Every endpoint the code serves is deployed; no function serves two areas.
    from functions.api.uploads import LOCAL_PATH

    # The local stand-in for S3's POST Object is not deployed (it answers 404 on S3 storage anyway).
    served = {(m, p) for m, p, _ in all_routes() if p != LOCAL_PATH}
    assert served <= set(routes), served - set(routes)
    # Each function imports only its own area (BVTE_LAMBDA_AREAS) and that area serves its paths.
    import importlib

    for (method, path), name in routes.items():
        area = sam_template["Resources"][name]["Properties"]["Environment"]["Variables"]["BVTE_LAMBDA_AREAS"]
        served_here = {(m, p) for m, p, _ in importlib.import_module(f"functions.api.{area}").ROUTES}  # noqa
        assert (method, path) in served_here, (name, method, path)
    assert routes[("POST", "/api/tips")] != routes[("POST", "/api/tips/status")] != routes[("POST", "/api/assessments")]


def test_the_assessment_status_lookup_has_its_own_function_that_writes_nothing(transformed, sam_template):
    """Its exact reads are checked against the code in tests/test_assessments_status_policy.py."""
    props = sam_template["Resources"]["AssessmentStatusFunction"]["Properties"]
    assert props["Events"]["Post"]["Properties"]["Path"] == "/api/assessments/status"
    assert props["Environment"]["Variables"]["BVTE_LAMBDA_AREAS"] == "assessment_status"
    actions = _text([s["Action"] for s in _statements(transformed, "AssessmentStatusFunction")])
    assert "s3:PutObject" not in actions and "s3:DeleteObject" not in actions and "s3:*" not in actions


def _statements(transformed, function):
    role = transformed["Resources"][f"{function}Role"]["Properties"]
    out = []
    for policy in role.get("Policies", []):
        out.extend(policy["PolicyDocument"]["Statement"])
    return out


def _text(value) -> str:
    return json.dumps(value)


def test_intake_may_only_create_under_its_own_prefixes(transformed):
    statements = _statements(transformed, "TipsFunction")
    writes = [s for s in statements if "s3:PutObject" in _text(s["Action"])]
    assert len(writes) == 1
    # The report under tips/, its receipt index, its case-number index entry (cases/), the content fingerprint
    # that tells a changed resend from a retry (fingerprints/) and the officers' content-free notice.
    allowed = ("tips/*", "receipts/*", "cases/*", "fingerprints/*", "notices/queue/*")
    assert all(any(p in _text(r) for p in allowed) for r in writes[0]["Resource"])
    reads = [s for s in statements if "s3:GetObject" in _text(s["Action"])]
    # Only HEAD of the sealed record (exactly-once check), never the receipts index or attachments.
    assert len(reads) == 1 and "report.sealed" in _text(reads[0]["Resource"])
    assert not any("s3:*" in _text(s["Action"]) or "s3:DeleteObject" in _text(s["Action"]) for s in statements)


def test_no_public_function_can_read_report_content(transformed):
    for name in resources(transformed, "AWS::Lambda::Function"):
        for s in _statements(transformed, name):
            if s.get("Effect") != "Allow" or "s3:GetObject" not in _text(s["Action"]):
                continue
            for resource in s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]:
                text = _text(resource)
                # Attachments and the tips tree as a whole are out of every public function's reach.
                assert "attachments" not in text, (name, text)
                assert not text.rstrip('"]}').endswith("tips/*"), (name, text)
                assert '"*"' not in text, (name, text)


def test_site_is_served_through_oac_with_security_headers_and_twins(transformed):
    res = transformed["Resources"]
    dist = res["SiteDistribution"]["Properties"]["DistributionConfig"]
    site_origin = next(o for o in dist["Origins"] if o["Id"] == "site")
    assert "OriginAccessControlId" in site_origin
    default = dist["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https" and default["Compress"] is False
    assert default["FunctionAssociations"][0]["EventType"] == "viewer-request"
    headers = res["SiteHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = _text(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "same-origin"
    assert res["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    api = next(b for b in dist["CacheBehaviors"] if b["PathPattern"] == "/api/*")
    assert "POST" in api["AllowedMethods"]


def _run_cloudfront_function(code: str, events: list[dict]) -> list[dict]:
    script = code + "\nconst events = " + json.dumps(events) + ";\n" \
        "console.log(JSON.stringify(events.map(e => handler(e))));\n"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_site_rewrite_picks_index_and_the_accepted_twin(sam_template):
    code = sam_template["Resources"]["SiteRewrite"]["Properties"]["FunctionCode"]

    def ev(uri, ae=None):
        headers = {"accept-encoding": {"value": ae}} if ae else {}
        return {"request": {"uri": uri, "headers": headers}}

    out = _run_cloudfront_function(code, [
        ev("/", "gzip, deflate, br"), ev("/bao-tin/", "gzip"), ev("/assets/app.css", "identity"),
        ev("/bao-tin", "br"), ev("/assets/logo.png", "br"), ev("/search.json", "gzip, br;q=0.5"),
        ev("/brochure.html", "gzip"),
    ])
    assert out[0]["uri"] == "/index.html.br"
    assert out[1]["uri"] == "/bao-tin/index.html.gz"
    assert out[2]["uri"] == "/assets/app.css"
    assert out[3]["statusCode"] == 301 and out[3]["headers"]["location"]["value"] == "/bao-tin/"
    assert out[4]["uri"] == "/assets/logo.png"
    assert out[5]["uri"] == "/search.json.br"
    assert out[6]["uri"] == "/brochure.html.gz"  # "br" inside a word is not brotli


def test_api_forward_host_passes_the_site_host(sam_template):
    code = sam_template["Resources"]["ApiForwardHost"]["Properties"]["FunctionCode"]
    out = _run_cloudfront_function(code, [{"request": {"uri": "/api/tips", "headers": {
        "host": {"value": "baovetreem.example.vn"}}}}])
    assert out[0]["headers"]["x-forwarded-host"]["value"] == "baovetreem.example.vn"


def test_package_lambda_includes_the_shell_and_leaves_flask_out(built_site, tmp_path):
    sys.path.insert(0, str(REPO_ROOT / "deploy"))
    try:
        import package_lambda
    finally:
        sys.path.pop(0)
    out = package_lambda.package(built_site, tmp_path / "lambda")
    shell = (out / "site" / "_shell" / "index.html").read_text(encoding="utf-8")
    assert "<!--bvte:main-->" in shell
    assert (out / "functions" / "lambda_handler.py").is_file()
    assert not (out / "functions" / "web").exists()
    assert (out / "content" / "data" / "places.yml").is_file()
    reqs = (out / "requirements.txt").read_text().lower()
    assert "boto3==" in reqs and "python-multipart==" in reqs and "flask" not in reqs and "werkzeug" not in reqs
    # The packaged code answers a real event with the shell: BVTE_SITE_DIR as in template.yaml.
    env = {"PATH": "/usr/bin:/bin", "BVTE_SITE_DIR": str(out / "site"), "BVTE_DATA_DIR": str(tmp_path / "var"),
           "PYTHONPATH": str(out)}
    code = ("import json,sys; import functions.lambda_handler as h; import functions.pages as p;"
            "print(json.dumps([h.get_context().config.site_dir.as_posix(), '<!--bvte:main-->' in "
            "(h.get_context().config.site_dir / '_shell' / 'index.html').read_text()]))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == [(out / "site").as_posix(), True]


@pytest.mark.s3
def test_upload_site_stores_twins_with_their_encoding(seaweedfs, tmp_path):
    from s3_servers import BUCKET, unique_prefix

    sys.path.insert(0, str(REPO_ROOT / "deploy"))
    try:
        import upload_site
    finally:
        sys.path.pop(0)
    site = tmp_path / "site"
    (site / "bao-tin").mkdir(parents=True)
    page = ("<!doctype html><title>Báo tin</title>" + "<p>Gọi 111</p>" * 100).encode()
    (site / "bao-tin" / "index.html").write_bytes(page)
    (site / "bao-tin" / "index.html.gz").write_bytes(gzip.compress(page))
    import brotli

    (site / "bao-tin" / "index.html.br").write_bytes(brotli.compress(page))
    (site / "tiny.css").write_bytes(b"a{color:red}")  # under 512 bytes: the build made no twin
    (site / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    client = seaweedfs.client()
    prefix = unique_prefix() + "/"
    assert upload_site.upload(site, BUCKET, client, prefix) == 7  # page + 2 twins, css + 2 copies, png

    def head(key):
        return client.head_object(Bucket=BUCKET, Key=prefix + key)

    assert head("bao-tin/index.html").get("ContentEncoding") in (None, "")
    assert head("bao-tin/index.html.br")["ContentEncoding"] == "br"
    assert head("bao-tin/index.html.br")["ContentType"] == "text/html; charset=utf-8"
    assert head("bao-tin/index.html.gz")["ContentEncoding"] == "gzip"
    got = client.get_object(Bucket=BUCKET, Key=prefix + "bao-tin/index.html.br")["Body"].read()
    assert brotli.decompress(got) == page
    assert head("tiny.css.br").get("ContentEncoding") in (None, "")
    assert client.get_object(Bucket=BUCKET, Key=prefix + "tiny.css.gz")["Body"].read() == b"a{color:red}"
    assert head("logo.png")["ContentType"] == "image/png"


def test_gunicorn_config_loads_the_app(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "BVTE_DATA_DIR": str(tmp_path / "var")}
    res = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "--check-config", "-c",
                          str(REPO_ROOT / "deploy" / "gunicorn.conf.py")], capture_output=True, text=True, env=env,
                         cwd=REPO_ROOT, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    text = (REPO_ROOT / "deploy" / "gunicorn.conf.py").read_text()
    assert 'bind = os.environ.get("BVTE_BIND", "127.0.0.1:' in text and "accesslog = None" in text
    # Issue 15: forwarded headers only from the configured proxy; a bounded time per request (sync workers:
    # gthread's blocking reads have no bound), and the settings as gunicorn reads them.
    import runpy

    settings = runpy.run_path(str(REPO_ROOT / "deploy" / "gunicorn.conf.py"))
    assert settings["worker_class"] == "sync" and settings.get("threads", 1) == 1 and 0 < settings["timeout"] <= 60
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1" and settings["loglevel"] == "error"
    monkeypatched = dict(os.environ, BVTE_TRUSTED_PROXIES="10.1.2.3")
    code = "import runpy,sys; print(runpy.run_path(sys.argv[1])['forwarded_allow_ips'])"
    out = subprocess.run([sys.executable, "-c", code, str(REPO_ROOT / "deploy" / "gunicorn.conf.py")],
                         capture_output=True, text=True, env=monkeypatched, timeout=60)
    assert out.stdout.strip() == "10.1.2.3"


def test_a_slow_client_reaching_gunicorn_directly_holds_a_worker_only_until_the_timeout(tmp_path):
    import socket
    import time

    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PATH": "/usr/bin:/bin", "BVTE_DATA_DIR": str(tmp_path / "var"), "BVTE_BIND": f"127.0.0.1:{port}",
           "BVTE_WORKERS": "1", "BVTE_WORKER_TIMEOUT": "2"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c",
                               str(REPO_ROOT / "deploy" / "gunicorn.conf.py")], env=env, cwd=REPO_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:  # until it answers (the app loads in the worker)
            try:
                assert requests.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code in (200, 503)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)  # polling for the port to open, not standing in for a result
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            slow.sendall(b"POST /api/visits HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-")  # and nothing more
            started = time.monotonic()
            try:
                answer = slow.recv(1024)
                closed = answer == b""  # closed, no 5xx page
            except ConnectionResetError:
                closed = True
            held = time.monotonic() - started
        assert closed and held < 15, held  # dropped after the 2 s timeout (plus the arbiter's tick)
        assert requests.get(f"http://127.0.0.1:{port}/api/health", timeout=30).status_code in (200, 503)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def test_forwarded_headers_are_believed_only_from_the_trusted_proxy(tmp_path, monkeypatch):
    import importlib.util

    from werkzeug.test import Client

    monkeypatch.setenv("BVTE_DATA_DIR", str(tmp_path / "var"))
    spec = importlib.util.spec_from_file_location("bvte_wsgi_gate", REPO_ROOT / "deploy" / "wsgi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def echo(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['REMOTE_ADDR']} {environ['HTTP_HOST']} {environ['wsgi.url_scheme']}".encode()]

    gate = module.FromTrustedProxyOnly(echo, module.trusted_proxies("127.0.0.1, ::1"))
    forwarded = {"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Host": "baovetreem.example.vn",
                 "X-Forwarded-Proto": "https"}
    from_proxy = Client(gate).get("/", headers=forwarded, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert from_proxy.get_data(as_text=True) == "198.51.100.9 baovetreem.example.vn https"
    direct = Client(gate).get("/", headers=forwarded, environ_base={"REMOTE_ADDR": "127.0.0.7"})
    assert direct.get_data(as_text=True) == "127.0.0.7 localhost http"  # its own address, host and scheme
    # Through the real application: a direct client naming the public host is not this site's page.
    proxied = {**forwarded, "Origin": "https://baovetreem.example.vn", "Accept": "application/json"}
    app = Client(module.application)
    assert app.post("/api/tips", json={"description": ""}, headers=proxied,
                    environ_base={"REMOTE_ADDR": "127.0.0.7"}).status_code == 403
    assert app.post("/api/tips", json={"description": ""}, headers=proxied).status_code == 400  # via nginx


def test_self_hosted_wsgi_trusts_one_proxy_hop_for_origin_and_address(tmp_path, monkeypatch):
    import importlib.util

    from werkzeug.test import Client

    monkeypatch.setenv("BVTE_DATA_DIR", str(tmp_path / "var"))
    spec = importlib.util.spec_from_file_location("bvte_wsgi", REPO_ROOT / "deploy" / "wsgi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    client = Client(module.application)
    proxied = {"X-Forwarded-Host": "baovetreem.example.vn", "X-Forwarded-Proto": "https",
               "X-Forwarded-For": "198.51.100.9", "Origin": "https://baovetreem.example.vn",
               "Accept": "application/json"}
    # Same-origin through nginx: not refused as cross-site (400: the empty form's fields).
    r = client.post("/api/tips", json={"description": ""}, headers=proxied)
    assert r.status_code == 400
    r = client.post("/api/tips", json={"description": ""}, headers={**proxied, "Origin": "https://evil.example.com"})
    assert r.status_code == 403


def test_nginx_example_keeps_addresses_out_of_logs_and_limits_bodies():
    text = (REPO_ROOT / "deploy" / "nginx.conf").read_text()
    log_format = next(line for line in text.splitlines() if line.startswith("log_format"))
    assert "$remote_addr" not in log_format and "$http_referer" not in log_format
    assert "gzip_static on;" in text and "brotli_static on;" in text
    assert "client_max_body_size" in text and "ssl_certificate" in text
    assert "proxy_pass http://127.0.0.1:8000;" in text
    # Issue 15: slow clients dropped by nginx, never handed on.
    for setting in ("client_header_timeout 10s;", "client_body_timeout 60s;", "send_timeout 30s;"):
        assert setting in text


def test_only_cloudfront_can_name_the_client_address(transformed):
    """CloudFront adds the edge secret to API requests; the functions get the same secret to check it."""
    resources = transformed["Resources"]
    params = transformed["Parameters"]["EdgeSecret"]
    assert params["NoEcho"] is True and params["MinLength"] >= 32
    dist = next(r for r in resources.values() if r["Type"] == "AWS::CloudFront::Distribution")
    api_origin = next(o for o in dist["Properties"]["DistributionConfig"]["Origins"] if "CustomOriginConfig" in o)
    assert api_origin["OriginCustomHeaders"] == [{"HeaderName": "X-Bvte-Edge", "HeaderValue": {"Ref": "EdgeSecret"}}]
    functions = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    assert functions and all(f["Properties"]["Environment"]["Variables"]["BVTE_EDGE_SECRET"] == {"Ref": "EdgeSecret"}
                             for f in functions)


def test_the_notice_sender_reads_and_writes_only_notices_and_publishes_to_its_topic(transformed, sam_template):
    statements = _statements(transformed, "NotifyFunction")
    for statement in statements:
        text = _text(statement["Resource"])
        assert "tips/" not in text and "receipts/" not in text and "keyring/" not in text, statement
        assert "*" not in _text(statement["Action"]), statement
    writes = [s for s in statements if "s3:PutObject" in _text(s["Action"])]
    assert len(writes) == 1 and all(any(p in _text(r) for p in ("notices/out/*", "notices/claims/*",
                                                                "notices/failures/*")) for r in writes[0]["Resource"])
    reads = [s for s in statements if "s3:GetObject" in _text(s["Action"])]
    assert len(reads) == 1 and "notices/*" in _text(reads[0]["Resource"])
    listing = next(s for s in statements if "s3:ListBucket" in _text(s["Action"]))
    assert listing["Resource"] == {"Fn::GetAtt": ["DataBucket", "Arn"]}  # the bucket (key names), no object
    publish = next(s for s in statements if "sns:Publish" in _text(s["Action"]))
    assert publish["Resource"] == {"Ref": "NotifyTopic"}
    props = sam_template["Resources"]["NotifyFunction"]["Properties"]
    assert props["Handler"] == "functions.notify_handler.handler"
    assert props["Events"]["Queued"]["Properties"]["Pattern"]["detail"]["object"]["key"][0]["prefix"] == {
        "Fn::Sub": "${DataPrefix}notices/queue/"}
    assert sam_template["Resources"]["DataBucket"]["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}}


def test_the_notice_sender_imports_light_and_runs_a_round(tmp_path):
    """Importing the Lambda entry point loads no channel, cloud client or web framework; a round on an
    empty queue sends nothing."""
    code = (
        "import sys, json; import functions.notify_handler as h; "
        "heavy = [m for m in ('boto3', 'smtplib', 'flask', 'werkzeug', 'yaml', 'holidays') if m in sys.modules]; "
        "print(json.dumps([heavy, h.handler({}, None)]))"
    )
    env = {"PATH": "/usr/bin:/bin", "BVTE_DATA_DIR": str(tmp_path), "BVTE_SMTP_HOST": "127.0.0.1",
           "BVTE_SMTP_PORT": "9", "BVTE_SMTP_SECURITY": "none", "BVTE_SMTP_FROM": "tb@van-phong.test"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
                         env=env)
    assert res.returncode == 0, res.stderr
    heavy, counts = json.loads(res.stdout)
    assert heavy == [] and counts == {"planned": 0, "delivered": 0, "failed": 0, "uncertain": 0, "waiting": 0}


def test_reporter_messages_may_only_create_messages_and_read_what_the_receipt_opens(transformed):
    """Issue 16: the function answering POST /api/tips/messages writes only messages and their notice, deletes
    only its own attachments of a lost race, and never reads an attachment, a case event or a report's photos."""
    statements = _statements(transformed, "TipMessagesFunction")
    writes = [s for s in statements if "s3:PutObject" in _text(s["Action"])]
    assert len(writes) == 1
    assert all(any(p in _text(r) for p in ("tips/*/messages/*", "notices/queue/*")) for r in writes[0]["Resource"])
    deletes = [s for s in statements if "s3:DeleteObject" in _text(s["Action"])]
    assert len(deletes) == 1 and "messages/*/*.box" in _text(deletes[0]["Resource"])
    reads = _text([s["Resource"] for s in statements if "s3:GetObject" in _text(s["Action"])])
    assert "attachments" not in reads and "/case/" not in reads and "*.box" not in reads
    assert not any("s3:*" in _text(s["Action"]) for s in statements)


def _sub_pattern(value) -> "re.Pattern":
    """An IAM resource or LeadingKeys pattern of the template (``!Sub`` with the bucket and data prefix) as
    a regex over storage keys: ``*`` any run of characters."""
    import re

    text = value["Fn::Sub"] if isinstance(value, dict) else str(value)
    text = text.replace("${DataBucket.Arn}/", "").replace("${DataPrefix}", "")
    return re.compile("".join(".*" if ch == "*" else re.escape(ch) for ch in text) + r"\Z")


def _policy(sam_template, function: str) -> dict[str, list]:
    """A function's S3 creates, S3 reads (HEAD included), listed prefixes and counters, as key patterns
    (a ListBucket without a prefix condition allows every prefix)."""
    found: dict[str, list] = {"create": [], "read": [], "list": [], "count": []}
    for statement in sam_template["Resources"][function]["Properties"]["Policies"][0]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if "s3:PutObject" in actions:
            found["create"] += [_sub_pattern(r) for r in resources]
        if "s3:GetObject" in actions:
            found["read"] += [_sub_pattern(r) for r in resources]
        if "s3:ListBucket" in actions:
            prefixes = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix", ["*"])
            found["list"] += [_sub_pattern(k) for k in (prefixes if isinstance(prefixes, list) else [prefixes])]
        if "dynamodb:UpdateItem" in actions:
            keys = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            found["count"] += [_sub_pattern(k) for k in keys]
    return found


def _recording(storage, touched: dict[str, list[str]]):
    """``storage`` that writes down each key created, read (GET or HEAD), listed or counted."""

    class Recording:
        def create(self, key, data):
            touched["create"].append(key)
            return storage.create(key, data)

        def read(self, key):
            touched["read"].append(key)
            return storage.read(key)

        def exists(self, key):
            touched["read"].append(key)  # a HEAD: s3:GetObject
            return storage.exists(key)

        def list(self, prefix=""):
            touched["list"].append(prefix)
            return storage.list(prefix)

        def increment(self, counter, amount=1):
            touched["count"].append(counter)
            return storage.increment(counter, amount)

        def __getattr__(self, name):
            return getattr(storage, name)

    return Recording()


def _outside(policy: dict[str, list], touched: dict[str, list[str]]) -> dict[str, list[str]]:
    """What the function did that its policy does not allow, by kind."""
    return {kind: [k for k in keys if not any(p.match(k) for p in policy[kind])]
            for kind, keys in touched.items() if kind in policy}


def test_the_report_intake_seals_to_the_root_and_keyring_on_aws_and_may_do_all_it_needs(sam_template, config):
    """The intake functions get the office root's public key (BVTE_OFFICE_PUBLIC_KEY from OfficeRootPublicKey),
    so on AWS a report becomes a case record sealed to the root and the keyring's officers; every key a real
    report of that format (with a photo, then its retry) creates, reads or counts is allowed by TipsFunction's
    policy, and nothing else: no attachment or case event is readable."""
    import io

    from PIL import Image

    from functions.keys import ensure_dev_office
    from functions.web import context, create_app

    resources = sam_template["Resources"]
    for name in ("TipsFunction", "TipMessagesFunction"):
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert variables["BVTE_OFFICE_PUBLIC_KEY"] == {"Ref": "OfficeRootPublicKey"}, name
    policy = _policy(sam_template, "TipsFunction")
    ensure_dev_office(config)
    app = create_app(config.replace(tips_per_hour=100))
    storage = context(app).storage
    touched: dict[str, list[str]] = {"create": [], "read": [], "list": [], "count": []}
    context(app).storage = _recording(storage, touched)
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 200)).save(photo, "JPEG")
    form = {"description": "Em bé ở bản Co Hắc bị đánh nhiều ngày", "category": "bao-luc", "commune": "muong-ang",
            "submission_id": "sam-policy-intake-0000000001"}
    client = app.test_client()
    for _ in range(2):  # the report, then its retry (exactly once: the record is looked up again)
        answer = client.post("/api/tips", data={**form, "attachments": (io.BytesIO(photo.getvalue()), "anh.jpg")},
                             headers={"Accept": "application/json"}, content_type="multipart/form-data")
        assert answer.status_code == 201, answer.get_data(as_text=True)
    assert any(k.endswith("/report.v2.json") for k in touched["create"])  # a case record, not the first format
    assert any(k.startswith("cases/") for k in touched["create"]) and any(k.startswith("keyring/") for k in touched["read"])
    assert _outside(policy, touched) == {"create": [], "read": [], "list": [], "count": []}
    stored = list(storage.list("tips/"))
    assert any("/attachments/" in k for k in stored)
    for key in stored:
        if "/attachments/" in key or "/case/" in key:
            assert not any(p.match(key) for p in policy["read"]), key


def test_the_upload_slot_function_may_do_all_a_real_slot_needs(sam_template, config):
    """Issue 15 made a slot need the commune's access code and count the storage budget: every key a real
    slot request (a wrong code, then the right one) reads, lists, creates or counts is in UploadsFunction's
    policy."""
    from functions.core import access_codes
    from functions.web import context, create_app

    policy = _policy(sam_template, "UploadsFunction")
    app = create_app(config)
    ctx = context(app)
    code, _ = access_codes.issue(ctx.storage, ctx.secret(), "muong-ang")
    touched: dict[str, list[str]] = {"create": [], "read": [], "list": [], "count": []}
    storage = ctx.storage
    ctx.storage = _recording(storage, touched)
    client = app.test_client()
    announce = {"filename": "bien-ban.pdf", "content_type": "application/pdf", "size": 5_000_000, "sha256": "a" * 64}
    for sent in ("SAI-MA-0000-0000", code):
        answer = client.post("/api/uploads", json=announce,
                             headers={"X-Commune": "muong-ang", "X-Access-Code": sent})
        assert answer.status_code in (200, 201, 401, 403), answer.get_data(as_text=True)
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)
    assert touched["list"] and touched["count"]
    assert _outside(policy, touched) == {"create": [], "read": [], "list": [], "count": []}


def test_the_visits_function_may_do_all_a_real_beacon_needs(sam_template, config):
    """Issue 15 made a beacon count once per page per window and at most so often per client: every key a
    real beacon and a figures read touch is in VisitsFunction's policy."""
    from functions.web import context, create_app

    policy = _policy(sam_template, "VisitsFunction")
    app = create_app(config)
    ctx = context(app)
    touched: dict[str, list[str]] = {"create": [], "read": [], "list": [], "count": []}
    storage = ctx.storage
    ctx.storage = _recording(storage, touched)
    client = app.test_client()
    phone = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
    for _ in range(2):
        answer = client.post("/api/visits", headers={"User-Agent": phone, "Referer": "http://localhost/bao-tin/",
                                                     "Sec-Fetch-Site": "same-origin"})
        assert answer.status_code == 204
    assert client.get("/api/visits").status_code == 200
    assert touched["count"]
    assert _outside(policy, touched) == {"create": [], "read": [], "list": [], "count": []}
