"""Natural sort order for names people read: "gridadmin2" before "gridadmin10", "第2网格" before "第10网格",
"第三社区" before "第十社区"."""

from __future__ import annotations

import re
import unicodedata

_PARTS = re.compile(r"(\d+)")
# An ordinal in Chinese numerals: 第三社区, 第十二网格. Only after 第, so a place name such as 三元里 or
# 八一 stays text.
_ORDINAL = re.compile(r"第([〇零一二两三四五六七八九十百千]+)")
_DIGITS = {
    ch: n
    for n, chars in enumerate(("〇零", "一", "二两", "三", "四", "五", "六", "七", "八", "九"))
    for ch in chars
}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(numeral: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 一百零五 → 105 (numbers below ten thousand)."""
    total, digit = 0, 0
    for ch in numeral:
        if ch in _UNITS:
            total += (digit or 1) * _UNITS[ch]
            digit = 0
        else:
            digit = _DIGITS[ch]
    return total + digit


def natural_key(text: str | None) -> tuple:
    """A sort key that compares runs of ASCII digits as numbers and the rest as case-folded text.

    Text parts compare by code point after NFKC folding (full-width "Ａ１" sorts as "A1"), which gives Chinese
    names a stable order that does not depend on the server's locale. Runs of digits compare by value, then
    by length, so "07" and "7" keep a fixed order. An ordinal in Chinese numerals (第十二) counts as its
    number. Every key is a tuple of (text, number, digits) triples, so two keys always compare without a
    TypeError.
    """
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = _ORDINAL.sub(lambda m: f"第{chinese_number(m.group(1))}", folded)
    key = []
    for i, part in enumerate(_PARTS.split(folded)):
        if i % 2:  # a run of digits
            if part.isascii():
                key.append(("", int(part), len(part)))
            else:  # digits of another script (rare): kept as text
                key.append((part, -1, 0))
        elif part:
            key.append((part, -1, 0))
    return tuple(key)


def natural_sorted(items, *, key=lambda item: item):
    """`sorted` by the natural key of `key(item)` (a string)."""
    return sorted(items, key=lambda item: natural_key(key(item)))
