"""A hand-computed history (figures worked out in tests/metrics/test_metrics_json.py)."""


def t(day: str, hm: str) -> str:
    return f"2025-{day}T{hm}:00+05:30"


def dep(target, day, start, end, outcome="succeeded", mi=0):
    return {
        "target": target,
        "started_at": t(day, start),
        "finished_at": t(day, end),
        "outcome": outcome,
        "manual_interventions": mi,
    }


HISTORY = {
    "releases": [
        {
            "version": "2025.04",
            "kind": "regular",
            "window_start": t("02-19", "10:00"),
            "deployments": [dep("identity", "02-19", "10:00", "10:40")],
        },
        {
            "version": "2025.05",
            "kind": "regular",
            "window_start": t("03-05", "10:00"),
            "deployments": [
                dep("identity", "03-05", "10:00", "10:20", mi=1),
                # A failed attempt: neither a deployment nor a failure, its count not counted.
                dep("payments", "03-05", "10:25", "10:28", outcome="failed", mi=5),
                dep("payments", "03-05", "10:30", "11:00"),
            ],
        },
        {
            "version": "2025.06",
            "kind": "hotfix",
            "window_start": t("03-07", "10:00"),
            "fixes": {"version": "2025.05", "target": "payments"},
            "deployments": [dep("payments", "03-07", "10:00", "10:30")],
        },
        {
            "version": "2025.07",
            "kind": "regular",
            "window_start": t("03-19", "10:00"),
            "deployments": [
                dep("identity", "03-19", "10:00", "10:10"),
                dep("appointments", "03-19", "10:15", "10:45", mi=2),
            ],
            "rollbacks": [
                {
                    "targets": ["appointments"],
                    "started_at": t("03-19", "12:00"),
                    "finished_at": t("03-19", "12:30"),
                    "reason": "Error rate up",
                }
            ],
        },
        {
            "version": "2025.08",
            "kind": "regular",
            "window_start": t("03-26", "10:00"),
            "deployments": [dep("identity", "03-26", "10:00", "10:30")],
        },
    ],
    "incidents": [
        {
            "key": "INC-1",
            "severity": "SEV-2",
            "title": "Login errors",
            "caused_by": {"version": "2025.05", "target": "identity"},
            "detected_at": t("03-05", "12:00"),
            "resolved_at": t("03-05", "14:20"),
        },
        {
            # Found after 2025.08 shipped; resolved in the next period.
            "key": "INC-2",
            "severity": "SEV-3",
            "title": "Session expiry wrong",
            "caused_by": {"version": "2025.07", "target": "identity"},
            "detected_at": t("03-27", "09:00"),
            "resolved_at": t("04-02", "10:10"),
        },
        {
            "key": "INC-3",
            "severity": "SEV-1",
            "title": "Token refresh loop",
            "caused_by": {"version": "2025.08", "target": "identity"},
            "detected_at": t("03-28", "09:00"),
            "resolved_at": None,
        },
        {
            "key": "INC-4",
            "severity": "SEV-4",
            "title": "Unrelated outage",
            "caused_by": None,
            "detected_at": t("03-10", "09:00"),
            "resolved_at": t("03-10", "10:00"),
        },
    ],
}
