"""A release's whole timeline for auditors (the page shows the latest 100 events)."""

import re

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.views.decorators.http import require_GET

from releasehub.audit.export import timeline_csv, timeline_json
from releasehub.core.http import AuthedRequest
from releasehub.releases.access import exports_timeline, release_for

REFUSAL = "The timeline export is for the Release Manager, SRE and staff."
CONTENT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


@require_GET
@login_required
def timeline_export(request: AuthedRequest, code, fmt: str) -> StreamingHttpResponse:
    release = release_for(request, code, may=exports_timeline, refusal=REFUSAL)
    events = release.timeline.all()
    if fmt == "json":
        lines = timeline_json({"code": str(release.code), "version": release.version}, events)
    else:
        lines = timeline_csv(events)
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[fmt])
    # An imported version may hold any character; the file name keeps the safe ones.
    name = re.sub(r"[^A-Za-z0-9._-]", "_", release.version)
    response["Content-Disposition"] = f'attachment; filename="timeline-{name}.{fmt}"'
    return response
