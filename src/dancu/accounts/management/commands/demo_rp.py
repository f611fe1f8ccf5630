"""``dancu demo_rp``: serve the demo relying party (accounts/demo_rp.py) on its own origin, as an outside
application would be, so that sign-in crosses origins exactly as it does for a real client."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.utils.csp import CSP

from dancu.accounts.demo import rp_file
from dancu.core.processes import stop_on_signals


class Command(BaseCommand):
    help = "Serve the demo relying party on its own port (registered by `dancu demo_citizens --rp-url`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="Default: the host of the registered --rp-url")
        parser.add_argument("--port", type=int, help="Default: the port of the registered --rp-url")

    def handle(self, *args: Any, **options: Any) -> None:
        if not rp_file().exists():
            raise CommandError("demo_rp_not_registered: run `dancu demo_citizens --rp-url URL` first")
        config = json.loads(rp_file().read_text())
        registered = urlsplit(config["base_url"])
        provider = urlsplit(config["provider"])
        host = options["host"] or registered.hostname or "127.0.0.1"
        port = options["port"] if options["port"] is not None else registered.port or 8002
        # Another site: its own URLs, and cookie names of its own (cookies are shared between ports of one host).
        settings.ROOT_URLCONF = "dancu.accounts.demo_rp"
        settings.SESSION_COOKIE_NAME = "demo_rp_sessionid"
        settings.CSRF_COOKIE_NAME = "demo_rp_csrftoken"
        settings.LANGUAGE_COOKIE_NAME = "demo_rp_language"
        # Its own policy: the sign-out form's redirect goes on to the provider's logout page.
        settings.SECURE_CSP = {
            **settings.SECURE_CSP,
            "form-action": [CSP.SELF, f"{provider.scheme}://{provider.netloc}"],
        }
        server = ThreadedWSGIServer((host, port), WSGIRequestHandler)
        server.daemon_threads = True
        server.set_app(get_wsgi_application())
        # SIGTERM / Ctrl-C: the server stops taking connections, the requests in flight finish, exit status 0.
        stop = stop_on_signals()

        def shut_down_on_stop() -> None:
            while not stop.wait(3600):
                pass
            server.shutdown()

        threading.Thread(target=shut_down_on_stop, name="demo-rp-stop", daemon=True).start()
        if options["verbosity"]:
            self.stdout.write(f"demo relying party on http://{host}:{server.server_address[1]}/")
            self.stdout.flush()
        try:
            server.serve_forever()
        finally:
            server.server_close()
