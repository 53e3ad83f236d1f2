from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "releasehub.schedule"
    verbose_name = "Timed actions"

    def ready(self) -> None:
        # releases cannot import this app (it is a layer below): it announces its changes and
        # the release's timed actions are planned here, in the same transaction.
        from releasehub.releases.hooks import Change, subscribe
        from releasehub.schedule import planning

        subscribe(Change.CLOCK, planning.replan)
        subscribe(Change.HOTFIX_DEPLOYED, planning.plan_back_merge_reminders)
        subscribe(Change.BACK_MERGED, planning.stop_back_merge_reminders)
