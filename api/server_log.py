"""The server's log, as ``idgraph serve`` configures it: no personal data in any line.

- The access log (logger ``idgraph.access``, to standard output) writes one line per
  request: method, route template, status, time taken and the caller as the audit log
  names it (role and key digest prefix). Never the path or query as sent: a lookup's
  URL carries the email or phone it asks about, a profile's URL its ID. Uvicorn's own
  access log, which writes the URL as sent and the client's address, is off.
- Tracebacks (uvicorn's "Exception in ASGI application", the API's own error log) are
  written without the exceptions' messages, which may quote the input that caused them;
  the exception types and the stack (file, line, code) stay.
"""

from __future__ import annotations

import copy
import logging
import traceback
from types import TracebackType
from typing import Any, Final

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

ACCESS_LOGGER: Final = "idgraph.access"
access_log = logging.getLogger(ACCESS_LOGGER)

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def log_request(method: str, route: str, status: int, seconds: float, caller: str) -> None:
    """One access line: ``GET /v1/lookup 200 0.42ms reader:0123456789ab``."""
    access_log.info("%s %s %d %.2fms %s", method, route, status, seconds * 1000, caller)


class WithheldMessagesFormatter(DefaultFormatter):
    """Uvicorn's formatter, writing tracebacks without the exceptions' messages."""

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have cached the traceback text with its messages.
        record.exc_text = None
        return super().format(record)

    def formatException(self, ei: _ExcInfo) -> str:
        exc = ei[1]
        return "" if exc is None else "".join(_without_messages(exc, set())).rstrip("\n")


def _without_messages(exc: BaseException, seen: set[int]) -> list[str]:
    if id(exc) in seen:
        return []
    seen.add(id(exc))
    lines: list[str] = []
    earlier = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if earlier is not None:
        lines += _without_messages(earlier, seen)
        lines.append("\nThe exception above led to:\n\n")
    lines.append("Traceback (most recent call last):\n")
    lines += traceback.format_tb(exc.__traceback__)
    kind = type(exc)
    lines.append(f"{kind.__module__}.{kind.__qualname__} (message withheld from the log)\n")
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            lines += ["\nwithin the group:\n", *_without_messages(inner, seen)]
    return lines


def log_config(access: bool = True) -> dict[str, Any]:
    """Uvicorn's logging configuration with the withheld-messages formatter on every
    handler and the ``idgraph`` loggers added (``access=False``: no access lines)."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    formatter = f"{__name__}.{WithheldMessagesFormatter.__qualname__}"
    config["formatters"] = {
        "default": {"()": formatter, "fmt": "%(levelprefix)s %(message)s", "use_colors": None},
        "access": {"()": formatter, "fmt": "%(levelprefix)s %(message)s", "use_colors": None},
    }
    config["loggers"]["uvicorn.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
    config["loggers"]["idgraph"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"][ACCESS_LOGGER] = {
        "handlers": ["access"],
        "level": "INFO" if access else "WARNING",
        "propagate": False,
    }
    return config
