"""The message catalogue and number formats."""

from __future__ import annotations

import pytest

from erpcap.errors import BadInput
from erpcap.reports import i18n


def test_catalogues_have_the_same_keys() -> None:
    assert set(i18n.catalogue("en")) == set(i18n.catalogue("zh-CN"))


def test_placeholders_match_between_languages() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    en, zh = i18n.catalogue("en"), i18n.catalogue("zh-CN")
    for key, text in en.items():
        assert fields(text) == fields(zh[key]), key


def test_unknown_language_is_bad_input() -> None:
    with pytest.raises(BadInput, match="unknown report language 'fr'"):
        i18n.Translator("fr")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0.0 ms"),
        (2.345, "2.3 ms"),
        (99.94, "99.9 ms"),
        (100.0, "100 ms"),
        (12345.6, "12,346 ms"),
        (None, "–"),
        (float("nan"), "–"),
    ],
)
def test_ms(value: float | None, expected: str) -> None:
    assert i18n.Translator("en").ms(value) == expected


def test_same_numbers_in_both_languages() -> None:
    en, zh = i18n.Translator("en"), i18n.Translator("zh-CN")
    assert en.ms(1234.6) == zh.ms(1234.6) == "1,235 ms"
    assert en.percent(0.0144) == zh.percent(0.0144) == "1.44%"
    assert en.count(2640) == zh.count(2640) == "2,640"
    assert zh.rps(33.46) == "33.5 请求/秒"
    assert zh.duration(125) == "2分 5秒"
