"""WSGI entry point (served by granian in WSGI mode: ``granian --interface wsgi dancu.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
application = get_wsgi_application()
