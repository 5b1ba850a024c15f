"""How Chinese text is prepared for the rules: the same characters whatever the input method."""
from __future__ import annotations

# Chinese input methods often type digits and Latin letters full width ("５００", "ＴＤ").
# Those become ASCII; Chinese punctuation (，。！？) stays as it is, because a "，" between
# two numbers separates them ("200，300" is two amounts), unlike a thousands comma.
_FULL_WIDTH = {
    **{code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)},  # ０-９
    **{code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
    **{code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)},  # ａ-ｚ
    0xFF04: "$", 0xFF05: "%", 0xFF0D: "-", 0xFF0E: ".", 0xFF0F: "/", 0xFFE5: "¥",
    0x3000: " ",  # ideographic space
}


def normalise(text: str) -> str:
    """Full-width digits and letters as ASCII, lower case: '￥５００ＲＭＢ' -> '¥500rmb'."""
    return text.translate(_FULL_WIDTH).lower()


def blank(text: str, start: int, end: int) -> str:
    """`text` with [start, end) replaced by spaces (a rule consumed it; positions keep)."""
    return text[:start] + " " * (end - start) + text[end:]
