"""WSGI entry point (served by granian in WSGI mode: ``granian --interface wsgi dancu.wsgi:application``).

Loaded in each granian worker before granian installs its signal handlers: they are made to stop the worker on the
first SIGTERM and ignore later ones (:func:`dancu.core.processes.granian_signals_once`)."""

import os

from django.core.wsgi import get_wsgi_application

from dancu.core.processes import granian_signals_once

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
granian_signals_once()
application = get_wsgi_application()
