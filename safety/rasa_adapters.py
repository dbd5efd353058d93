"""Rasa adapters for the safety screen: they translate, they do not decide.

The screen itself (``safety.screen``) is a plain library. This module plugs it into
Rasa 3.6 in three layers, because research on 3.6.21 showed that any single layer
can be bypassed:

1. **Message-processor guard** (:func:`install_processor_guard`): wraps
   ``MessageProcessor.parse_message`` and ``_handle_message_with_tracker`` so that the
   raw text of every message is screened after parsing, whatever produced the parse
   (the NLU graph, ``RegexMessageHandler`` for ``/intent`` messages, or
   ``parse_data`` supplied by an API client to ``/conversations/{id}/messages``).
2. **NLU override** (:class:`SafetyOverride`), the last component of the pipeline:
   a crisis verdict replaces whatever intent NLU guessed with ``safety_alert`` and
   drops entities, so nothing downstream (rules, slot mappings) acts on it. It also
   installs the processor guard when the model loads, so even plain ``rasa run``
   gets layer 1.
3. **Guard policy** (:class:`SafetyPolicy`), the highest priority: re-screens the raw
   text of the latest user message (with the two before it as context), and for
   ``crisis``/``emergency`` predicts ``utter_safety`` whose text it composes from
   ``safety/helplines.yaml`` and hands over in a slot. The prediction is marked
   ``is_no_user_prediction`` and deactivates any active form, so an active loop
   cannot outrank it. Everything happens inside the Rasa server: no action server,
   database or network is involved. It also adds the ``support`` signpost and the
   first-reply notice after the normal answer.

Rasa is imported here (this module is only loaded by Rasa through config.yml);
the rest of ``safety`` never imports Rasa.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

import safety

__all__ = [
    "SafetyOverride",
    "SafetyPolicy",
    "install_processor_guard",
    "screen_parse_data",
    "SAFETY_INTENT",
    "PARSE_DATA_KEY",
]

logger = logging.getLogger(__name__)

SAFETY_INTENT = "safety_alert"
PARSE_DATA_KEY = "safety"
# How many earlier user messages count as context for the screen.
HISTORY_MESSAGES = 2

UTTER_SAFETY = "utter_safety"
UTTER_SIGNPOST = "utter_safety_signpost"
UTTER_NOTICE = "utter_session_notice"
# Metadata a channel sets when it has just shown the notice itself (docs/contracts.md).
NOTICE_SHOWN_METADATA = "notice_shown"
# Replies that already tell the user this is an automated service with the emergency
# numbers: after one of them the first-reply notice is not repeated in the session.
_NOTICE_CARRIERS = frozenset({UTTER_SAFETY, UTTER_NOTICE})


# --------------------------------------------------------------------------- helpers


def _is_alert(verdict: safety.Verdict) -> bool:
    return verdict.level.at_least(safety.Level.CRISIS)


def _override_parse_data(parse_data: dict[str, Any], verdict: safety.Verdict) -> dict[str, Any]:
    """Put the verdict into ``parse_data``; for crisis, neutralise intent and entities."""
    previous_intent = (parse_data.get(INTENT) or {}).get("name")
    record = verdict.to_dict()
    if _is_alert(verdict):
        record["overridden_intent"] = previous_intent
        alert = {"name": SAFETY_INTENT, "confidence": 1.0}
        parse_data[INTENT] = dict(alert)
        parse_data[INTENT_RANKING_KEY] = [dict(alert)]
        parse_data[ENTITIES] = []
    parse_data[PARSE_DATA_KEY] = record
    return parse_data


def _session_events(tracker: DialogueStateTracker) -> list[Any]:
    """Events since the last ``SessionStarted`` (the whole tracker if none)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], SessionStarted):
            return events[index + 1 :]
    return events


def _previous_user_texts(events: Iterable[Any], limit: int = HISTORY_MESSAGES) -> list[str]:
    """Texts of the user messages in ``events``, oldest first, at most ``limit``."""
    texts = [e.text for e in events if isinstance(e, UserUttered) and e.text]
    return texts[-limit:] if limit else []


def _locale_of(metadata: Any) -> str | None:
    if isinstance(metadata, dict):
        locale = metadata.get("locale")
        if isinstance(locale, str) and locale.strip():
            return locale.strip()
    return None


