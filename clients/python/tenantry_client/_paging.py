"""Lists: the `Link: <...>; rel="next"` header of each page (RFC 8288) is the continuation."""

from __future__ import annotations

import re

NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(header: str | None) -> str | None:
    """The `rel="next"` target of a `Link` header, if any."""
    if not header:
        return None
    found = NEXT.search(header)
    return found.group(1) if found else None
