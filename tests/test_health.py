"""``GET /api/health`` and the shared answer headers."""


def test_health_names_the_storage_backend(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "storage": "local"}


def test_api_answers_are_never_cached_and_set_no_cookie(client):
    response = client.get("/api/health")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers


def test_unknown_api_path_gets_the_json_error_shape(client):
    response = client.get("/api/khong-co")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"]["status"] == 404
    assert body["error"]["message"]
