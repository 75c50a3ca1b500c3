"""QR codes for common areas: a poster code opens the bot with the area already chosen."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from bot.config.models import Area, Estate, Settings

BOT_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
BOX_SIZE = 10  # pixels per QR module: big enough to print on A5 posters
BORDER = 4  # modules of quiet zone, as the QR standard asks
LABEL_SIZE = 28  # font size of the label's first line
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# Places CJK fonts usually live when fontconfig is missing or gives no answer.
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)
_LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/System/Library/Fonts/Helvetica.ttc",
    "C:/Windows/Fonts/arial.ttf",
)


def deep_link(bot_username: str, area_id: str) -> str:
    """The t.me link that starts the bot with an area id as payload."""
    return f"https://t.me/{bot_username}?start={area_id}"


def _fc_list(pattern: str) -> list[str]:
    """Font files fontconfig lists for a pattern; [] when fontconfig is unavailable."""
    if shutil.which("fc-list") is None:
        return []
    try:
        done = subprocess.run(
            ["fc-list", pattern, "file"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    files = [line.strip().rstrip(":") for line in done.stdout.splitlines() if line.strip()]
    # Prefer regular weights: a "Bold" or "Light" label reads worse on a poster.
    return sorted(files, key=lambda f: ("Bold" in f or "Light" in f or "Thin" in f, f))


@cache
def find_cjk_font() -> Path | None:
    """A font file that can draw Chinese, or None when the system has none."""
    # fc-match always answers (with DejaVu at worst), so ask fc-list for fonts covering Chinese.
    candidates = [*_fc_list(":lang=zh-cn"), *_fc_list(":lang=zh-tw"), *_CJK_FONTS]
    return next((Path(c) for c in candidates if Path(c).is_file()), None)


@cache
def find_latin_font() -> Path | None:
    """A scalable Latin font file, or None (Pillow's built-in font is used then)."""
    candidates = [*_LATIN_FONTS, *_fc_list(":lang=en:style=Regular")]
    return next((Path(c) for c in candidates if Path(c).is_file()), None)


def _load_font(path: Path | None, size: int) -> Font:
    """A font at ``size``; Pillow's built-in one if the file cannot be used."""
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass  # unreadable or not a font: the built-in one is better than no label
    return ImageFont.load_default(size)


def _needs_cjk(lines: Iterable[str]) -> bool:
    """True when any character is beyond what Latin fonts cover (CJK and friends)."""
    return any(ord(ch) >= 0x2E80 for line in lines for ch in line)


def area_label(settings: Settings, estate: Estate, area: Area, lang: str) -> tuple[list[str], Font]:
    """The label lines and a font that can draw them (English when no CJK font exists)."""
    lines = [f"{settings.text(estate.name, lang)} · {settings.text(area.name, lang)}", area.id]
    if not _needs_cjk(lines):
        return lines, _load_font(find_latin_font(), LABEL_SIZE)
    cjk = find_cjk_font()
    if cjk is not None:
        return lines, _load_font(cjk, LABEL_SIZE)
    english = [f"{estate.name.get('en', estate.id)} · {area.name.get('en', area.id)}", area.id]
    if _needs_cjk(english):  # no English text either: the id is always drawable
        english = [area.id]
    return english, _load_font(find_latin_font(), LABEL_SIZE)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> str:
    """Shorten a line with an ellipsis until it fits ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while len(text) > 1 and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def area_qr_image(url: str, lines: list[str], font: Font) -> Image.Image:
    """A QR code for ``url`` with ``lines`` of text centred underneath."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=BOX_SIZE, border=BORDER)
    qr.add_data(url)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    line_height = LABEL_SIZE + 12
    margin = BORDER * BOX_SIZE // 2
    width = code.width - 2 * margin
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    # "Estate · Area" that is too wide goes on two lines rather than losing the area's name.
    lines = [
        part
        for line in lines
        for part in (line.split(" · ") if measure.textlength(line, font=font) > width else [line])
    ]
    height = code.height + line_height * len(lines) + margin
    canvas = Image.new("RGB", (code.width, height), "white")
    canvas.paste(code, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        shown = _fit(draw, line, font, width)
        # Below the code's own quiet zone: text inside it makes scanning less reliable.
        y = code.height + i * line_height
        draw.text((code.width // 2, y), shown, fill="black", font=font, anchor="mt")
    return canvas


def write_area_qr_codes(
    settings: Settings, out_dir: Path, bot_username: str, lang: str | None = None
) -> list[Path]:
    """Write <area-id>.png for every area, each opening t.me/<bot>?start=<area-id>."""
    username = bot_username.removeprefix("@")
    if not BOT_USERNAME.fullmatch(username):
        raise ValueError(f"{bot_username!r} is not a Telegram bot username (5-32 of A-Z a-z 0-9 _)")
    lang = lang or settings.default_language
    if lang not in settings.languages:
        raise ValueError(f"unknown language {lang!r} (configured: {', '.join(settings.languages)})")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for estate in settings.estates:
        for area in estate.areas:
            lines, font = area_label(settings, estate, area, lang)
            path = out_dir / f"{area.id}.png"
            area_qr_image(deep_link(username, area.id), lines, font).save(path, format="PNG")
            written.append(path)
    return written
