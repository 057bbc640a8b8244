"""Small Telegram steps every feature shares: editing a message, answering a stale button,
reporting an error, replacing a named job."""
