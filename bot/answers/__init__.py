"""Answers to staff questions: the question handler, step cards and their buttons, votes,
inline sharing, and /start, /help.

The search is the knowledge core's (``knowledge``); rendering is ``bot.render``.
"""
