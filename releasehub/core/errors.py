class ServiceError(Exception):
    """A runbook rule refused the change; the message is shown to the person as it is."""
