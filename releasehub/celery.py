import os

from celery import Celery

import releasehub.broker  # noqa: F401  (registers the embedded broker's fsatomic:// transport)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "releasehub.settings")

app = Celery("releasehub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
