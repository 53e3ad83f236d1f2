"""Release day writes, one module per stage of the runbook: `promotion` (backend services in
catalog order, their health observations, a monitoring window cut short, a skip), `frontends`
(build, canary, full rollout), `watch` (the RM's log, completion, anomalies), `rollback`,
`incidents` (incidents, their resolution and retrospective, a hotfix from an anomaly); `steps`
holds what promotion and frontends share.

Each runs in one transaction holding the release's row lock, so the promotion order and the
monitoring gate hold when two people click at once; evidence rows are appended (a unique
constraint turns a double click into one row) and put on the timeline. Callers import from the
stage: `from releasehub.rollout.services.promotion import service_step_record`.
"""
