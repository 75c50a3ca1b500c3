"""QR codes for common areas: one PNG per area, encoding the area's deep link."""

from __future__ import annotations

from pathlib import Path

import pytest
import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

from bot import qr
from bot.config import Settings, load_settings

SHIPPED = Path(__file__).resolve().parent.parent / "config.yaml"


@pytest.fixture(scope="module")
def settings() -> Settings:
    """The shipped sample config."""
    return load_settings(SHIPPED, env={})


def expected_modules(url: str) -> list[list[bool]]:
    """The module matrix (with quiet zone) qrcode produces for a url with our parameters."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=qr.BOX_SIZE, border=qr.BORDER)
    code.add_data(url)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def read_modules(image: Image.Image, size: int) -> list[list[bool]]:
    """Sample the centre of each module of the code at the top of a label image."""
    grey = image.convert("L")
    half = qr.BOX_SIZE // 2
    return [
        [grey.getpixel((x * qr.BOX_SIZE + half, y * qr.BOX_SIZE + half)) == 0 for x in range(size)]
        for y in range(size)
    ]


def test_one_png_per_area(settings: Settings, tmp_path: Path) -> None:
    paths = qr.write_area_qr_codes(settings, tmp_path / "codes", "HarbourViewDeskBot")
    area_ids = [a.id for e in settings.estates for a in e.areas]
    assert [p.name for p in paths] == [f"{a}.png" for a in area_ids]
    assert sorted(p.name for p in (tmp_path / "codes").iterdir()) == sorted(
        f"{a}.png" for a in area_ids
    )
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as image:
            assert image.format == "PNG"
            image.load()
            modules = expected_modules(qr.deep_link("HarbourViewDeskBot", path.stem))
            side = len(modules) * qr.BOX_SIZE
            # Square code on top, label underneath.
            assert image.width == side
            assert image.height > side
            # The drawn code is exactly the code of the area's deep link.
            assert read_modules(image, len(modules)) == modules


def test_deep_link() -> None:
    assert qr.deep_link("HarbourViewDeskBot", "hv-gate") == (
        "https://t.me/HarbourViewDeskBot?start=hv-gate"
    )


@pytest.mark.parametrize("username", ["ab", "bad-name", "x" * 33, "has space", ""])
def test_bad_username_is_refused(settings: Settings, tmp_path: Path, username: str) -> None:
    with pytest.raises(ValueError, match="not a Telegram bot username"):
        qr.write_area_qr_codes(settings, tmp_path, username)
    assert not list(tmp_path.iterdir())


def test_at_sign_is_tolerated(settings: Settings, tmp_path: Path) -> None:
    assert qr.write_area_qr_codes(settings, tmp_path, "@HarbourViewDeskBot")


def test_unknown_language_is_refused(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        qr.write_area_qr_codes(settings, tmp_path, "HarbourViewDeskBot", lang="fr")


def test_label_falls_back_to_english_without_a_cjk_font(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = settings.area("hv-gate")
    assert found is not None
    estate, area = found
    monkeypatch.setattr(qr, "find_cjk_font", lambda: None)
    lines, _ = qr.area_label(settings, estate, area, "zh-Hans")
    assert lines == ["Harbour View Garden · Main gate (south)", "hv-gate"]
    # With a CJK font the chosen language is kept.
    monkeypatch.setattr(qr, "find_cjk_font", qr.find_latin_font)
    lines, _ = qr.area_label(settings, estate, area, "zh-Hant")
    assert lines == ["海景花園 · 南門保安亭", "hv-gate"]


def test_missing_font_files_do_not_crash(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qr, "find_cjk_font", lambda: tmp_path / "missing.ttc")
    monkeypatch.setattr(qr, "find_latin_font", lambda: tmp_path / "missing.ttf")
    paths = qr.write_area_qr_codes(settings, tmp_path / "out", "HarbourViewDeskBot", "zh-Hans")
    assert len(paths) == sum(len(e.areas) for e in settings.estates)
    monkeypatch.setattr(qr, "find_cjk_font", lambda: None)
    monkeypatch.setattr(qr, "find_latin_font", lambda: None)
    assert qr.write_area_qr_codes(settings, tmp_path / "out2", "HarbourViewDeskBot", "en")
