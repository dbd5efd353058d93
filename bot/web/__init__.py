"""The web app on port 8080: the chat widget (and its demo clinic page) and the clinician audit pages."""
