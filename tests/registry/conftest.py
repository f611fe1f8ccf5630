"""The live demo (web server and gateway over the demo data) is shared by the modules that need it: built once."""

from tests.registry.live_demo import live_demo  # noqa: F401
