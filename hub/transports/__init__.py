"""Transports: the ``local`` spool (embedded default) and ``amqp`` (RabbitMQ)."""

from hub.transports.amqp import AmqpTransport
from hub.transports.base import DeadLetter, Delivery, Handler, Transport
from hub.transports.local import LocalTransport

__all__ = ["AmqpTransport", "DeadLetter", "Delivery", "Handler", "LocalTransport", "Transport"]
