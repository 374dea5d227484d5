"""Time to send a report with one ~4 MB phone photo on a slow link (``python -m bench site_upload``).

The real site (built here) and the intake functions on 127.0.0.1; headless Chromium with the link
emulated by the DevTools protocol (Network.emulateNetworkConditions: 400 kbit/s both ways, 400 ms round
trip). Measured from the click on "Gửi tin báo" to the receipt on screen, once with the photo made smaller
in the browser (report.js) and once without (``createImageBitmap`` removed, which is how report.js decides
it cannot redraw: the photo goes as it is, as before the change). One run each: the slow case takes
minutes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
KBIT = 400
RTT_MS = 400


def _phone_photo(path: Path) -> Path:
    from PIL import Image

    noise = Image.effect_noise((2000, 1500), 60).resize((4000, 3000))
    ramp = Image.linear_gradient("L").resize((4000, 3000))
    Image.merge("RGB", (noise, ramp, Image.blend(noise, ramp, .5))).save(path, "JPEG", quality=85)
    return path


def _send(browser, url: str, photo: Path, shrink: bool) -> float:
    context = browser.new_context(locale="vi-VN", viewport={"width": 360, "height": 640})
    try:
        if not shrink:
            context.add_init_script("delete window.createImageBitmap;")
        page = context.new_page()
        page.goto(f"{url}/bao-tin/")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": RTT_MS,
            "downloadThroughput": KBIT * 1000 / 8, "uploadThroughput": KBIT * 1000 / 8})
        page.fill("#description", "Em bé nhà bên cạnh bị bố mẹ bỏ đi, ở một mình nhiều ngày")
        page.check("#category-bo-roi-bo-mac")
        page.fill("#commune", "Ang Cang")
        page.set_input_files("#attachments", str(photo))
        started = time.perf_counter()
        page.click("button.bvte-submit")
        page.wait_for_selector("[data-receipt-shown] [data-receipt]", timeout=600_000)
        return time.perf_counter() - started
    finally:
        context.close()


def main() -> None:
    import sys

    sys.path.insert(0, str(REPO / "tests"))
    from conftest import CHROMIUM, CHROMIUM_ARGS, build_site

    from functions.commands.serve import wsgi_server
    from functions.config import Config
    from functions.keys import ensure_dev_keypair
    from functions.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        result = build_site(site)
        if result.returncode:
            raise RuntimeError(result.stderr[-2000:])
        config = Config(data_dir=Path(tmp) / "var", site_dir=site, testing=True)
        ensure_dev_keypair(config)
        photo = _phone_photo(Path(tmp) / "IMG_2041.jpg")
        print(f"photo: {photo.stat().st_size / 1e6:.1f} MB, 4000×3000; link {KBIT} kbit/s, {RTT_MS} ms round trip")
        with wsgi_server(create_app(config)) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                after = _send(browser, server.url, photo, shrink=True)
                print(f"with resizing in the browser: {after:.1f} s")
                before = _send(browser, server.url, photo, shrink=False)
                print(f"photo sent as it is (before):  {before:.1f} s")
            finally:
                browser.close()


if __name__ == "__main__":
    main()
