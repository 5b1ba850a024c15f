"""Mandarin words for the ear: server/voice/text.py's rules for Chinese accounts.

The Chinese responses keep the written forms Chinese readers expect ("1,234.50元",
"2026年11月10日", "周五", "+8613912345678"); this module turns them into what a person says
and Amazon Polly's Zhiyu voice (cmn-CN) reads without guessing:
  "1,234.50元"     -> "一千二百三十四元五角"   (元/角/分, as Chinese people say a price)
  "2026年11月10日" -> "二零二六年十一月十日"   (a year digit by digit, month and day as numbers)
  "9:30"           -> "九点三十分"
  "+8613912345678" -> "幺三九，幺二三四，五六七八" (3-4-4, with 幺 for 1 as on the phone)
Numbers are written out in characters rather than left to Polly's number reading: Zhiyu
says characters exactly as written, while "1,234.50元" would depend on how it normalises
digits (the comma may become a pause, the decimal "点五零" rather than 元 and 角, a year a
cardinal "两千零二十六" instead of "二零二六"). Plain small numbers ("3个月", "14天", "按1")
carry no such doubt and are left as they are.
"""
from __future__ import annotations

import re
from typing import List, Optional

DIGITS = "零一二三四五六七八九"
# On the phone 1 is said 幺 (yāo), so that it is not confused with 七 (qī).
PHONE_DIGITS = "零幺二三四五六七八九"
_SMALL_UNITS = ("千", "百", "十", "")
_LARGE_UNITS = ("", "万", "亿", "万亿")
# Foreign currencies are said with a decimal point, as Chinese speakers say them.
CURRENCY_NAMES = {"$": "美元", "€": "欧元", "£": "英镑", "美元": "美元", "欧元": "欧元", "英镑": "英镑"}
YUAN = {"¥", "￥", "元", "块"}

_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
# Whole numbers only: never from or up to the middle of one ("1,234.50": not "234.50").
_MONEY_BEFORE = re.compile(rf"(?<![\d.,])([$€£¥￥])\s?{_AMOUNT}(?:\s?元)?(?!\d|[.,]\d)")
_MONEY_AFTER = re.compile(rf"(?<![\d$€£¥￥])(?<!\d[.,]){_AMOUNT}\s?(美元|欧元|英镑|元|块)")
_YEAR = re.compile(r"(?<!\d)(\d{4})\s?年")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s?月\s?(\d{1,2})\s?([日号])")
_MONTH = re.compile(r"(?<!\d)(\d{1,2})\s?月")
_DAY = re.compile(r"(?<!\d)(\d{1,2})\s?([日号])")
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?!\d)")
_PHONE = re.compile(r"\+(\d{7,15})\b")
_MOBILE = re.compile(r"(?<![\d+])(1[3-9]\d{9})(?!\d)")  # a mainland mobile written bare


def _group(n: int) -> str:
    """0 < n < 10000 in characters, with 零 for the zeros inside (1005 -> 一千零五)."""
    out, gap = "", False
    for digit, unit in zip(f"{n:04d}", _SMALL_UNITS):
        d = int(digit)
        if d == 0:
            gap = gap or bool(out)
            continue
        if gap:
            out, gap = out + "零", False
        out += ("两" if d == 2 and unit == "千" else DIGITS[d]) + unit
    return out


def cardinal(n: int) -> str:
    """A whole number as it is said: 1234 -> 一千二百三十四; 12000 -> 一万两千; 10 -> 十;
    100500 -> 十万零五百."""
    if n <= 0:
        return "零"
    groups = []
    while n:
        n, rest = divmod(n, 10000)
        groups.append(rest)
    out = ""
    for index in reversed(range(len(groups))):
        value = groups[index]
        if value == 0:
            continue
        if out and (value < 1000 or groups[index + 1] == 0):
            out += "零"
        word = "两" if value == 2 and index else _group(value)
        out += word + _LARGE_UNITS[index]
    return out[1:] if out.startswith("一十") else out  # 十五, not 一十五


def counted(n: int) -> str:
    """A number before a measure word: 2 is 两 (两元, 两角), the rest as cardinal()."""
    return "两" if n == 2 else cardinal(n)


def spoken_yuan(whole: int, cents: int) -> str:
    """1234.50 -> 一千二百三十四元五角; 1234.05 -> 一千二百三十四元零五分; 0.40 -> 四角."""
    jiao, fen = divmod(cents, 10)
    said = f"{counted(whole)}元" if whole or not cents else ""
    if jiao:
        said += f"{counted(jiao)}角"
    if fen:
        said += ("零" if said and not jiao else "") + f"{counted(fen)}分"
    return said


def spoken_decimal(whole: int, cents: Optional[str]) -> str:
    """453.50 -> 四百五十三点五 (the digits after the point one by one, no trailing 零)."""
    said = cardinal(whole)
    fraction = (cents or "").rstrip("0")
    if fraction:
        said += "点" + "".join(DIGITS[int(d)] for d in fraction)
    return said


def spoken_money(currency: str, whole: str, cents: Optional[str]) -> str:
    amount = int(whole.replace(",", ""))
    if currency in YUAN:
        return spoken_yuan(amount, int((cents or "0").ljust(2, "0")))
    return spoken_decimal(amount, cents) + CURRENCY_NAMES[currency]


