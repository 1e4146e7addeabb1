"""Adapters: the case stores that connect to the hub.

Seizures and offences, suspects, companies, the CEN feed and partner case sharing
live here. An adapter talks to the hub only through its published interface —
``Node.submit`` to send a message and ``Node.subscribe`` to receive the messages of
its service address (such as ``cases@ge``) — never through the hub's tables.

Wiring: ``adapters.attached.attach(node)`` subscribes them to a node's mailboxes.
"""
