from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "releasehub.rollout"
    verbose_name = "Release day (promotions, rollbacks, incidents)"

    def ready(self) -> None:
        # schedule may not import rollout (rollout imports schedule): the health gates'
        # effects are registered with the engine here (docs/health-gates.md).
        from releasehub.rollout.services import health
        from releasehub.schedule import effects
        from releasehub.schedule.models import ActionKind

        effects.register(ActionKind.HEALTH_CHECK, health.health_check)
        effects.register(ActionKind.WATCH_HEALTH_CHECK, health.watch_health_check)
        effects.judge_windows_with(health.window_closes)
