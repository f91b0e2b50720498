"""wslint: find what breaks WebSocket upgrades in reverse-proxy configurations."""

__version__ = "0.1.0"
