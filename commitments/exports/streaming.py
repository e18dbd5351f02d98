"""Writing records as a streamed CSV or JSON document that an error mid-stream leaves invalid.

The query runs, and its first chunk of rows is fetched, before the response starts (``started``): an error
there is the 500 page. An error later, when the 200 and some rows are already sent, ends the body with a
line that leaves no valid document (CSV: an opening quote that never closes, so strict readers refuse the
file; JSON: the array and object are never closed) and is then raised again, so the server drops the
connection without the last chunk of the chunked response and the client sees a transfer error.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice

from django.http import HttpResponse, StreamingHttpResponse

from .columns import row_writer

logger = logging.getLogger("commitments.exports")

ROWS_PER_WRITE = 100  # rows per chunk of the response: few writes, each some tens of KB


def batches(items: Iterable, size: int = ROWS_PER_WRITE) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def started(records: Iterator) -> Iterator:
    """Run the query and fetch its first chunk now, before the response starts, so an error is a 500 page."""
    first = next(records, None)
    return records if first is None else chain([first], records)


def honest(chunks: Iterator[str], *, request_id: str, failed: Callable[[str], str]) -> Iterator[str]:
    """``chunks``; if they fail, a last piece ``failed(message)`` that leaves the document invalid, then the error
    again (the server then drops the connection without ending the chunked body).

    The error is logged here with the request id: the middleware's log context has ended by now, and
    the server logs only its traceback.
    """
    try:
        yield from chunks
    except Exception as exc:
        logger.exception("Export stopped by an error after the response had started (request id %s)", request_id)
        yield failed(
            f"ERROR: export incomplete: a {type(exc).__name__} stopped it. Nothing in this file is complete; "
            f"request it again. Reference: {request_id}"
        )
        raise


def request_id(request) -> str:
    return getattr(request, "id", "") or "-"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_failed(message: str) -> str:
    # A quoted field opened and never closed: strict CSV readers (Python's csv with strict=True, pandas)
    # refuse the file; and no line of plain text would do, since any line is a row to a CSV reader.
    # Every chunk ends a row, so this starts a line.
    return '"' + message.replace('"', "'")


def json_failed(message: str) -> str:
    # The array and object stay open (``json_chunks`` closes them only at a clean end); the text after
    # them makes the document invalid even to a parser that tolerates a missing end.
    return "\n" + message


def csv_lines(header: list[str], rows: Iterable[tuple]) -> Iterator[str]:
    """The CSV (BOM, header, rows of cells already written), ``ROWS_PER_WRITE`` rows at a time.

    A row with no comma, quote or line break in any cell is what ``csv.writer`` would write once
    its cells are joined by commas; joining is several times faster. Other rows go through the writer.
    """
    writer = csv.writer(_Echo())
    separators = len(header) - 1
    yield "\ufeff" + writer.writerow(header)  # BOM, so spreadsheets read UTF-8
    for batch in batches(rows):
        lines = []
        for row in batch:
            line = ",".join(row)
            if line.count(",") == separators and not ('"' in line or "\n" in line or "\r" in line):
                lines.append(line + "\r\n")
            else:
                lines.append(writer.writerow(row))
        yield "".join(lines)


def cells(columns, records: Iterable[tuple]) -> Iterator[list[str]]:
    """Each record (its values in the order of ``columns``) as CSV cells."""
    return map(row_writer(columns), records)


def json_chunks(key: str, objects: Iterable[dict], meta: Callable[[int], dict]) -> Iterator[str]:
    """``{"<key>": [objects…], "meta": {…}}``, ``ROWS_PER_WRITE`` objects at a time.

    The metadata comes after the rows, so its ``count`` is the number written (no counting query first).
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(ensure_ascii=False) uses
    yield '{"' + key + '": ['
    separator, count = "", 0
    for batch in batches(objects):
        count += len(batch)
        yield separator + ",".join(map(encode, batch))
        separator = ","
    yield '], "meta": ' + encode(meta(count)) + "}"


def csv_response(chunks: Iterator[str], *, request, filename: str) -> StreamingHttpResponse:
    body = honest(chunks, request_id=request_id(request), failed=csv_failed)
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def json_response(chunks: Iterator[str], *, request) -> StreamingHttpResponse:
    body = honest(chunks, request_id=request_id(request), failed=json_failed)
    return StreamingHttpResponse(body, content_type="application/json")


def bad_filters(filterset) -> HttpResponse:
    lines = [f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items()]
    return HttpResponse(
        "Bad request:\n" + "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
    )
