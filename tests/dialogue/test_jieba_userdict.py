"""The Chinese model's tokenizer (jieba, in Rasa's runtime) keeps the domain's words whole with
the user dictionary in language/zh/userdict/ (config.zh.yml)."""
from __future__ import annotations

import jieba

from tests.support.paths import ROOT

USERDICT = ROOT / "language" / "zh" / "userdict" / "repay.txt"


def test_the_user_dictionary_keeps_domain_words_whole():
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(USERDICT))
    for text, word in [("能不能分期", "分期"), ("帮我转人工", "转人工"), ("下周五还500", "下周五"),
                       ("身份证后四位123X", "后四位"), ("我要申请停息挂账", "停息挂账"),
                       ("木有钱了", "木有")]:
        assert word in tokenizer.lcut(text), text
