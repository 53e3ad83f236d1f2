from django.db import migrations

from releasehub.audit.text_limits import AddTextLimit
from releasehub.core.limits import TextLimit


class Migration(migrations.Migration):
    """Free text gets a limit the database enforces (#14): see audit/text_limits.py for what
    happens to rows already longer and to the append-only triggers."""

    dependencies = [
        ("releases", "0004_refuse_truncate"),
    ]

    operations = [
        AddTextLimit(
            model_name="flagchange",
            constraint=TextLimit(field="name", limit=100, name="releases_flagchange_name_length"),
        ),
        AddTextLimit(
            model_name="flagchange",
            constraint=TextLimit(
                field="default_state", limit=200, name="releases_flagchange_default_state_length"
            ),
        ),
        AddTextLimit(
            model_name="freezeexception",
            constraint=TextLimit(
                field="items", limit=2_000, name="releases_freezeexception_items_length"
            ),
        ),
        AddTextLimit(
            model_name="freezeexception",
            constraint=TextLimit(
                field="reason", limit=2_000, name="releases_freezeexception_reason_length"
            ),
        ),
        AddTextLimit(
            model_name="freezeexception",
            constraint=TextLimit(
                field="risk", limit=2_000, name="releases_freezeexception_risk_length"
            ),
        ),
        AddTextLimit(
            model_name="freezeexception",
            constraint=TextLimit(
                field="rollback_note",
                limit=2_000,
                name="releases_freezeexception_rollback_note_length",
            ),
        ),
        AddTextLimit(
            model_name="freezeexceptiondecision",
            constraint=TextLimit(
                field="comment", limit=2_000, name="releases_freezeexceptiondecision_comment_length"
            ),
        ),
        AddTextLimit(
            model_name="hotfix",
            constraint=TextLimit(
                field="problem", limit=4_000, name="releases_hotfix_problem_length"
            ),
        ),
        AddTextLimit(
            model_name="hotfix",
            constraint=TextLimit(
                field="risk_assessment", limit=4_000, name="releases_hotfix_risk_assessment_length"
            ),
        ),
        AddTextLimit(
            model_name="hotfix",
            constraint=TextLimit(
                field="tests_run", limit=4_000, name="releases_hotfix_tests_run_length"
            ),
        ),
        AddTextLimit(
            model_name="hotfixapproval",
            constraint=TextLimit(
                field="comment", limit=2_000, name="releases_hotfixapproval_comment_length"
            ),
        ),
        AddTextLimit(
            model_name="hotfixfollowup",
            constraint=TextLimit(
                field="note", limit=300, name="releases_hotfixfollowup_note_length"
            ),
        ),
        AddTextLimit(
            model_name="monitoringdashboard",
            constraint=TextLimit(
                field="name", limit=100, name="releases_monitoringdashboard_name_length"
            ),
        ),
        AddTextLimit(
            model_name="release",
            constraint=TextLimit(
                field="summary", limit=2_000, name="releases_release_summary_length"
            ),
        ),
        AddTextLimit(
            model_name="risk",
            constraint=TextLimit(
                field="description", limit=2_000, name="releases_risk_description_length"
            ),
        ),
        AddTextLimit(
            model_name="risk",
            constraint=TextLimit(
                field="mitigation", limit=2_000, name="releases_risk_mitigation_length"
            ),
        ),
        AddTextLimit(
            model_name="rollbackplan",
            constraint=TextLimit(
                field="previous", limit=120, name="releases_rollbackplan_previous_length"
            ),
        ),
        AddTextLimit(
            model_name="rollbackplan",
            constraint=TextLimit(
                field="steps", limit=4_000, name="releases_rollbackplan_steps_length"
            ),
        ),
        AddTextLimit(
            model_name="scopeticket",
            constraint=TextLimit(
                field="title", limit=200, name="releases_scopeticket_title_length"
            ),
        ),
    ]
