"""Interface labels in the three languages staff use.

SOP text itself is converted with OpenCC (see ``knowledge.normalize.to_script``); only
the product's own words live here. Keys are the scripts ``hant``, ``hans``, ``en``.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "hant": {
        "tip": "💡 溫馨提示",
        "not_found": "SOP 裡找不到明確的答案。",
        "closest": "最接近的步驟：",
        "did_you_mean": "你是不是想問…",
        "empty": "請直接輸入你的問題，例如「客人沒帶證件怎麼辦」。",
        "no_words": "我看不懂這個訊息 🙂 請用文字描述你的問題，例如「早會幾點開」。",
        "too_long": "訊息太長了，我只看了開頭部分。下次請用一兩句話問我。",
        "full_text": "📄 全文",
        "more": "➡️ 其他答案",
        "expired": "這個按鈕已過期，請重新提問。",
        "more_tips": "另有 {n} 則提示，按「全文」查看。",
    },
    "hans": {
        "tip": "💡 温馨提示",
        "not_found": "SOP 里找不到明确的答案。",
        "closest": "最接近的步骤：",
        "did_you_mean": "你是不是想问…",
        "empty": "请直接输入你的问题，例如“客户没带证件怎么办”。",
        "no_words": "我看不懂这条消息 🙂 请用文字描述你的问题，例如“早会几点开”。",
        "too_long": "消息太长了，我只看了开头部分。下次请用一两句话问我。",
        "full_text": "📄 全文",
        "more": "➡️ 其他答案",
        "expired": "这个按钮已过期，请重新提问。",
        "more_tips": "另有 {n} 条提示，点“全文”查看。",
    },
    "en": {
        "tip": "💡 Tip",
        "not_found": "The SOP has no clear answer to that.",
        "closest": "Closest steps:",
        "did_you_mean": "Did you mean…",
        "empty": "Just type your question, e.g. “customer forgot his ID”.",
        "no_words": "I can't read that message 🙂 Please describe your question in words, "
        "e.g. “when is the morning meeting”.",
        "too_long": "That message is very long; I only read its beginning. "
        "One or two sentences work best.",
        "full_text": "📄 Full step",
        "more": "➡️ Other answers",
        "expired": "This button has expired; please ask again.",
        "more_tips": "{n} more tip(s): tap “Full step”.",
    },
}


def label(script: str, key: str, **values: object) -> str:
    text = LABELS.get(script, LABELS["hant"])[key]
    return text.format(**values) if values else text
