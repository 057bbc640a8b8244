"""Manager briefings: /brief, /briefs, /missed, the durable delivery job and schedules.

``model`` holds the values, ``service`` the Telegram-free rules and the courier,
``handlers`` the Telegram side; the queries are ``bot.storage.briefings``.
"""
