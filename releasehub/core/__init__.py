"""What every app builds on and no app owns: the refusal a service raises, the typed request
views receive, and the one way a view validates a form and calls a service. Bottom layer."""
