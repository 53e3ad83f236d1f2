"""Calendar feeds (ICS): the release train and each person's own dates, behind secret URLs."""
