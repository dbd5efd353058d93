"""Rasa 3.6 hot spots that cost time on every message without buying anything.

Each patch keeps Rasa's behaviour (same checks, same results, same errors) and only
removes repeated work; each was found by profiling the server under load (see
bench/rest_bench.py and the README section "Running for a larger clinic").

* **Action-server reply validation.** ``RemoteAction._validate_action_result`` calls
  ``jsonschema.validate(result, schema)``, which first checks the (constant) schema
  against the JSON-Schema meta-schema and builds a new validator: about 35 % of the
  server's CPU time under a load of content questions. Here the schema is checked
  once and one validator is reused; the reply itself is still validated every time
  and an invalid reply raises the same ``ValidationError`` with the same message.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["install_speedups"]

_FLAG = "_bot_speedups_installed"


@functools.lru_cache(maxsize=1)
def _action_reply_validator() -> Any:
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, instead of on every reply
    validator = cls(schema)

    def validate(instance: Any) -> None:
        # Same as jsonschema.validate after its schema check.
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    return validate


def install_speedups() -> None:
    """Install the patches (idempotent)."""
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction, _FLAG, False):
        return

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        try:
            _action_reply_validator()(result)
            return True
        except ValidationError as e:
            # Rasa's wording, unchanged.
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    setattr(RemoteAction, _FLAG, True)
