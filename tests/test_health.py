"""``GET /api/health`` and the shared answer headers."""


def test_health_names_the_storage_backend(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "storage": "local"}


def test_api_answers_are_never_cached_and_set_no_cookie(client):
    response = client.get("/api/health")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers


def test_unknown_api_path_gets_the_json_error_shape(client):
    response = client.get("/api/khong-co")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"]["status"] == 404
    assert body["error"]["message"]


def test_storage_failure_escaping_a_handler_is_a_503_in_the_error_shape(app):
    from functions.storage import StorageUnavailable
    from functions.web import router

    def broken(request, ctx):
        raise StorageUnavailable("disk gone")

    router(app).add("GET", "/api/test-storage-down", broken)
    response = app.test_client().get("/api/test-storage-down")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert "disk gone" not in response.get_data(as_text=True)


def test_serve_prepares_a_development_office_and_says_so(tmp_path):
    from functions.commands.serve import prepare
    from functions.config import Config
    from functions.core import office_keys
    from functions.keys import DEV_OFFICER_ID, DEV_PASSPHRASE, load_office_root
    from functions.storage import open_storage

    config = Config(data_dir=tmp_path / "var")
    notes = prepare(config)
    assert len(notes) == 1 and "PHÁT TRIỂN" in notes[0] and DEV_PASSPHRASE in notes[0]
    folder = tmp_path / "var" / "keys"
    assert folder.is_dir() and "PHÁT TRIỂN" in (folder / "VAN-PHONG-PHAT-TRIEN.txt").read_text()
    root = office_keys.unlock((folder / "office-root.key").read_bytes(), DEV_PASSPHRASE)
    assert bytes(load_office_root(config)) == bytes(root.verify_key)  # intake seals for this office
    officer = office_keys.unlock((folder / f"{DEV_OFFICER_ID}.key").read_bytes(), DEV_PASSPHRASE)
    keyring = office_keys.current_keyring(open_storage(config), root.verify_key)
    [listed] = keyring.officers
    assert listed.id == DEV_OFFICER_ID and "PHÁT TRIỂN" in listed.name
    assert bytes(listed.verify_key) == bytes(officer.verify_key) and listed.covers("bung-lao")
    assert prepare(Config(data_dir=tmp_path / "var")) == []  # once only


def test_access_log_holds_no_client_address_or_query(live_server, caplog):
    import logging
    import urllib.request

    with caplog.at_level(logging.INFO, logger="bvte.access"):
        urllib.request.urlopen(live_server.url + "/api/health?receipt=SECRET-RECEIPT").read()
    lines = [r.getMessage() for r in caplog.records if r.name == "bvte.access"]
    assert any("GET /api/health" in line and "200" in line for line in lines)
    assert not any("127.0.0.1" in line or "SECRET" in line for line in lines)


def test_health_is_degraded_when_storage_cannot_be_written(app, client, storage, monkeypatch):
    from functions.storage import StorageUnavailable

    def refuse(self, *args, **kwargs):
        raise StorageUnavailable("local counter failed: ENOSPC")

    monkeypatch.setattr(type(storage), "increment", refuse)
    response = client.get("/api/health")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "storage_unwritable" and error["status"] == 503 and error["message"]
    assert "ENOSPC" not in response.get_data(as_text=True) and response.headers["Cache-Control"] == "no-store"
    monkeypatch.undo()
    app.extensions["bvte"].cache.clear()  # the probe's outcome is reused for a few seconds
    assert client.get("/api/health").status_code == 200


def test_health_is_degraded_when_the_local_disk_is_nearly_full(app, client, monkeypatch):
    from functions.api import health

    monkeypatch.setattr(health, "free_bytes", lambda root: health.LOCAL_RESERVE_BYTES - 1)
    response = client.get("/api/health")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "storage_low"


def test_health_probes_storage_at_most_every_few_seconds(app, client, storage, monkeypatch):
    calls = []
    real = type(storage).increment

    def counting(self, counter, amount=1):
        calls.append(counter)
        return real(self, counter, amount)

    monkeypatch.setattr(type(storage), "increment", counting)
    for _ in range(5):
        assert client.get("/api/health").status_code == 200
    assert calls == ["health/probe"]


def test_on_a_low_disk_uploads_and_visitor_markers_give_way_and_reports_still_go(app, client, dev_keys,
                                                                                 storage, monkeypatch):
    from functions.api import health
    from functions.core import access_codes
    from functions.web import context

    code, _ = access_codes.issue(storage, context(app).secret(), "muong-ang")
    monkeypatch.setattr(health, "free_bytes", lambda root: health.LOCAL_RESERVE_BYTES - 1)
    upload = client.post("/api/uploads", json={"filename": "a.pdf", "content_type": "application/pdf", "size": 10,
                                               "commune": "muong-ang", "access_code": code})
    assert upload.status_code == 503
    beacon = client.post("/api/visits", headers={"User-Agent": "Mozilla/5.0 (Linux; Android 9)"})
    assert beacon.status_code == 204 and list(storage.list("visits/")) == []
    report = client.post("/api/tips", json={"description": "Em bé bị bố đánh nhiều lần ở bản Co Mạ",
                                            "category": "bao-luc", "commune": "Ẳng Tở"})
    assert report.status_code == 201
