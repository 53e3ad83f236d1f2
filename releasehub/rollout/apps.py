from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "releasehub.rollout"
    verbose_name = "Release day (promotions, rollbacks, incidents)"
