"""A size limit on the history upload that holds while the request body is still arriving."""

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


class SizeLimit(FileUploadHandler):
    """Drops an uploaded file as soon as it passes `limit` bytes.

    Put first in `request.upload_handlers`, it keeps the rest of an oversized file from memory
    and from the temporary file Django spools large uploads to; the view then reads
    `exceeded` and refuses the upload by its size.
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file
