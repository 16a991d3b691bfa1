"""Incoming-list sources: their configuration, fetching them over HTTPS or from a drop folder, parsing."""
