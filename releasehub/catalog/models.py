from django.db import models


class Service(models.Model):
    """A backend service. Production promotion follows `promotion_order`, lowest first."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    promotion_order = models.PositiveSmallIntegerField(unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["promotion_order"]

    def __str__(self) -> str:
        return self.name


class FrontendApp(models.Model):
    """A frontend build (web app or console), rolled out canary first, then in full."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    display_order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_order", "slug"]

    def __str__(self) -> str:
        return self.name