def _screen_message(
    text: str | None, metadata: Any = None, tracker: DialogueStateTracker | None = None
) -> safety.Verdict:
    history: list[str] = []
    if tracker is not None:
        history = _previous_user_texts(tracker.events)
    return safety.screen(text or "", locale=_locale_of(metadata), history=history)


def screen_parse_data(
    parse_data: dict[str, Any],
    text: str | None,
    metadata: Any = None,
    tracker: DialogueStateTracker | None = None,
) -> dict[str, Any]:
    """Screen ``text`` and write the verdict into ``parse_data`` (returned, mutated).

    ``tracker`` (when given) supplies the user's previous messages in this session.
    """
    return _override_parse_data(parse_data, _screen_message(text, metadata, tracker))


# ------------------------------------------------------------ layer 1: processor guard

_GUARD_FLAG = "_safety_processor_guard_installed"


def install_processor_guard() -> None:
    """Wrap Rasa's ``MessageProcessor`` so every parse carries a fresh verdict.

    Idempotent. Safe to call from any process that loads Rasa.
    """
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor, _GUARD_FLAG, False):
        return

    original_parse = MessageProcessor.parse_message
    original_handle = MessageProcessor._handle_message_with_tracker

    async def parse_message(  # type: ignore[no-untyped-def]
        self, message, tracker=None, only_output_properties=True
    ):
        # Screen first (the same call, with the same history, that used to follow
        # the parse). A crisis verdict replaces whatever NLU would say (intent and
        # entities are overwritten below, and layers 2-3 act on the verdict alone),
        # so for those messages the NLU graph (tokenisers, featurisers, DIET: about a
        # fifth of the server's CPU per message) is not run at all: the crisis reply
        # comes sooner under load. Every other message is parsed as before.
        verdict = _screen_message(message.text, message.metadata, tracker)
        if _is_alert(verdict):
            parse_data = {TEXT: message.text or "", INTENT: {}, ENTITIES: []}
            record = _override_parse_data(parse_data, verdict)
            record[PARSE_DATA_KEY]["nlu_skipped"] = True
            return record
        parse_data = await original_parse(self, message, tracker, only_output_properties)
        return _override_parse_data(parse_data, verdict)

    async def _handle_message_with_tracker(self, message, tracker):  # type: ignore[no-untyped-def]
        if message.parse_data:
            # Parse data supplied by an API client is never trusted for safety: the
            # raw text is screened again and overrides it.
            message.parse_data = screen_parse_data(
                dict(message.parse_data), message.text, message.metadata, tracker
            )
        return await original_handle(self, message, tracker)

    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]
    MessageProcessor._handle_message_with_tracker = _handle_message_with_tracker  # type: ignore[method-assign]
    setattr(MessageProcessor, _GUARD_FLAG, True)
    logger.debug("safety: message-processor guard installed")


