"""Everything the gateway says in its own words, by SMS or on a call, in every language
(the bot's words are in domain.yml; a campaign's in its file, lender/campaigns/).

One entry per phrase, with its text in each language of lending/languages.py and the same
{placeholders} in each (tests/unit/test_gateway_words.py). Anything said before the writer
or caller is verified, the voicemail above all, names no debt: a third party may be
reading or listening. The Chinese call phrases are Mandarin as a courteous Chinese lender
speaks on the phone: 您, short sentences, keys said as "是请按1，不是请按2", and no
欠款/逾期/催收/还款 anywhere (tests/voice check it).

    gateway_reply(name, language, **values)   one phrase in the account's language
    phrase(name)                              every language's text of one phrase
"""
from __future__ import annotations

from typing import Dict, Optional

from lending.languages import parser_language

PHRASES: Dict[str, Dict[str, str]] = {
    # -- Every outbound SMS ---------------------------------------------------------------
    # DOMAIN.md: every outbound SMS carries the opt-out wording, in the borrower's language.
    # Chinese: "回复TD退订" is the wording Chinese carriers and senders have taught for years
    # (TD for 退订, tuìdìng), so it is what a borrower recognises and answers; the gateway
    # honours TD, T, R, 退订 and STOP alike (server/sms/keywords.py).
    "opt_out_wording": {
        "en": "Reply STOP to opt out.",
        "zh": "回复TD退订",
    },
    # -- The SMS keywords (server/sms/keywords.py) ------------------------------------------
    "opt_out": {  # {lender_name}
        "en": "You're unsubscribed from {lender_name} messages. No more texts will be sent. "
              "Reply START to resubscribe.",
        "zh": "您已退订{lender_name}的短信，我们不会再给您发短信。如需恢复，请回复“订阅”。",
    },
    "opt_in": {  # {lender_name}
        "en": "You're resubscribed to {lender_name} messages. Reply HELP for help, STOP to opt out.",
        "zh": "您已重新订阅{lender_name}的短信。回复“帮助”获取帮助，回复TD退订。",
    },
    # Whoever holds this phone may not be the borrower: who we are and how to reach a
    # person, nothing about any account, amount or its purpose.
    "help": {  # {lender_name} {assistant_name} {support_phone}
        "en": "{lender_name}: this is {assistant_name}, an automated assistant. "
              "For help call {support_phone}. Reply STOP to opt out.",
        "zh": "{lender_name}：我是自动助手{assistant_name}。如需帮助，请致电{support_phone}。回复TD退订。",
    },
    # -- The SMS webhook's own answers (server/sms/webhook.py) ------------------------------
    "holding": {  # the bot is slow or down: the answer follows by SMS
        "en": "Thanks, we've got your message and will reply shortly.",
        "zh": "您的消息已收到，我们会尽快回复。",
    },
    "empty": {
        "en": "We received an empty message. Please reply in words.",
        "zh": "我们收到了一条空白短信，请用文字回复。",
    },
    "media": {
        "en": "We can't read pictures or files here. Please reply in words.",
        "zh": "这里无法查看图片或文件，请用文字回复。",
    },
    # An account locked after too many wrong identity answers: the lender's number, nothing
    # more (no identity question, nothing about any account).
    "identity_locked": {  # {lender_name} {support_phone}
        "en": "Please call {lender_name} on {support_phone}.",
        "zh": "请致电{lender_name}：{support_phone}。",
    },
    # A vulnerable borrower's message, handed to a person: who answers, nothing about any
    # account (the writer is not verified).
    "person_will_reply": {  # {lender_name}
        "en": "Thanks for your message. A person from {lender_name} will reply here.",
        "zh": "您的消息已收到，{lender_name}的工作人员会在此回复您。",
    },
    # -- "How did we do?" (server/sms/feedback.py) ------------------------------------------
    "feedback_question": {
        "en": "How did we do? Reply 1 (poor) to 5 (great), with a few words if you like.",
        "zh": "您对本次服务满意吗？请回复1（很差）到5（很好），也欢迎留言。",
    },
    "feedback_question_call": {
        "en": "Before you go: how did we do? Press 1 for poor, up to 5 for great.",
        "zh": "挂机前请您评价本次服务：很差请按1，很好请按5。",
    },
    "feedback_thanks": {
        "en": "Thank you for your feedback.",
        "zh": "感谢您的评价。",
    },
    # -- On a call (server/voice/prompts.py: Words) ------------------------------------------
    "call.no_input": {  # a re-prompt after silence
        "en": "Sorry, I didn't hear anything.",
        "zh": "抱歉，我没有听到您的声音。",
    },
    "call.unrecognised": {  # ... after keys or words that mean nothing here
        "en": "Sorry, I didn't catch that.",
        "zh": "抱歉，我没有听清楚。",
    },
    "call.unsure": {  # ... after an identity answer heard without confidence
        "en": "Sorry, I'm not sure I heard that right. You can key it in instead.",
        "zh": "抱歉，我不确定是否听清楚了。您也可以用按键输入。",
    },
    "call.not_that": {  # a "no" to "did you say ...?"
        "en": "Sorry about that.",
        "zh": "抱歉，是我听错了。",
    },
    "call.confirm": {  # {said}: "did you say ...?", answered with 1 or 2
        "en": 'I heard: "{said}". Is that right? Press 1 for yes, or 2 for no.',
        "zh": "您说的是“{said}”吗？是请按1，不是请按2。",
    },
    "call.sent": {  # the payment link went out by SMS
        "en": "Done. I've sent it to this phone by text message.",
        "zh": "好的，已经通过短信发送到这部手机。",
    },
    "call.not_sent": {  # the caller declined it
        "en": "No problem.",
        "zh": "好的，没问题。",
    },
    "call.sms_refused": {  # it could not be sent
        "en": "I'm sorry, I can't send text messages to this phone.",
        "zh": "抱歉，我无法向这部手机发送短信。",
    },
    "call.anything_else": {  # answered with 1 or 2
        "en": "Is there anything else I can help you with? Press 1 for yes, or 2 for no.",
        "zh": "请问还有其他可以帮您的吗？有请按1，没有请按2。",
    },
    "call.go_ahead": {  # a yes to "anything else?"
        "en": "Sure. What can I help you with? You can also press 0 to talk to a person.",
        "zh": "好的，请问有什么可以帮您？您也可以按0转人工。",
    },
    "call.goodbye": {
        "en": "Thanks for your time. Goodbye.",
        "zh": "感谢您的接听，再见。",
    },
    "call.bye": {  # the last word after a close with a follow-up
        "en": "Goodbye.",
        "zh": "再见。",
    },
    "call.text_promise": {  # a follow-up text message is on its way
        "en": "I'll send you a text message, so you can reply whenever suits you.",
        "zh": "我会给您发一条短信，您方便的时候回复即可。",
    },
    "call.call_us": {  # {lender_name} {support_phone}: when no text can be sent
        "en": "You can call {lender_name} on {support_phone} at any time.",
        "zh": "您可以随时拨打{support_phone}联系{lender_name}。",
    },
    "call.identity_locked": {  # {lender_name} {support_phone}: an account under an identity lock
        "en": "Please call {lender_name} on {support_phone}. Goodbye.",
        "zh": "请致电{lender_name}，电话{support_phone}。再见。",
    },
    "call.silent_close": {  # too many re-prompts
        "en": "I'm sorry, I still can't hear you, so I'll end the call here.",
        "zh": "抱歉，我还是听不到您的声音，本次通话先到这里。",
    },
    "call.trouble": {  # the bot is down
        "en": "I'm sorry, I'm having trouble on this line right now.",
        "zh": "抱歉，当前线路出现了问题。",
    },
    "call.no_agent": {  # {lender_name}: nobody at the agents' line
        "en": "I'm sorry, no one can take your call right now. A person from {lender_name} "
              "will get back to you.",
        "zh": "抱歉，目前没有工作人员可以接听。{lender_name}的工作人员会尽快与您联系。",
    },
    "call.introduction": {  # {assistant_name} {lender_name}: a call that goes straight to a person
        "en": "Hello, this is {assistant_name}, the automated assistant for {lender_name}.",
        "zh": "您好，我是{lender_name}的智能客服机器人{assistant_name}。",
    },
    "call.putting_through": {  # ... and is put through to the agents' line
        "en": "I'm putting you through to a person now. Please hold.",
        "zh": "现在为您转接工作人员，请稍候。",
    },
    "call.voicemail": {  # {caller_name} {business_name} {callback_phone}: limited content
        "en": "Hello, this is {caller_name} calling from {business_name}. "
              "Please call us back on {callback_phone}. Thank you.",
        "zh": "您好，我是{business_name}的{caller_name}。请您回电{callback_phone}。谢谢。",
    },
    "call.follow_up_sms": {  # {assistant_name} {lender_name} {support_phone}
        "en": "This is {assistant_name}, the automated assistant for {lender_name}. We "
              "couldn't finish our call. Reply to this message whenever suits you, or call "
              "us on {support_phone}.",
        "zh": "您好，我是{lender_name}的智能客服机器人{assistant_name}。刚才的通话未能完成，"
              "您方便时可直接回复本短信，或拨打{support_phone}联系我们。",
    },
}


def phrase(name: str) -> Dict[str, str]:
    """One phrase's text in every language."""
    return PHRASES[name]


def gateway_reply(name: str, language: Optional[str] = None, **values: str) -> str:
    """The phrase in the account's language ("zh-CN" -> zh; English when unknown or
    without rules of its own), filled with `values`."""
    text = PHRASES[name][parser_language(language)]
    return text.format(**values) if values else text
