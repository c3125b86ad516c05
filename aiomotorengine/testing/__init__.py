"""Test support: the embedded MongoDB server and the pytest plugin around it."""

from aiomotorengine.embedded import EmbeddedServer, EmbeddedServerUnavailable
from aiomotorengine.testing.commands import CommandRecorder

__all__ = ["CommandRecorder", "EmbeddedServer", "EmbeddedServerUnavailable"]
