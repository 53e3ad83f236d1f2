"""Webhooks in (GitHub, GitLab, Alertmanager) and out (signed events), docs/integrations.md."""
