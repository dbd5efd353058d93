"""rasa-sdk action server: one module per feature.

- ``answer``: answers a treatment question from the knowledge snippets, with a citation.
- ``sources``: lists the evidence articles the answers come from.
- ``knowledge``: the pure-Python knowledge base (loading, ranking, composing); no rasa_sdk.

Start it with ``python -m rasa_sdk --actions actions`` (``python -m bot run`` does).
"""
