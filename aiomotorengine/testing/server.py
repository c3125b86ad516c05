"""The embedded server launcher, at its former module path (it lives in
:mod:`aiomotorengine.embedded`, where the command line can use it too)."""

from aiomotorengine.embedded.server import EmbeddedServer, EmbeddedServerUnavailable

__all__ = ["EmbeddedServer", "EmbeddedServerUnavailable"]
