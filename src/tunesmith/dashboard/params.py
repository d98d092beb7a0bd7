"""Reading an API request's query parameters: each one checked, a bad one an
:class:`ApiError` (HTTP 400) naming the parameter, the value and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["ApiError", "Query"]


class ApiError(Exception):
    """An answer other than 200: ``status`` (400 bad parameter, 401 no token, 404 unknown
    study or path, ...) and a message for the user."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Query:
    """The query parameters of one request (``{name: [values]}``, as
    :func:`urllib.parse.parse_qs` gives them), each read at most once by its checker."""

    def __init__(self, values: dict[str, list[str]], allowed: Iterable[str]):
        allowed = sorted({*allowed, "token"})
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise ApiError(
                400,
                f"unknown query parameter(s) {', '.join(unknown)}; this endpoint takes "
                f"{', '.join(allowed)}",
            )
        for name, given in values.items():
            if len(given) > 1:
                raise ApiError(
                    400, f"query parameter {name!r} given {len(given)} times; give it once"
                )
        self.values = {name: given[0] for name, given in values.items()}

    def text(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name, default)

    def choice(self, name: str, allowed: Iterable[str], default: str | None) -> str | None:
        allowed = list(allowed)
        value = self.values.get(name)
        if value is None:
            return default
        if value not in allowed:
            raise ApiError(400, f"`{name}` must be one of {allowed}, but got {name}={value!r}")
        return value

    def integer(self, name: str, default: int | None, *, low: int, high: int) -> int | None:
        value = self.values.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise ApiError(
                400,
                f"`{name}` must be an integer from {low} to {high}, but got {name}={value!r}",
            )
        return number

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ApiError(400, f"`{name}` must be a finite number, but got {name}={value!r}")
        return number

    def cursor(self) -> int:
        """``after``: a journal sequence number (0: from the start)."""
        return self.integer("after", 0, low=0, high=2**62) or 0

    def id_list(self, name: str) -> list[int] | None:
        value = self.values.get(name)
        if value is None:
            return None
        try:
            ids = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            ids = None
        if ids is None or any(i < 0 for i in ids) or len(ids) > 1000:
            raise ApiError(
                400,
                f"`{name}` must be up to 1000 trial ids (integers >= 0) separated by commas, "
                f"but got {name}={value!r}",
            )
        return ids

    def choices(self, name: str, allowed: Iterable[str]) -> list[str] | None:
        value = self.values.get(name)
        if value is None:
            return None
        allowed = list(allowed)
        picked = [part for part in value.split(",") if part]
        bad = [part for part in picked if part not in allowed]
        if bad or not picked:
            raise ApiError(
                400,
                f"`{name}` must be one or more of {allowed} separated by commas, but got "
                f"{name}={value!r}",
            )
        return picked


def check_metric(query: Query, known: list[str], default: str) -> str:
    """``metric``: one of the names the study's reports carry."""
    value = query.text("metric", default)
    if value not in known:
        raise ApiError(
            400,
            f"`metric` must be one of the study's reported names {known}, but got "
            f"metric={value!r}",
        )
    return value
