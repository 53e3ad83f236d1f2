"""Reading a history file safely: every refusal names a JSON path and the reason.

Python's json recurses once per nesting level, so 100,000 `[` raise RecursionError; the depth
is therefore measured on the text first. Strings are checked before anything reaches the
database: PostgreSQL's text cannot hold NUL, and a lone surrogate cannot be encoded at all.
"""

import json
import re
from collections.abc import Iterator, Sequence
from itertools import accumulate

# The format nests five levels ($.releases[0].rollbacks[0].targets); the rest is margin.
MAX_DEPTH = 20
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'  # a JSON string, escapes included
_STRINGS = re.compile(_STRING, re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# A string or one structural character: what the path of a too deep value is made of.
_TOKEN = re.compile(_STRING + r"|[\[\]{},]", re.DOTALL)


class HistoryError(Exception):
    """The file is refused and nothing is written: each problem is a JSON path and a reason."""

    def __init__(self, path: str, reason: str, *, more: Sequence[tuple[str, str]] = ()) -> None:
        self.problems = [(path, reason), *more]
        super().__init__("\n".join(f"{p}: {r}" for p, r in self.problems))

    @classmethod
    def of(cls, problems: Sequence[tuple[str, str]]) -> "HistoryError":
        return cls(*problems[0], more=problems[1:])

    @property
    def summary(self) -> str:
        count = len(self.problems)
        return f"Nothing imported: the file has {count} problem{'s' if count > 1 else ''}."


def read_history(raw: bytes | str) -> object:
    """The parsed file; HistoryError when it is not UTF-8 JSON nested at most MAX_DEPTH deep."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HistoryError("$", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    _check_depth(raw)
    try:
        data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4,300 digits
        raise HistoryError("$", f"not JSON: {exc}") from None
    except RecursionError:  # not expected after the depth check; refused all the same
        raise HistoryError("$", f"nested deeper than {MAX_DEPTH} levels") from None
    return data


def _check_depth(text: str) -> None:
    # The regexes leave only the brackets outside strings; their running sum is the depth.
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        _refuse_too_deep(text)


def _refuse_too_deep(text: str) -> None:
    """Walk the tokens to the first value nested too deep and name its path."""
    # One frame per open container: [is_list, index or key, expecting a key].
    stack: list[list] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        frame = stack[-1] if stack else None
        if token in ("[", "{"):
            if len(stack) == MAX_DEPTH:
                raise HistoryError(_path(stack), f"nested deeper than {MAX_DEPTH} levels")
            stack.append([token == "[", 0 if token == "[" else None, token == "{"])
        elif token in ("]", "}"):
            if stack:
                stack.pop()
        elif frame is None:
            continue
        elif token == ",":
            if frame[0]:
                frame[1] += 1
            else:
                frame[2] = True
        elif frame[2]:  # a string where an object expects its key
            frame[1], frame[2] = _key(token), False
    raise HistoryError("$", f"nested deeper than {MAX_DEPTH} levels")


def _key(token: str) -> str:
    try:
        return json.loads(token)
    except ValueError:
        return token


def _path(stack: list[list]) -> str:
    """The path of the value the innermost open container holds now."""
    parts = ["$"]
    for is_list, at, _ in stack:
        if is_list:
            parts.append(f"[{at}]")
        elif at is not None:
            parts.append(f".{at}")
    return "".join(parts)


def check_strings(data: object) -> None:
    """Refuse strings the database cannot store, naming each by its path."""
    if problems := list(_bad_strings(data, "$")):
        raise HistoryError.of(problems)


def _bad_strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if reason := _bad_text(value):
            yield path, reason
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _bad_strings(item, f"{path}[{n}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if reason := _bad_text(key):
                yield path, f"a key {reason}"
            else:
                yield from _bad_strings(item, f"{path}.{key}")


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode (a lone surrogate)"
    return None
