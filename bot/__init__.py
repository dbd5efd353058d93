"""Runtime of the assistant: CLI, process supervisor, channels, audit store and web pages."""
