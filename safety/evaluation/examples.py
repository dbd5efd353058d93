"""One labelled example, from any source, in one shape."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

__all__ = ["Example", "tuning_part"]


@dataclass(frozen=True)
class Example:
    source: str  # "dev", "holdout", "cssrs_gaur2019", ...
    id: str
    text: str
    label: str  # none | support | crisis | emergency
    lang: str
    category: str
    locale: str | None = None
    history: tuple[str, ...] = ()
    group: str | None = None  # several examples that belong to one user or post
    part: str = ""  # "tune" or "held-out" for the shared sets; "" for the project's cases
    extra: dict[str, str] = field(default_factory=dict)


def tuning_part(key: str) -> str:
    """Fixed split of a shared set: half may be read while tuning rules, half never.

    Deterministic (sha256 of the key), so the same items are always set aside.
    """
    digest = hashlib.sha256(f"safety-tune:{key}".encode()).digest()
    return "tune" if digest[0] < 128 else "held-out"
