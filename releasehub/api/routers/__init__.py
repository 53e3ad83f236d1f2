"""One router per resource family; api/v1.py mounts them."""
