"""The crisis screen: a plain Python library (no Rasa import anywhere in it).

    import safety
    verdict = safety.screen("I want to die", locale="en-GB")
    if verdict.level.at_least(safety.Level.CRISIS):
        reply = safety.compose_reply(verdict)

Pipeline: normalise -> detect -> decide -> compose reply. See safety/README.md.
Importing the package is cheap: tables load on the first call (or :func:`warm_up`).
"""

from safety.compose import compose_notice, compose_reply, compose_signpost, compose_unavailable
from safety.locale import Locale, resolve_locale
from safety.pipeline import engine_version, screen, warm_up
from safety.verdict import Level, Reason, Verdict

__all__ = [
    "Level",
    "Locale",
    "Reason",
    "Verdict",
    "compose_notice",
    "compose_reply",
    "compose_signpost",
    "compose_unavailable",
    "engine_version",
    "resolve_locale",
    "screen",
    "warm_up",
]