def phone_groups(digits: str, international: bool = True) -> List[str]:
    """How a number is said in groups. `international`: the digits start with the country
    code (written after "+"). A Chinese number is said without it, as dialled at home (a
    mobile 3-4-4, others in fours from the end); a North American one 1, 3, 3, 4; others
    in fours from the end."""
    if international and digits.startswith("86"):
        digits, international = digits[2:], False
    if not international and len(digits) == 11 and digits.startswith("1"):
        return [digits[:3], digits[3:7], digits[7:]]
    if international and len(digits) == 11 and digits.startswith("1"):
        return [digits[0], digits[1:4], digits[4:7], digits[7:]]
    head = len(digits) % 4
    groups = [digits[:head]] if head else []
    return groups + [digits[i:i + 4] for i in range(head, len(digits), 4)]


def spoken_phone(digits: str, international: bool = True) -> str:
    groups = phone_groups(digits, international)
    return "，".join("".join(PHONE_DIGITS[int(d)] for d in group) for group in groups)


def spoken_time(match: re.Match) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    said = f"{counted(hour)}点"
    return said + (f"{cardinal(minute)}分" if minute else "")


def speakable(text: str) -> str:
    """A Chinese text as <Say> should speak it (links and pictographs already gone)."""
    text = _MONEY_BEFORE.sub(lambda m: spoken_money(*m.groups()), text)
    text = _MONEY_AFTER.sub(lambda m: spoken_money(m.group(3), m.group(1), m.group(2)), text)
    text = _PHONE.sub(lambda m: spoken_phone(m.group(1)), text)
    text = _MOBILE.sub(lambda m: spoken_phone(m.group(1), international=False), text)
    text = _YEAR.sub(lambda m: "".join(DIGITS[int(d)] for d in m.group(1)) + "年", text)
    text = _MONTH_DAY.sub(
        lambda m: f"{cardinal(int(m.group(1)))}月{cardinal(int(m.group(2)))}{m.group(3)}", text)
    text = _MONTH.sub(lambda m: f"{cardinal(int(m.group(1)))}月", text)
    text = _DAY.sub(lambda m: f"{cardinal(int(m.group(1)))}{m.group(2)}", text)
    text = _TIME.sub(spoken_time, text)
    # Chinese needs no spaces between words; the ones left around a removed link or a
    # number would only be read as pauses.
    return re.sub(r"\s*([，。？！、：；])\s*", r"\1", re.sub(r"\s+", " ", text)).strip()


# --- short answers to the gateway's own yes/no questions ----------------------------------

YES = ("是的", "是啊", "是", "对的", "对啊", "对", "嗯嗯", "嗯", "好的", "好啊", "好", "可以",
       "行", "没错", "没问题", "需要", "要")
NO = ("不是", "不对", "没有", "不用", "不要", "不需要", "不行", "不可以", "不", "没", "否", "错了")
# Words around a yes or a no that add nothing: "嗯，好的，谢谢", "不用了，谢谢".
FILLERS = ("谢谢你", "谢谢您", "谢谢", "了", "啊", "呀", "吧", "哦", "噢", "喔", "呃", "的", "请")
# Longer answers are more than a yes or a no ("不是，我要转人工"): the bot reads them.
MAX_YES_NO_CHARS = 8
_NOT_WORDS = re.compile(r"[\s\u3000-\u303f\uff00-\uffef,.!?;:'\"…—-]+")
_VOCABULARY = sorted({**{w: True for w in YES}, **{w: False for w in NO},
                      **{w: None for w in FILLERS}}.items(), key=lambda item: -len(item[0]))


def yes_or_no(said: str) -> Optional[bool]:
    """True for a short yes (是/对/嗯/好...), False for a short no (不是/不对/没有...),
    None for anything else. The answer must be made only of those words and fillers,
    read longest first (不是 is a no, not 不 and 是)."""
    text = _NOT_WORDS.sub("", said)
    if not text or len(text) > MAX_YES_NO_CHARS:
        return None
    answers, at = set(), 0
    while at < len(text):
        for word, meaning in _VOCABULARY:
            if text.startswith(word, at):
                if meaning is not None:
                    answers.add(meaning)
                at += len(word)
                break
        else:
            return None  # a word that is neither: more than a yes or a no
    return answers.pop() if len(answers) == 1 else None


# --- speech hints per question ------------------------------------------------------------

# Phrases only: Google's class tokens ($MONTH, $MONEY...) are documented per language and
# the gateway does not rely on them for Mandarin. Keys match server/voice_text.HINTS.
HINTS = {
    "birth_date": ["年", "月", "日", "号", "出生日期"],
    "id_last4": ["后四位", "幺", "零"],
    "yes_no": ["是的", "不是", "对", "不对", "好的", "不用了"],
    "options": ["现在付款", "约个日期", "分期", "延期"],
    "months": ["个月", "三个月", "六个月", "十二个月", "一年"],
    "amount": ["元", "块", "全部", "全额"],
    "date": ["今天", "明天", "后天", "下周", "下周五", "月底", "号"],
    "open": ["多少钱", "现在付款", "分期", "延期", "晚点再打", "不是我"],
}
ALWAYS = ["转人工"]
