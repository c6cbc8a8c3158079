"""Bounds on what a request may make ingest do: body size and JSON nesting.

Both are checked before the work they bound. A body is refused on its declared
Content-Length before a byte of it is read, and otherwise while it streams in,
so a 35 MB body costs at most the limit in memory. JSON nesting is counted on
the raw bytes before the parser (which recurses) sees them.
"""

from __future__ import annotations

import re
from itertools import accumulate

from starlette.requests import Request

# A batch is {"observations": [{...}, ...]}: three levels. Deeper is never a
# valid batch, only a way to make the parser recurse.
MAX_JSON_DEPTH = 32

# What is left of the body's structure once escapes are gone: quotes and brackets.
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'"[]{}')
# A string, once only quotes and brackets are left of it.
_STRING = re.compile(rb'"[^"]*"')
# +1 for an opening bracket, -1 for a closing one, by byte value.
_DEPTH_STEP = [0] * 256
for _opening in b"[{":
    _DEPTH_STEP[_opening] = 1
for _closing in b"]}":
    _DEPTH_STEP[_closing] = -1


class BodyTooLarge(Exception):
    def __init__(self, limit: int, declared: int | None):
        self.limit = limit
        self.declared = declared
        size = f"{declared} bytes, " if declared is not None else ""
        super().__init__(
            f"the body is {size}larger than the {limit} bytes accepted (INDICATORS_MAX_BODY_BYTES); split the batch"
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or BodyTooLarge as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, int(declared))
    # Chunked, or a Content-Length the server will hold the client to: count as it arrives.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit, None)
        chunks.append(chunk)
    return b"".join(chunks)


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `body` nest deeper than `limit` (brackets inside strings do not count).

    Linear, in C loops (regex, translate, accumulate): 10 MB of '[' is a fraction of a second.
    Invalid JSON may be miscounted; the parser refuses it anyway.
    """
    # Escaped backslashes first, then escaped quotes (left to right, as the parser reads them):
    # what remains of each string is its two quotes and any brackets it contained.
    structure = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    brackets = _STRING.sub(b"", structure)
    if len(brackets) <= limit:
        return False
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) > limit
