"""Emergency numbers for the widget's always-visible line, from the helplines data.

Every number shown to users lives in ``safety/helplines.yaml``; the safety library's
``safety.helplines.emergency_line(region)`` picks the emergency line of a region from it
(the same choice its crisis replies make). The import is inside the function so that
importing the widget stays cheap and does not depend on the safety package.
"""

from __future__ import annotations

__all__ = ["emergency_number"]


def emergency_number(region: str) -> str:
    """The emergency number for ``region`` ("UK", "EU", "other") as written in the data."""
    from safety.helplines import emergency_line

    return emergency_line(region).number
