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
        "closest_is": "最接近的是：",
        "also_close": "其他相近的步驟：",
        "did_you_mean": "你是不是想問…",
        "empty": "請直接輸入你的問題，例如「客人沒帶證件怎麼辦」。",
        "no_words": "我看不懂這個訊息 🙂 請用文字描述你的問題，例如「早會幾點開」。",
        "too_long": "訊息太長了，我只看了開頭部分。下次請用一兩句話問我。",
        "full_text": "📄 全文",
        "more": "➡️ 其他答案",
        "expired": "這個按鈕已過期，請重新提問。",
        "more_tips": "另有 {n} 則提示，按「全文」查看。",
        # The Telegram interface: commands, keyboards, /start, /help, /roles, /role.
        "welcome": "你好，{name}！我是門市 SOP 小幫手 📘\n"
        "直接打字問我工作上的問題，我會找出 SOP 裡對應的步驟和溫馨提示。",
        "try_examples": "試試這些問題：",
        "example_1": "客人沒帶證件怎麼辦",
        "example_2": "客人投訴怎麼處理",
        "example_3": "遇到緊急情況怎麼辦",
        "help": "直接輸入問題，例如「客人沒帶證件怎麼辦」，我會回覆 SOP 裡最相關的步驟。\n\n"
        "答案下的按鈕：📄 全文 看整個步驟和所有提示；➡️ 其他答案 看下一個相關步驟；"
        "👍／👎 告訴我答得好不好。\n\n"
        "/roles 按文件 › 崗位 › 步驟瀏覽整份 SOP\n"
        "/role 設定你的崗位，你崗位的步驟會優先出現\n"
        "在任何聊天輸入 @{bot} 加上問題，就能把步驟卡片分享給同事。",
        "documents": "📚 選擇文件：",
        "choose_role": "選擇崗位：",
        "choose_step": "選擇步驟：",
        "general": "通用",
        "back": "⬅️ 返回",
        "previous": "⬅️ 上一個",
        "page_previous": "◀️ 上一頁",
        "page_next": "下一頁 ▶️",
        "role_prompt": "選擇你的崗位，回答時會優先顯示這個崗位的步驟。",
        "role_current": "目前：{role}",
        "role_none": "未設定",
        "role_clear": "✖️ 不指定崗位",
        "role_set": "✅ 已設定崗位：{role}",
        "role_cleared": "✅ 已取消崗位設定。",
        "role_unknown": "沒有「{role}」這個崗位，請從下面選擇。",
        "no_roles": "這份 SOP 沒有分崗位。",
        "thanks": "謝謝你的回饋！",
        "unknown_command": "我不認識這個指令。直接輸入問題就可以，或看 /help。",
        "error": "抱歉，處理時出了點問題，請再試一次。",
        "inline_open": "私訊我提問",
        "cmd_start": "開始使用與範例問題",
        "cmd_help": "使用說明",
        "cmd_roles": "瀏覽 SOP：文件 › 崗位 › 步驟",
        "cmd_role": "設定我的崗位",
    },
    "hans": {
        "tip": "💡 温馨提示",
        "not_found": "SOP 里找不到明确的答案。",
        "closest": "最接近的步骤：",
        "closest_is": "最接近的是：",
        "also_close": "其他相近的步骤：",
        "did_you_mean": "你是不是想问…",
        "empty": "请直接输入你的问题，例如“客户没带证件怎么办”。",
        "no_words": "我看不懂这条消息 🙂 请用文字描述你的问题，例如“早会几点开”。",
        "too_long": "消息太长了，我只看了开头部分。下次请用一两句话问我。",
        "full_text": "📄 全文",
        "more": "➡️ 其他答案",
        "expired": "这个按钮已过期，请重新提问。",
        "more_tips": "另有 {n} 条提示，点“全文”查看。",
        # The Telegram interface: commands, keyboards, /start, /help, /roles, /role.
        "welcome": "你好，{name}！我是门店 SOP 小助手 📘\n"
        "直接打字问我工作上的问题，我会找出 SOP 里对应的步骤和温馨提示。",
        "try_examples": "试试这些问题：",
        "example_1": "客户没带证件怎么办",
        "example_2": "客户投诉怎么处理",
        "example_3": "营业款怎么上缴",
        "help": "直接输入问题，例如“客户没带证件怎么办”，我会回复 SOP 里最相关的步骤。\n\n"
        "答案下的按钮：📄 全文 看整个步骤和所有提示；➡️ 其他答案 看下一个相关步骤；"
        "👍／👎 告诉我答得好不好。\n\n"
        "/roles 按文件 › 岗位 › 步骤浏览整份 SOP\n"
        "/role 设置你的岗位，你岗位的步骤会优先出现\n"
        "在任何聊天输入 @{bot} 加上问题，就能把步骤卡片分享给同事。",
        "documents": "📚 选择文件：",
        "choose_role": "选择岗位：",
        "choose_step": "选择步骤：",
        "general": "通用",
        "back": "⬅️ 返回",
        "previous": "⬅️ 上一个",
        "page_previous": "◀️ 上一页",
        "page_next": "下一页 ▶️",
        "role_prompt": "选择你的岗位，回答时会优先显示这个岗位的步骤。",
        "role_current": "当前：{role}",
        "role_none": "未设置",
        "role_clear": "✖️ 不指定岗位",
        "role_set": "✅ 已设置岗位：{role}",
        "role_cleared": "✅ 已取消岗位设置。",
        "role_unknown": "没有“{role}”这个岗位，请从下面选择。",
        "no_roles": "这份 SOP 没有分岗位。",
        "thanks": "谢谢你的反馈！",
        "unknown_command": "我不认识这个指令。直接输入问题就可以，或看 /help。",
        "error": "抱歉，处理时出了点问题，请再试一次。",
        "inline_open": "私聊我提问",
        "cmd_start": "开始使用与示例问题",
        "cmd_help": "使用说明",
        "cmd_roles": "浏览 SOP：文件 › 岗位 › 步骤",
        "cmd_role": "设置我的岗位",
    },
    "en": {
        "tip": "💡 Tip",
        "not_found": "The SOP has no clear answer to that.",
        "closest": "Closest steps:",
        "closest_is": "The closest is:",
        "also_close": "Other close steps:",
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
        # The Telegram interface: commands, keyboards, /start, /help, /roles, /role.
        "welcome": "Hi {name}! I'm the store's SOP assistant 📘\n"
        "Type any work question and I'll find "
        "the matching SOP step and its tip.",
        "try_examples": "Try these questions:",
        "example_1": "customer has no ID with him",
        "example_2": "how to handle a customer complaint",
        "example_3": "what to do in an emergency",
        "help": "Just type a question, e.g. “customer forgot his ID”, and I'll reply with the most "
        "relevant SOP step.\n\n"
        "Buttons under an answer: 📄 Full step shows the whole step with every tip; ➡️ Other "
        "answers shows the next matching step; 👍 / 👎 tells me whether the answer helped.\n\n"
        "/roles browses the SOP by document › role › step\n"
        "/role sets your role, so its steps come first\n"
        "Type @{bot} and a question in any chat to share a step card with a colleague.",
        "documents": "📚 Choose a document:",
        "choose_role": "Choose a role:",
        "choose_step": "Choose a step:",
        "general": "General",
        "back": "⬅️ Back",
        "previous": "⬅️ Previous",
        "page_previous": "◀️ Previous page",
        "page_next": "Next page ▶️",
        "role_prompt": "Choose your role: answers will show its steps first.",
        "role_current": "Now: {role}",
        "role_none": "none",
        "role_clear": "✖️ No role",
        "role_set": "✅ Your role: {role}",
        "role_cleared": "✅ Role cleared.",
        "role_unknown": "There is no role “{role}”; please choose one below.",
        "no_roles": "This SOP has no roles.",
        "thanks": "Thanks for the feedback!",
        "unknown_command": "I don't know that command. Just type a question, or see /help.",
        "error": "Sorry, something went wrong. Please try again.",
        "inline_open": "Ask me in a private chat",
        "cmd_start": "Start, with example questions",
        "cmd_help": "How to use the bot",
        "cmd_roles": "Browse the SOP: document › role › step",
        "cmd_role": "Set my role",
    },
}


def label(script: str, key: str, **values: object) -> str:
    text = LABELS.get(script, LABELS["hant"])[key]
    return text.format(**values) if values else text
