"""Clinician audit: a tamper-evident record of what the assistant told patients.

Public surface (everything else is internal):

* ``bot.audit.broker.AuditEventBroker`` - the Rasa event broker that writes the record;
* :func:`health` - ready / degraded / down, for the health endpoints;
* :func:`erase_sender` - GDPR erasure (``audit erase`` and Telegram's /forget);
* ``bot.audit.web.setup(app, settings)`` - the clinician pages under /audit/;
* ``bot.audit.cli.main(argv)`` - ``python -m bot audit ...``.

Nothing is imported or opened here at import time.
"""

from __future__ import annotations

from typing import Any

__all__ = ["health", "erase_sender"]


def health(settings: Any = None) -> dict[str, Any]:
    """``{"status": "ready"|"degraded"|"down", "reasons": [...], "backlog": N}``.

    (Implemented in ``bot.audit.status``: a submodule named ``health`` would replace this
    function on the package as soon as it was imported.)"""
    from bot.audit.status import health as _health

    return _health(settings)


def erase_sender(
    sender_id: str, *, via: str = "api", actor: str | None = None, settings: Any = None
) -> dict[str, Any]:
    """Erase one person's conversation (see bot.audit.erasure.erase_sender)."""
    from bot.audit.erasure import erase_sender_with_settings

    return erase_sender_with_settings(sender_id, via=via, actor=actor, settings=settings)