# --------------------------------------------------------------- layer 2: NLU override


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class SafetyOverride(GraphComponent, IntentClassifier):
    """Last NLU component: a crisis verdict replaces the intent and drops entities."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyOverride:
        # Loading the model is the one hook every Rasa process that serves it goes
        # through (``rasa run``, ``rasa shell``, ``rasa test``), so layer 1 is
        # installed here as well as by our launcher.
        install_processor_guard()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            verdict = safety.screen(
                message.get(TEXT) or "", locale=_locale_of(message.get("metadata"))
            )
            if _is_alert(verdict):
                alert = {"name": SAFETY_INTENT, "confidence": 1.0}
                message.set(INTENT, dict(alert), add_to_output=True)
                message.set(INTENT_RANKING_KEY, [dict(alert)], add_to_output=True)
                message.set(ENTITIES, [], add_to_output=True)
            message.set(PARSE_DATA_KEY, verdict.to_dict(), add_to_output=True)
        return messages


# ---------------------------------------------------------------- layer 3: the policy


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class SafetyPolicy(Policy):
    """Highest-priority policy: crisis reply first, then signpost and first-reply notice."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # RulePolicy is 4; anything above every built-in policy works.
        return {"priority": 10}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        # Nothing to learn: the screen is a library with its own evaluation.
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        events = list(tracker.events)
        session = _session_events(tracker)
        user_index = _last_user_index(session)
        if user_index is None:
            return self._abstain(domain)
        user = session[user_index]
        # Context for the screen is the user's previous messages even across a session
        # boundary: a hopeless message an hour ago still explains a question about heights.
        earlier = events[: len(events) - (len(session) - user_index)]
        verdict = self._verdict_for(user, earlier)
        language_events = self._language_slots(tracker, verdict)
        actions_this_turn = [
            e.action_name
            for e in session[user_index + 1 :]
            if isinstance(e, ActionExecuted) and e.action_name != ACTION_LISTEN_NAME
        ]
        latest = tracker.latest_action_name

        if not actions_this_turn:
            if _is_alert(verdict):
                optional: list[Any] = [SlotSet("safety_reply", safety.compose_reply(verdict))]
                if tracker.active_loop_name:
                    optional.append(ActiveLoop(None))
                return self._predict(
                    domain, UTTER_SAFETY, events=language_events, optional=optional,
                    no_user=True, verdict=verdict,
                )
            return self._abstain(domain, events=language_events)

        if latest in (UTTER_SAFETY, UTTER_NOTICE):
            return self._predict(domain, ACTION_LISTEN_NAME)
        if UTTER_SAFETY in actions_this_turn:
            return self._abstain(domain)

        if verdict.level == safety.Level.SUPPORT and UTTER_SIGNPOST not in actions_this_turn:
            text = safety.compose_signpost(verdict)
            return self._predict(
                domain, UTTER_SIGNPOST, optional=[SlotSet("safety_signpost", text)],
                verdict=verdict,
            )
        if not _notice_shown(session):
            text = safety.compose_notice(verdict.lang, verdict.region)
            return self._predict(
                domain, UTTER_NOTICE, optional=[SlotSet("session_notice", text)],
                verdict=verdict,
            )
        if latest == UTTER_SIGNPOST:
            return self._predict(domain, ACTION_LISTEN_NAME)
        return self._abstain(domain)

    # -- internals

    def _verdict_for(self, user: UserUttered, earlier: list[Any]) -> safety.Verdict:
        verdict = safety.screen(
            user.text or "",
            locale=_locale_of(user.metadata),
            history=_previous_user_texts(earlier),
        )
        # A safety_alert intent set by layers 1-2 can only raise the level, never
        # lower it (e.g. when their history differed slightly).
        if (user.intent or {}).get("name") == SAFETY_INTENT and not _is_alert(verdict):
            verdict = dataclasses.replace(verdict, level=safety.Level.CRISIS)
        return verdict

    @staticmethod
    def _language_slots(tracker: DialogueStateTracker, verdict: safety.Verdict) -> list[Any]:
        lang = "ru" if verdict.lang == "ru" else "en"
        events: list[Any] = []
        if tracker.get_slot("lang") != lang:
            events.append(SlotSet("lang", lang))
        if tracker.get_slot("region") != verdict.region:
            events.append(SlotSet("region", verdict.region))
        return events

    def _predict(
        self,
        domain: Domain,
        action: str,
        events: list[Any] | None = None,
        optional: list[Any] | None = None,
        no_user: bool = False,
        verdict: safety.Verdict | None = None,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        diagnostic = {"safety_level": verdict.level.value} if verdict is not None else {}
        return PolicyPrediction(
            probabilities,
            self.__class__.__name__,
            self.priority,
            events=events,
            optional_events=optional,
            is_no_user_prediction=no_user,
            diagnostic_data=diagnostic,
        )

    def _abstain(self, domain: Domain, events: list[Any] | None = None) -> PolicyPrediction:
        return PolicyPrediction(
            self._default_predictions(domain),
            self.__class__.__name__,
            self.priority,
            events=events,
        )


def _last_user_index(events: list[Any]) -> int | None:
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return index
    return None


def _notice_shown(session: list[Any]) -> bool:
    for event in session:
        if isinstance(event, ActionExecuted) and event.action_name in _NOTICE_CARRIERS:
            return True
        if isinstance(event, UserUttered) and str(
            (event.metadata or {}).get(NOTICE_SHOWN_METADATA, "")
        ).lower() == "true":
            return True
    return False
