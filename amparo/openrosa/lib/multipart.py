"""Reading an OpenRosa submission POST within hard limits, before anything is stored.

The body is refused on its declared length first (413 without reading it), then parsed by
Django's multipart parser, then each part is checked. Parts are held in memory only (never in
temporary files), and nothing is written anywhere.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

XML_PART = "xml_submission_file"
INCOMPLETE_PART = "*isIncomplete*"
# Attachment names become evidence file names and keys in the submission: keep them plain.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\- ]{0,199}$")


class SubmissionRejected(Exception):
    """A client error: `status` and a translated message for the phone's screen."""

    def __init__(self, status: int, code: str, message: str | Promise) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Part:
    name: str
    content_type: str
    data: bytes


@dataclass
class SubmissionParts:
    xml: bytes
    attachments: dict[str, Part] = field(default_factory=dict)
    incomplete: bool = False


class InMemoryUploadHandler(FileUploadHandler):
    """Keep every uploaded part in memory. Django's default spills files over 2.5 MB to a
    temporary file, which would put a plain submission's photos on disk unencrypted; here
    the body was already limited by its declared length, so memory use is bounded."""

    def new_file(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer, field_name=self.field_name, name=self.file_name, content_type=self.content_type,
            size=file_size, charset=self.charset, content_type_extra=self.content_type_extra,
        )


def declared_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        return int(raw)
    except ValueError:
        return None


def read_submission(
    request: HttpRequest, *, max_body: int, max_files: int, max_file_bytes: int, max_xml_bytes: int
) -> SubmissionParts:
    length = declared_length(request)
    if length is None or length <= 0:
        raise SubmissionRejected(411, "length_required", _("The submission has no declared length."))
    if length > max_body:
        raise SubmissionRejected(
            413, "too_large", _("The submission is larger than this server accepts (%(limit)s MB).") % {"limit": max_body // (1024 * 1024)}
        )
    content_type = (request.META.get("CONTENT_TYPE") or "").lower()
    if not content_type.startswith(("multipart/form-data", "multipart/mixed")):
        raise SubmissionRejected(400, "not_multipart", _("A submission must be sent as multipart/form-data."))
    request.upload_handlers = [InMemoryUploadHandler(request)]
    try:
        files = request.FILES
        fields = request.POST
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, SuspiciousOperation):
        raise SubmissionRejected(400, "bad_multipart", _("The submission could not be read (broken multipart body)."))

    xml_uploads = files.getlist(XML_PART)
    if len(xml_uploads) > 1 or (xml_uploads and XML_PART in fields):
        raise SubmissionRejected(400, "several_xml", _("The submission carries more than one form file."))
    if xml_uploads:
        upload = xml_uploads[0]
        if (upload.size or 0) > max_xml_bytes:
            raise SubmissionRejected(413, "xml_too_large", _("The form file is too large."))
        xml = upload.read()
    elif XML_PART in fields:
        xml = fields[XML_PART].encode("utf-8")
    else:
        raise SubmissionRejected(400, "no_xml", _("The submission has no form file (xml_submission_file)."))

    attachments: dict[str, Part] = {}
    names = [name for name in files if name != XML_PART]
    if len(names) > max_files:
        raise SubmissionRejected(413, "too_many_files", _("The submission carries too many attachments."))
    for name in names:
        uploads = files.getlist(name)
        if len(uploads) != 1:
            raise SubmissionRejected(400, "duplicate_attachment", _("An attachment was sent twice in one submission."))
        upload = uploads[0]
        filename = upload.name or name
        if not _SAFE_NAME.match(filename) or filename in {".", ".."} or filename != name:
            raise SubmissionRejected(400, "bad_attachment_name", _("An attachment has a name this server does not accept."))
        if (upload.size or 0) > max_file_bytes:
            raise SubmissionRejected(
                413, "attachment_too_large",
                _("The attachment %(name)s is larger than %(limit)s MB.") % {"name": filename, "limit": max_file_bytes // (1024 * 1024)},
            )
        attachments[filename] = Part(name=filename, content_type=upload.content_type or "application/octet-stream", data=upload.read())
    incomplete = (fields.get(INCOMPLETE_PART) or "").strip().lower() == "yes"
    return SubmissionParts(xml=xml, attachments=attachments, incomplete=incomplete)
