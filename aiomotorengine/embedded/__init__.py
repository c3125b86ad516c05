"""The embedded MongoDB server (SecantusDB) for tests, demos and local development
(``python -m aiomotorengine server``); ``aiomotorengine.testing`` re-exports it."""

from aiomotorengine.embedded.server import EmbeddedServer, EmbeddedServerUnavailable

__all__ = ["EmbeddedServer", "EmbeddedServerUnavailable"]
