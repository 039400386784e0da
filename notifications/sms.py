"""Text messages: a pluggable gateway (settings.SMS_BACKEND), like Django's e-mail backends.

A gateway is a class whose instances have `send(phone: str, text: str) -> None` and raise on failure; it is
built once per process with no arguments (read its own settings, e.g. an API key from the environment).
Shipped: `ConsoleBackend` (development: the message is logged and printed) and `MemoryBackend` (tests:
messages collect in `outbox`). A real gateway (Aliyun SMS, Tencent Cloud SMS, an operator's SMPP bridge)
is a small class in the deployment's own package, named in SMS_BACKEND.
"""

import logging
import sys
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextMessage:
    phone: str
    text: str


# What MemoryBackend sent, oldest first (tests empty it between tests).
outbox: list[TextMessage] = []


class ConsoleBackend:
    """Development: print the message (one-time codes included) to the server's console."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)
        print(f"SMS to {phone}: {text}", file=sys.stdout, flush=True)


class MemoryBackend:
    """Tests: keep every message in `outbox`."""

    def send(self, phone: str, text: str) -> None:
        outbox.append(TextMessage(phone, text))


@cache
def _backend(path: str):
    return import_string(path)()


def sms_send(phone: str, text: str) -> None:
    """Send one text through the configured gateway; a gateway's failure reaches the caller."""
    _backend(settings.SMS_BACKEND).send(phone, text)
