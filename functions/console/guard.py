"""Every console request passes here: the launch token, the Host header, CSRF and the response headers.

The console listens on 127.0.0.1, but any web page the officer opens can still make the browser send
requests there (and DNS rebinding can make them look same-origin). So: the first request must carry
the one-time launch token ``bvte console`` printed; it is exchanged for a random session cookie
(HttpOnly, SameSite=Strict, host-only) and never works again. Every request must then carry that
cookie and name this console in its Host header; every POST must carry the session's CSRF token and,
when the browser sends one, an Origin that is this console. Answers are never cached and run under a
strict CSP (no inline script, nothing from any other origin).
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, redirect, render_template, request

COOKIE = "bvte_console"
LAUNCH_PATH = "/bat-dau"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "object-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class ConsoleGuard:
    def __init__(self, launch_token: str, port: int):
        self.launch_token = launch_token
        self.session_id: str | None = None
        self.csrf_token = new_token()
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}

    def install(self, app: Flask) -> None:
        app.extensions["console-guard"] = self
        app.before_request(self.check)
        app.after_request(self.headers)
        app.context_processor(lambda: {"csrf_token": self.csrf_token})
        app.add_url_rule(LAUNCH_PATH, "launch", self.launch)
        for status in (400, 403, 404, 405, 413):
            app.register_error_handler(status, refused)

    def check(self):
        if request.host not in self.hosts:
            abort(400, "Địa chỉ không đúng: bảng điều khiển chỉ mở tại 127.0.0.1.")
        if request.path == LAUNCH_PATH:
            return None
        cookie = request.cookies.get(COOKIE, "")
        if self.session_id is None or not hmac.compare_digest(cookie, self.session_id):
            abort(403, "Hãy mở bảng điều khiển bằng đường dẫn mà lệnh “bvte console” đã in ra.")
        if request.method == "POST":
            self.check_post()
        return None

    def check_post(self) -> None:
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.origins:
            abort(403, "Yêu cầu không đến từ bảng điều khiển này.")
        sent = request.form.get("csrf", "")
        if not hmac.compare_digest(sent.encode(), self.csrf_token.encode()):
            abort(403, "Trang đã cũ hoặc yêu cầu không đến từ bảng điều khiển này: hãy tải lại trang và thử lại.")

    def launch(self):
        """The one-time launch URL: a new session cookie, then the inbox."""
        token = request.args.get("t", "")
        if not self.launch_token or not hmac.compare_digest(token.encode(), self.launch_token.encode()):
            abort(403, "Đường dẫn mở đã dùng rồi hoặc không đúng: chạy lại “bvte console”.")
        self.launch_token = ""
        self.session_id = new_token()
        response = redirect("/", code=303)
        response.set_cookie(COOKIE, self.session_id, httponly=True, samesite="Strict", path="/")
        return response

    def headers(self, response):
        response.headers["Cache-Control"] = "no-store"
        # A view may only make the policy stricter (an attachment adds "; sandbox"), never replace it.
        if not response.headers.get("Content-Security-Policy", "").startswith(CSP):
            response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on form posts,
        # which the Origin check must refuse; nothing leaves the console either way.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response


def refused(error):
    """Refusals as a calm Vietnamese page (never Werkzeug's English, never a traceback)."""
    message = getattr(error, "description", "") or "Yêu cầu không hợp lệ."
    if not isinstance(message, str) or message.startswith("The "):
        message = {404: "Không có trang này.", 405: "Không làm được thao tác này ở đây.",
                   413: "Tệp gửi lên quá lớn."}.get(error.code, "Yêu cầu không hợp lệ.")
    return render_template("console/refused.html", message=message, status=error.code), error.code
