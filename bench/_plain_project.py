"""Generate a plain Rasa 3.6 project: this assistant without its safety layer.

Written under ``var/bench/plain/`` (never committed) by ``bench/compare_plain_rasa.py``:

* ``config.yml``: the same NLU pipeline minus this project's components (no
  ``SafetyOverride``, no ``MedicalAdviceGate``; the ``FallbackClassifier`` stays) and
  the same ``RulePolicy``, without ``SafetyPolicy``;
* ``domain/``: the same intents, slots, responses and actions minus the safety ones,
  plus an intent ``crisis`` answered by ``utter_crisis`` (its text is the screen's own
  English crisis reply, composed once from ``safety/helplines.yaml``);
* ``data/``: the same NLU data and rules, plus, to give plain Rasa its best crisis
  classifier, the crisis and emergency cases of the screen's development sets
  (``dev.jsonl``, ``dev2.jsonl``) as examples of ``crisis`` and their ``none`` cases as
  examples of ``out_of_scope``. Support cases are left out (neither class fits them).

The held-out case files are never used here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASE_FILES = [ROOT / "safety" / "evaluation" / "cases" / n for n in ("dev.jsonl", "dev2.jsonl")]
SAFETY_INTENTS = {"safety_alert"}
SAFETY_SLOTS = {"safety_reply", "safety_signpost", "session_notice"}
CRISIS_INTENT = "crisis"


def _custom(component: dict[str, Any]) -> bool:
    """Components of this project are given by module path (``safety.…``, ``bot.…``)."""
    return "." in str(component.get("name", ""))


def plain_config() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config["assistant_id"] = "plain-rasa-comparison"
    config["pipeline"] = [c for c in config["pipeline"] if not _custom(c)]
    config["policies"] = [p for p in config["policies"] if not _custom(p)]
    return config


def plain_domain(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "domain").glob("*.yml")):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        domain["intents"] = [i for i in domain.get("intents", []) if i not in SAFETY_INTENTS]
        domain["slots"] = {k: v for k, v in (domain.get("slots") or {}).items() if k not in SAFETY_SLOTS}
        responses = domain.get("responses") or {}
        # A response that only shows a safety slot belongs to the safety layer.
        domain["responses"] = {
            name: variants for name, variants in responses.items()
            if not any("{" + slot + "}" in str(variants) for slot in SAFETY_SLOTS)
        }
        domain = {k: v for k, v in domain.items() if v not in ({}, [])}
        (target / path.name).write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (target / "crisis.yml").write_text(yaml.safe_dump({
        "version": "3.1",
        "intents": [CRISIS_INTENT],
        "responses": {"utter_crisis": [{"text": crisis_reply_text()}]},
    }, allow_unicode=True, sort_keys=False), encoding="utf-8")


def crisis_reply_text() -> str:
    import safety

    return safety.compose_reply(safety.screen("I want to kill myself", locale="en-GB"))


def _cases() -> list[dict[str, Any]]:
    cases = []
    for path in CASE_FILES:
        with path.open(encoding="utf-8") as handle:
            cases += [json.loads(line) for line in handle if line.strip()]
    return cases


def _nlu_block(intent: str, texts: list[str]) -> dict[str, Any]:
    # One example per line of a literal block: newlines inside a case become spaces.
    examples = "".join(f"- {' '.join(t.split())}\n" for t in dict.fromkeys(texts) if t.strip())
    return {"intent": intent, "examples": examples}


def plain_data(target: Path) -> dict[str, int]:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "data" / "nlu", target / "nlu")
    shutil.copytree(ROOT / "data" / "rules", target / "rules")
    cases = _cases()
    crisis = [c["text"] for c in cases if c["label"] in ("crisis", "emergency")]
    none = [c["text"] for c in cases if c["label"] == "none"]
    nlu = {"version": "3.1", "nlu": [_nlu_block(CRISIS_INTENT, crisis), _nlu_block("out_of_scope", none)]}
    (target / "nlu" / "crisis_cases.yml").write_text(
        yaml.safe_dump(nlu, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8"
    )
    rules = {"version": "3.1", "rules": [
        {"rule": "crisis", "steps": [{"intent": CRISIS_INTENT}, {"action": "utter_crisis"}]},
    ]}
    (target / "rules" / "crisis.yml").write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    return {"crisis_examples": len(set(crisis)), "out_of_scope_examples_added": len(set(none))}


def build(directory: Path, action_url: str, tracker_db: Path) -> dict[str, Any]:
    """Write the project; return what went into it (counts, never texts)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yml").write_text(yaml.safe_dump(plain_config(), sort_keys=False), encoding="utf-8")
    if (directory / "domain").exists():
        shutil.rmtree(directory / "domain")
    plain_domain(directory / "domain")
    counts = plain_data(directory / "data")
    write_endpoints(directory, action_url, tracker_db)
    (directory / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    return counts


def write_endpoints(directory: Path, action_url: str, tracker_db: Path) -> None:
    """Stock Rasa: the SQL tracker store on SQLite (as this assistant's local profile),
    no event broker, in-memory lock store."""
    endpoints = {
        "action_endpoint": {"url": action_url},
        "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tracker_db)},
    }
    (directory / "endpoints.yml").write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
