"""Who may use the bot: the gate in front of every handler, invites, /users, /grant, /revoke.

``rules`` holds the Telegram-free rules (who may invite or change whom), ``gate`` applies
them to every update, ``handlers`` to the commands, ``render`` words them.
"""
