"""Every language catalog has the same keys and the same placeholders."""

from __future__ import annotations

from bot.texts import LANGUAGES, load_language, placeholders


def test_catalogs_have_same_keys_and_placeholders() -> None:
    catalogs = {lang: load_language(lang) for lang in LANGUAGES}
    reference = catalogs["en"]
    assert len(reference) > 100
    for lang, table in catalogs.items():
        assert set(table) == set(reference), (
            f"{lang}: missing {sorted(set(reference) - set(table))},"
            f" extra {sorted(set(table) - set(reference))}"
        )
        for key, template in table.items():
            assert placeholders(template) == placeholders(reference[key]), f"{lang}: {key}"
            assert template.strip(), f"{lang}: {key} is empty"


def test_traditional_catalog_uses_traditional_characters() -> None:
    simplified_only = set("们这问题请报单时处发张号码条选择语设务热线")
    hant = load_language("zh-Hant")
    found = {k: sorted(set(v) & simplified_only) for k, v in hant.items()}
    found = {k: v for k, v in found.items() if v}
    assert found == {}
