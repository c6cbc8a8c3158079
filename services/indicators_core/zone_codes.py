"""The registered zone codes most like one that is not registered: what a refusal suggests instead.

The usual causes are a typo (qianjinag-edz), a code cut short or lengthened (qianjiang for qianjiang-edz), or
another spelling; so codes that contain the given one (or are contained in it) come first, then the most alike
by difflib's ratio. Ingest (strict mode, parents) and the query service (rankings, roll-ups) say the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

CLOSEST_CODES = 3
CLOSEST_CUTOFF = 0.7


def closest_codes(code: str, registered: Iterable[str], n: int = CLOSEST_CODES) -> list[str]:
    wanted = code.casefold()
    scored = []
    for candidate in set(registered):
        other = candidate.casefold()
        contains = bool(wanted) and (wanted in other or other in wanted)
        ratio = SequenceMatcher(None, wanted, other).ratio()
        if contains or ratio >= CLOSEST_CUTOFF:
            scored.append((not contains, -ratio, candidate))
    return [candidate for _, _, candidate in sorted(scored)[:n]]
