"""Every UI string exists in English and 简体中文, and every key the app asks for exists."""

import re
from pathlib import Path

from app.shared.i18n import STRINGS

ROOT = Path(__file__).resolve().parents[2]


def test_every_key_has_both_languages():
    for key, pair in STRINGS.items():
        assert isinstance(pair, tuple) and len(pair) == 2, key
        en, zh = pair
        assert en.strip() and zh.strip(), key


def test_chinese_strings_are_translated():
    # a zh string identical to its en string is allowed only for symbols and formulas
    untranslated = [
        k
        for k, (en, zh) in STRINGS.items()
        if en == zh and re.search(r"[A-Za-z]{4,}", en) and not en.startswith("f(") and "log" not in en
    ]
    assert not untranslated, untranslated


def test_placeholders_match():
    for key, (en, zh) in STRINGS.items():
        assert set(re.findall(r"{(\w+)", en)) == set(re.findall(r"{(\w+)", zh)), key


def test_all_literal_keys_used_by_the_app_exist():
    pattern = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")
    missing = []
    for path in (ROOT / "app").rglob("*.py"):
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            if key not in STRINGS:
                missing.append((path.name, key))
    assert not missing, missing
