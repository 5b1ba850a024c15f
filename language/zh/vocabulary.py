"""Chinese words borrowers use for money, days and counts (Simplified Chinese).

The parsers in this package read them; a Chinese entity extractor (regex features or
lookup tables for the NLU) can be built from the same lists, as bot/entity_patterns.py
is from the English ones.
"""
from __future__ import annotations

# Money: "¥300", "人民币500元", "500块钱", "200刀" (dollars, slang), "1.5w" / "2k".
MONEY_BEFORE = ["¥", "$", "us$", "rmb", "cny", "usd", "人民币"]
MONEY_AFTER = [
    "块钱", "元钱", "块", "元", "圆", "人民币", "rmb", "cny", "usd", "美元", "美金", "刀",
    "dollars", "dollar", "bucks", "$",
]
YUAN = ["块", "元", "圆"]       # may be followed by 毛/角 (tenths) and 分 (hundredths)
JIAO = ["毛", "角"]
MONEY_SCALES = {"k": 1000, "w": 10000}  # 2k, 1.5w (w: 万 in chat)

# Days: 今天 0, 明天 1, 后天 2, 大后天 3 (longest first in the rules).
RELATIVE_DAYS = {
    "大后天": 3, "后天": 2, "明天": 1, "明日": 1, "明儿": 1, "明早": 1, "明晚": 1,
    "今天": 0, "今日": 0, "今儿": 0, "今晚": 0, "今早": 0, "今天晚上": 0,
    "昨天": -1, "昨日": -1, "前天": -2,
}
# 明后天 (tomorrow or the day after), 今明两天: two days, so no single day.
TWO_DAYS = ["明后天", "今明两天", "今明天"]
WEEK_WORDS = ["星期", "礼拜", "周"]
WEEKDAY_NAMES = {
    "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
    "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6,
}
# Which week: 下周五 (next week's), 这周五 / 本周五 (this week's), 上周五 (last week's).
WEEK_OFFSETS = {"下下个": 2, "下下": 2, "下个": 1, "下": 1, "这个": 0, "这": 0, "本": 0, "上个": -1, "上": -1}
DAY_OF_MONTH = ["号", "日"]

# After a number these make it a count, a date, a time or a rate, never money.
NOT_MONEY_AFTER = [
    "个", "次", "天", "日", "号", "周", "星期", "礼拜", "月", "年", "期", "岁", "点", "小时", "钟",
    "分", "秒", "%", "倍", "折", "成", "位", "楼", "层", "人", "遍", "趟", "下", "斤", "公斤", "米",
    "号线", "元旦",
]
# Before a number: an ordinal, a weekday, a month's day, a percentage, ID or phone digits.
NOT_MONEY_BEFORE = [
    "第", "周", "星期", "礼拜", "分之", "尾号", "尾数", "后四位", "后4位", "号码", "电话", "编号",
    "手机",
]
# "一千多", "五百余", "一千几": about that much, not one amount.
ROUGHLY_AFTER = ["多", "余", "几"]
