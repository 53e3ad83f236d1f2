"""Django's password reset and change views, with the outbox, the request limit and the sign-in
lock lifted once the mailbox's owner has set a new password."""

from axes.utils import reset as reset_sign_in_failures
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse

from releasehub.accounts.resets import OutboxPasswordResetForm, reset_request_wait
from releasehub.accounts.signin import client_ip


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        wait = reset_request_wait(
            email=form.cleaned_data["email"], ip_address=client_ip(self.request)
        )
        if wait:
            context = self.get_context_data(form=form, wait_minutes=wait)
            return self.render_to_response(context, status=429)
        # Links are built on SITE_URL, never on the request's Host header.
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        reset_sign_in_failures(username=form.user.get_username())
        return response
