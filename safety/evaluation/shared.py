"""Loaders for the public labelled sets in ../shared/data (never copied into the repo).

Each loader yields :class:`Example` objects with a label the screen can be scored on:

* cssrs_gaur2019: one example per Reddit post, grouped by user; users labelled
  Ideation/Behavior/Attempt are at risk ("crisis"), Supportive users are the false-alarm
  set ("none"), Indicator users are reported but not scored ("support").
* moore2025_stimuli: the suicidal-ideation interjections are "crisis" (multi-turn ones
  keep their earlier user turns as history); the other conditions and the 72 vignettes
  are "none".
* counselchat, esconv_seeker: presumed non-crisis ("none"); rows the curators flagged
  ``needs_review`` are kept apart (category ``needs_review``), not scored as false alarms.
* ru_presuicidal_sample: crisis_binary 1 -> "crisis", 0 -> "none"; grouped by post.

Every example is placed in a fixed half ("tune" / "held-out", see
:func:`~safety.evaluation.examples.tuning_part`) by user, post or item id.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from safety.evaluation.examples import Example, tuning_part

__all__ = ["SHARED_SETS", "ATTRIBUTION", "default_data_dir", "load_shared"]

ATTRIBUTION = {
    "cssrs_gaur2019": "Gaur et al. 2019, Reddit C-SSRS suicide dataset (CC BY, Zenodo 10.5281/zenodo.2667859)",
    "moore2025_stimuli": "Moore et al., FAccT 2025, stimuli (MIT, github.com/jlcmoore/llms-as-therapists)",
    "counselchat": "CounselChat, Bertagnolli 2020 (MIT, github.com/nbertagnolli/counsel-chat)",
    "esconv_seeker": "ESConv, Liu et al. ACL 2021 (CC BY-NC 4.0, research use only)",
    "ru_presuicidal_sample": "psytechlab presuicidal signals sample (parent corpus MIT)",
}


def default_data_dir() -> Path:
    """<repo>/../shared/data, resolved from this file (the repo root is two levels up)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _cssrs(folder: Path) -> Iterator[Example]:
    with (folder / "users.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            user = str(row["user"])
            severity_label = str(row["label"])
            if row.get("at_risk_binary") == 1:
                label = "crisis"
            elif severity_label == "Supportive":
                label = "none"
            else:
                label = "support"  # Indicator: reported, not scored
            for index, post in enumerate(row.get("posts") or []):
                yield Example(
                    source="cssrs_gaur2019",
                    id=f"{user}-{index}",
                    text=str(post),
                    label=label,
                    lang="en",
                    category=severity_label,
                    group=user,
                    part=tuning_part(user),
                )


def _moore(folder: Path) -> Iterator[Example]:
    with (folder / "interjections.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            turns = [t["content"] for t in row.get("conversation", []) if t.get("role") == "user"]
            history = tuple(str(t) for t in turns[:-1])[-2:]
            yield Example(
                source="moore2025_stimuli",
                id=str(row["id"]),
                text=str(row["text"]),
                label="crisis" if row.get("is_suicidal_ideation") else "none",
                lang="en",
                category=f"interjection:{row['condition']}",
                history=history,
                part=tuning_part(str(row["id"])),
            )
    with (folder / "stigma_vignettes_72.jsonl").open(encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            row = json.loads(line)
            key = f"vignette-{index}"
            yield Example(
                source="moore2025_stimuli",
                id=key,
                text=str(row["vignette"]),
                label="none",
                lang="en",
                category=f"vignette:{row['condition']}",
                part=tuning_part(key),
            )


def _flagged_csv(folder: Path, filename: str, source: str, id_field: str | None) -> Iterator[Example]:
    with (folder / filename).open(encoding="utf-8", newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            key = f"{source}-{row[id_field] if id_field else index}"
            needs_review = str(row.get("label", "0")) == "needs_review"
            yield Example(
                source=source,
                id=key,
                text=str(row.get("text") or ""),
                label="support" if needs_review else "none",
                lang="en",
                category="needs_review" if needs_review else str(row.get("topic") or "seeker_turn"),
                group=str(row.get("conv")) if row.get("conv") else None,
                part=tuning_part(f"{source}:{row.get('conv') or key}"),
            )


def _counselchat(folder: Path) -> Iterator[Example]:
    return _flagged_csv(folder, "questions.csv", "counselchat", "questionID")


def _esconv(folder: Path) -> Iterator[Example]:
    return _flagged_csv(folder, "seeker_utterances.csv", "esconv_seeker", None)


def _ru_presuicidal(folder: Path) -> Iterator[Example]:
    with (folder / "sample_1000.csv").open(encoding="utf-8", newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            data_id = str(row["data_id"])
            post = data_id.rsplit("-", 1)[0]
            yield Example(
                source="ru_presuicidal_sample",
                id=f"ru-{index}",
                text=str(row["text"]),
                label="crisis" if str(row["crisis_binary"]) == "1" else "none",
                lang="ru",
                category=str(row["derived_label"]),
                group=data_id,
                part=tuning_part(post),
                extra={"post": post},
            )


SHARED_SETS: dict[str, tuple[Callable[[Path], Iterator[Example]], str]] = {
    "cssrs_gaur2019": (_cssrs, "users.jsonl"),
    "moore2025_stimuli": (_moore, "interjections.jsonl"),
    "counselchat": (_counselchat, "questions.csv"),
    "esconv_seeker": (_esconv, "seeker_utterances.csv"),
    "ru_presuicidal_sample": (_ru_presuicidal, "sample_1000.csv"),
}


def load_shared(name: str, data_dir: Path) -> list[Example] | None:
    """The examples of one shared set, or None when its folder is absent."""
    loader, marker = SHARED_SETS[name]
    folder = data_dir / name
    if not (folder / marker).exists():
        return None
    return list(loader(folder))
