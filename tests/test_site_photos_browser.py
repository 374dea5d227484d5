"""Photos that arrive: with JavaScript, a large photo attached to a report is made smaller in the browser
(longest side 1600 px, JPEG, metadata dropped by the redraw) before it is sent, in real Chromium against
the live server; a file that cannot be redrawn is sent as it is and the server still checks it.
"""

from __future__ import annotations

import io
from email.parser import BytesParser
from email.policy import HTTP

import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dev_keys")]


def phone_photo(path, width=4000, height=3000):
    """A ~4 MB 12-megapixel JPEG with a GPS position in its EXIF, like a phone camera's."""
    noise = Image.effect_noise((width // 2, height // 2), 60).resize((width, height))
    ramp = Image.linear_gradient("L").resize((width, height))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 2.0, 3.0)}
    Image.merge("RGB", (noise, ramp, Image.blend(noise, ramp, .5))).save(path, "JPEG", quality=85, exif=exif)
    return path


@pytest.fixture
def tip_posts(app) -> list[dict]:
    """What reached POST /api/tips, as the server saw it (Chromium does not hand test code the body of a
    multipart post that holds files): a WSGI layer in front of the app keeps a copy of each body and its
    content type, and hands the app the body untouched."""
    seen: list[dict] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ.get("PATH_INFO") == "/api/tips":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            seen.append({"body": body, "content_type": environ.get("CONTENT_TYPE", "")})
        return inner(environ, start_response)

    app.wsgi_app = recording
    return seen


def _attachments(post: dict) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each attachment in a recorded multipart POST."""
    head = f"Content-Type: {post['content_type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + post["body"])
    return [(part.get_filename(), part.get_payload(decode=True)) for part in message.iter_parts()
            if part.get_param("name", header="content-disposition") == "attachments"]


def _send_report(page, base_url, path) -> None:
    page.goto(f"{base_url}/bao-tin/")
    page.fill("#description", "Em bé nhà bên cạnh bị bố mẹ bỏ đi, ở một mình nhiều ngày")
    page.check("#category-bo-roi-bo-mac")
    page.fill("#commune", "Ang Cang")
    page.set_input_files("#attachments", str(path))
    page.click("button.bvte-submit")


def test_a_large_phone_photo_is_sent_at_most_1600px_as_jpeg_without_its_metadata(page, tip_posts, live_server,
                                                                                  tmp_path):
    original = phone_photo(tmp_path / "IMG_2041.jpg")
    assert original.stat().st_size > 3_500_000
    _send_report(page, live_server.url, original)
    page.wait_for_selector("[data-receipt-shown] [data-receipt]")
    [post] = tip_posts
    [(name, data)] = _attachments(post)
    assert name == "IMG_2041.jpg"
    assert len(data) < 1_000_000, len(data)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and max(image.size) == 1600 and image.size == (1600, 1200)
    assert not image.getexif().get_ifd(0x8825), "the GPS position was sent"


def test_a_photo_that_cannot_be_redrawn_goes_as_it_is_and_the_server_refuses_it_in_vietnamese(page, tip_posts,
                                                                                            live_server, tmp_path):
    broken = tmp_path / "anh-hong.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2000)  # says JPEG, is not one; > 300 kB
    _send_report(page, live_server.url, broken)
    page.wait_for_selector("#attachments-error:not([hidden])")
    [post] = tip_posts
    [(name, data)] = _attachments(post)
    assert (name, data) == ("anh-hong.jpg", broken.read_bytes())
    message = page.inner_text("#attachments-error")
    assert "anh-hong.jpg" in message and page.input_value("#description").startswith("Em bé")
