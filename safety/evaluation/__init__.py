"""Measuring the screen: the project's labelled cases and the public sets in ../shared/data.

Run it with ``python -m safety evaluate`` (see :mod:`safety.evaluation.evaluate`).
The case files in ``cases/`` are written and owned by the case writer, not by the screen.
"""

__all__: list[str] = []
