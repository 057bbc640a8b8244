"""Browsing the SOP (documents, roles, steps) and choosing one's role (/roles, /role).

``contents`` is the Telegram-free table of contents the buttons page through.
"""
