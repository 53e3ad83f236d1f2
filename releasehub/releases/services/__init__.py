"""Writes that change releases, one module per runbook stage. Each runs in one transaction and
records a timeline event.

Services check the rules that hold whoever calls them (the freeze, nobody approves their own
request, one decision per request); views check who may call them at all. Callers import from
the stage: `lifecycle` (plan, move, cancel, hand over, trains), `scope` (the ticket's scope),
`freeze` (freeze exceptions), `decisions` (an RM decides a request), `hotfix`.
"""
