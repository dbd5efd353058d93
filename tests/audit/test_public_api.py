"""bot.audit's public functions stay callable after every submodule is imported."""

from __future__ import annotations

import importlib
import pkgutil

import bot.audit


def test_health_and_erase_sender_are_functions_after_importing_everything():
    for module in pkgutil.iter_modules(bot.audit.__path__):
        importlib.import_module(f"bot.audit.{module.name}")
    assert callable(bot.audit.health) and not isinstance(bot.audit.health, type(bot.audit))
    assert callable(bot.audit.erase_sender) and not isinstance(bot.audit.erase_sender, type(bot.audit))
