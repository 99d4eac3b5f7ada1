"""Text the registry stores holds only characters XML 1.0 can carry: its Char production, tab, newline,
carriage return, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF. Any other (the other control
characters, U+FFFE, U+FFFF, a lone surrogate) has no spelling in XML at all, not even as a character
reference, so once stored it makes every RDF/XML and SPARQL XML answer that shows it malformed.

One check, on every write path: the input models (`Input`, so JSON, JSON-LD and Turtle records, world
files and catalogue imports alike), every JSON body (`parse_json`) and OpenLineage events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from registry.errors import Violation

#: one character outside XML 1.0's Char production
ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: how many places one refusal names at most
MAX_REPORTED = 20


def problem(text: str) -> str | None:
    """Why `text` cannot be stored ("holds U+0001 at character 4: ..."), or None when it can."""
    m = ILLEGAL.search(text)
    if m is None:
        return None
    return (f"holds U+{ord(m.group()):04X} at character {m.start() + 1}: text may not hold characters XML 1.0 "
            f"cannot carry (control characters other than tab, newline and carriage return, U+FFFE, U+FFFF, "
            f"lone surrogates)")


def printable(text: str, limit: int = 200) -> str:
    """`text` with every character XML or UTF-8 cannot carry written as an escape, to echo it safely."""
    out = ILLEGAL.sub(lambda m: ascii(m.group())[1:-1], text[:limit])
    return out + "..." if len(text) > limit else out


def check(value: Any) -> Any:
    """`value` (text, or lists and mappings of it) unchanged, or ValueError naming the first bad place:
    for pydantic validators, which name the field (this names the list index or key within it)."""
    for where, _text, why in illegal_strings(value):
        raise ValueError(f"item {'.'.join(where)} {why}" if where else why)
    return value


def illegal_strings(data: Any, where: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """(where, text, why) of each text in JSON-like data (keys too) that holds a character XML cannot
    carry; `where` is the keys and list indexes that lead to it (() for `data` itself)."""
    if isinstance(data, str):
        why = problem(data)
        if why is not None:
            yield where, data, why
    elif isinstance(data, dict):
        for k, v in data.items():
            key = printable(str(k), 100)
            why = problem(str(k))
            if why is not None:
                yield (*where, key), str(k), "names a field that " + why
            yield from illegal_strings(v, (*where, key))
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            yield from illegal_strings(v, (*where, str(i)))


def violations(data: Any, focus: str) -> list[Violation]:
    """A violation for each text in JSON-like data that XML cannot carry (at most MAX_REPORTED), naming
    its field as a dotted path ("steward.name", "keywords.0", "job.name") and a JSON Pointer."""
    out = []
    for where, text, why in illegal_strings(data):
        pointer = "/" + "/".join(w.replace("~", "~0").replace("/", "~1") for w in where)
        out.append(Violation(focus_node=focus, path=pointer, field=".".join(where) or None, message=why,
                             value=printable(text)))
        if len(out) >= MAX_REPORTED:
            break
    return out
