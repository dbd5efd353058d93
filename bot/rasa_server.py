"""Start the Rasa server with this project's guards installed.

``python -m bot.rasa_server run --model ... --endpoints ...`` takes the same arguments
as ``rasa``; it installs the safety layer's message-processor guard, the action
fallback and the speed-ups of bot/rasa_speedups.py first, then hands over to Rasa's own command line.
"""

from __future__ import annotations

import sys


def main() -> None:
    from bot.rasa_resilience import install_action_fallback
    from bot.rasa_speedups import install_speedups
    from safety.rasa_adapters import install_processor_guard

    install_processor_guard()
    install_action_fallback()
    install_speedups()

    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
