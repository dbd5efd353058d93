"""Custom Rasa NLU components of this project (loaded by config.yml)."""
