import os

from django.core.wsgi import get_wsgi_application

from releasehub.startup import require_static_files

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "releasehub.settings")
application = get_wsgi_application()
# Refuse to start rather than answer 500 on every page (startup.py).
require_static_files()
