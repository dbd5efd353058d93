"""Evaluations that print a report (not pass/fail tests): ``python -m bot eval ...``."""

__all__: list[str] = []
