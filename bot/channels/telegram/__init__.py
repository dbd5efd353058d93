"""Telegram bridge: python-telegram-bot in front of Rasa's REST channel.

``python -m bot telegram`` runs it (long polling, or ``--webhook URL``); see docs/telegram.md.
Modules, one job each:

- ``cli``        command line and logging set-up
- ``app``        builds the Application and runs it (polling or webhook), start to stop
- ``handlers``   routing of updates to small handlers (text, buttons, everything else)
- ``commands``   /start /help /language /region /forget and their menus
- ``conversation`` one text turn: rate limit, forward to Rasa, fail-safe, reply
- ``rasa_bridge`` forwarding to Rasa with a deadline, and the fail-safe when it fails
- ``sending``    delivering replies: split, keyboards, retries
- ``formatting`` splitting at Telegram's limit and escaping for a parse mode
- ``locales``    the locale sent to Rasa (explicit choice, else Telegram's language_code)
- ``prefs``      per-chat language/region choices (SQLite under state_dir)
- ``memory``     per-chat in-memory state: last texts for the fail-safe, button payloads
- ``dialogue``   named steps of the multi-step commands (/forget, /language, /region)
- ``ratelimit``  per-chat sliding-window limit
- ``processor``  per-chat ordering of updates while chats run concurrently
- ``updates``    turning raw JSON into Updates without ever dropping one silently
- ``polling``    the getUpdates loop
- ``webhook``    the aiohttp receiver that checks Telegram's secret-token header
- ``erasure``    the /forget hook into the clinician audit store
- ``errors``     the central error handler and log-safe exception descriptions
- ``texts``      the bridge's own messages in English and Russian
"""
