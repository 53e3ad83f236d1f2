"""Celery tasks of the timed-action engine: they take ids and call services.

Beat runs `schedule.sweep` every second and `schedule.recover` every 5 seconds (settings:
CELERY_BEAT_SCHEDULE); they travel on the `schedule` queue (CELERY_TASK_ROUTES). Every task is
safe to run twice or concurrently, and a backlog of either costs one pass.
"""

from celery import shared_task

from releasehub.schedule import services


@shared_task(name="schedule.sweep")
def sweep() -> int:
    return services.sweep()


@shared_task(name="schedule.recover")
def recover() -> int:
    return services.recovery_sweep()


@shared_task(name="schedule.run_action")
def run_action(action_id: int) -> None:
    try:
        services.run_action(action_id)
    except Exception as exc:
        # Everything the effect did was rolled back with the row's status; retried later.
        services.log.exception("timed action %s raised", action_id)
        services.action_failed(action_id, f"{type(exc).__name__}: {exc}")
