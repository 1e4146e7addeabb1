"""The benchmark harness (``python -m bench``): figures beside a baseline measured in the same run.

Not a test: nothing here asserts a time. Each run measures the baseline first, raw aio-pika
on the same broker (persistent 1 KiB messages, publisher confirms, a quorum queue, manual
acks), then the scenarios, and prints each figure next to its target and the baseline's
figure, and writes them all as JSON with the sizes and the machine:

- ``sealed-throughput``: mails end to end between two nodes over RabbitMQ (≥ 50 % of the
  baseline's messages per second),
- ``siena-year``: 1.8 M mails through the embedded default (< 10 minutes),
- ``whole-cen``: 314,553 validated seizures to the WCO's CEN feed (< 60 s),
- ``latency``: submit to mailbox at a steady 1,000 mails a second (p99 < 20 ms),
- ``search-export``: search over 1 M messages and 500 k cases (p95 < 50 ms), and an export
  of 1 M rows (peak RSS < 200 MB).

``--quick`` runs small sizes (under two minutes) and projects what only full sizes reach.
Every run works in a temporary directory and a broker prefix of its own (``bench-<hex>``),
both removed afterwards. Modules: ``baseline`` (raw aio-pika), ``network`` (nodes, clean-up),
``fill`` (rows inserted fast), ``flows`` (mail and CEN end to end), ``latency``,
``search`` (and the export child), ``scenarios`` (names, sizes, targets), ``report``.
"""
