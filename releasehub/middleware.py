from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class AlwaysNonceMiddleware:
    """Evaluate the CSP nonce on every request.

    Django only puts the nonce into the header when something read it; JSON and redirect
    responses never do. Reading it here keeps the policy identical on every response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        str(request._csp_nonce)
        return self.get_response(request)
