"""Real-browser end-to-end tests. A package so tests can ``from .pages import ...``."""
