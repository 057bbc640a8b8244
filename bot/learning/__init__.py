"""How the bot gets better: the question log, /gaps and /teach, SOP files sent to the bot.

``service`` holds the log, rebuilds and teaching state; ``handlers`` /gaps and /teach,
``updates`` SOP files an admin sends, ``render`` their texts and keyboards.
"""
