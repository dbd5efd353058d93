"""Rasa action server package, split by feature."""
