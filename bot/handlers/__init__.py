"""The bot's handlers, one module per feature; ``bot.app`` wires them in order.

Each handler parses the update, calls the knowledge core or storage, renders with
``bot.render`` and ``bot.keyboards``, and sends. No SQL and no ranking here.
"""
