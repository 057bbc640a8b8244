"""Trainer quizzes in groups, /practice with Leitner boxes, /leaderboard and /myscore.

``service`` holds the Telegram-free rules (scores, boxes, what to ask next).
"""
