from django.http import HttpRequest

from releasehub.accounts.models import Role


def roles(request: HttpRequest) -> dict:
    return {"Role": Role}
