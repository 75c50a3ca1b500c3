"""Sample photos a trainee can send without having a picture at hand (drawn, not shipped)."""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageDraw

# name → (background, stain): a water stain, a dark corridor, a rubbish pile.
SAMPLES = {
    "leak": ((222, 214, 196), (120, 110, 90)),
    "light": ((40, 40, 52), (250, 240, 160)),
    "rubbish": ((150, 170, 140), (90, 70, 50)),
}


@functools.cache
def sample_photo(name: str) -> bytes:
    """A small JPEG for a sample name (KeyError for an unknown one)."""
    background, stain = SAMPLES[name]
    image = Image.new("RGB", (640, 480), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((180, 120, 460, 360), fill=stain)
    draw.rectangle((0, 420, 640, 480), fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def is_picture(data: bytes) -> bool:
    """True when Pillow recognises the bytes as a JPEG, PNG, GIF or WebP image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for a file that is no image
        return False
    return kind in {"JPEG", "PNG", "GIF", "WEBP"}
