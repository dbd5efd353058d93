"""Level ordering and the Verdict contract (docs/contracts.md)."""

from __future__ import annotations

import dataclasses
import json

import pytest

import safety
from safety import Level, Reason, Verdict


def test_level_order_and_values() -> None:
    assert Level.NONE < Level.SUPPORT < Level.CRISIS < Level.EMERGENCY
    assert max(Level.SUPPORT, Level.EMERGENCY, Level.NONE) == Level.EMERGENCY
    assert [level.value for level in Level] == ["none", "support", "crisis", "emergency"]
    assert Level("crisis") is Level.CRISIS
    assert Level.CRISIS == "crisis"
    assert Level.EMERGENCY.at_least(Level.CRISIS)
    assert not Level.SUPPORT.at_least(Level.CRISIS)
    assert Level.CRISIS.at_least(Level.CRISIS)


def test_verdict_is_frozen_and_serialises() -> None:
    verdict = safety.screen("I want to die", locale="en-GB")
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.level = Level.NONE  # type: ignore[misc]
    data = verdict.to_dict()
    assert {"level", "lang", "region", "country", "helplines", "reasons", "version"} <= set(data)
    assert data["level"] == "crisis" and data["country"] == "GB"
    assert json.loads(json.dumps(data)) == data
    reason = data["reasons"][0]
    assert {"detector", "rule", "level", "span", "matched", "score"} <= set(reason)


def test_public_api() -> None:
    for name in ["screen", "Verdict", "Level", "Reason", "Locale", "compose_reply", "compose_signpost",
                 "compose_notice", "compose_unavailable", "resolve_locale"]:
        assert name in safety.__all__ and hasattr(safety, name)
    assert isinstance(safety.screen("hi"), Verdict)
    assert Reason("d", "r", Level.NONE, (0, 0), "", 0.0).to_dict()["source"] == "text"
