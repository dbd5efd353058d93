"""Running several Rasa replicas: a tracker store and a lock store that fail safely."""
