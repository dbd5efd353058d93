"""``python -m bot``: the one entry point (run, train, chat, web, telegram, audit, eval)."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
