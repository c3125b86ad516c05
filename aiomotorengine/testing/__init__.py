"""Test support: the embedded MongoDB server and the pytest plugin around it."""

from aiomotorengine.testing.commands import CommandRecorder
from aiomotorengine.testing.server import EmbeddedServer, EmbeddedServerUnavailable

__all__ = ["CommandRecorder", "EmbeddedServer", "EmbeddedServerUnavailable"]
