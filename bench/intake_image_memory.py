"""Peak memory while cleaning a 40-megapixel JPEG (a report's photo), and the stored size against the sent one.

Each measurement runs in a fresh process (``ru_maxrss`` is a process's high-water mark): the baseline
process only imports Pillow and the cleaner and reads the photo; the other also cleans it. Lambda gives
the function 512 MB. Run: ``.venv/bin/python -m bench intake_image_memory``.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTH, HEIGHT = 7744, 5164  # 39.99 megapixels, the cleaner's limit

CHILD = """
import resource, sys
from functions.core import images
data = open(sys.argv[1], "rb").read()
if sys.argv[2] == "full-size":  # for comparison: no downscaling while decoding (as before issue 15)
    images.MAX_SIDE = 10 ** 6
out = images.clean_attachment(data, 64 * 1024 * 1024) if sys.argv[2] != "read" else None
size = len(out.data) if out else 0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, size)
"""


def photo(path: Path) -> int:
    """A noisy 40 MP JPEG (noise, so it compresses like a real photo, not like a flat colour)."""
    from PIL import Image

    tile = Image.effect_noise((1024, 1024), 60).convert("RGB")
    image = Image.new("RGB", (WIDTH, HEIGHT))
    for x in range(0, WIDTH, 1024):
        for y in range(0, HEIGHT, 1024):
            image.paste(tile, (x, y))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return len(out.getvalue())


def run(path: Path, mode: str) -> tuple[int, int]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parent.parent)
    peak, size = done.stdout.split()
    return int(peak), int(size)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "anh-40mp.jpg"
        sent = photo(path)
        base, _ = run(path, "read")
        peak, stored = run(path, "clean")
        full_peak, full_stored = run(path, "full-size")
    print(f"40 MP JPEG ({WIDTH}x{HEIGHT}), {sent / 1e6:.1f} MB sent")
    print(f"peak RSS while cleaning: {peak} MB (process without cleaning: {base} MB; +{peak - base} MB)")
    print(f"stored: {stored / 1e6:.2f} MB ({stored / sent:.2f}x the sent size)")
    print(f"without downscaling while decoding: peak {full_peak} MB (+{full_peak - base} MB), "
          f"stored {full_stored / 1e6:.2f} MB ({full_stored / sent:.2f}x)")


if __name__ == "__main__":
    main()
