"""The ASGI entry: `uvicorn autodoctor.asgi:application` serves the live event streams (/live/)
and, in development (scripts/run), every other page too.

An ASGI process keeps no persistent database connections (Django's advice: connections are
per thread, and streams would pin one each); the settings read AUTODOCTOR_ASGI for that."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autodoctor.settings")
os.environ["AUTODOCTOR_ASGI"] = "1"
application = get_asgi_application()
