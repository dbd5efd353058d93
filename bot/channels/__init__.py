"""Messaging channels that bridge users to the Rasa server (Telegram; the web widget lives in bot.web)."""
