"""What rows about one service or app of a release share."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from releasehub.catalog.models import FrontendApp, Service

USER = settings.AUTH_USER_MODEL


class Component(models.Model):
    """A row about one backend service or one frontend app of a release (never both)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    app = models.ForeignKey(
        FrontendApp, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def component(self) -> Service | FrontendApp | None:
        return self.service or self.app


def service_xor_app(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        name=name,
        condition=Q(service__isnull=True, app__isnull=False)
        | Q(service__isnull=False, app__isnull=True),
    )
