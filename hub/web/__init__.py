"""The web app (server-rendered pages, FastAPI + Jinja2) and the JSON API of a node.

``create_app(node)`` builds the ASGI app for an open node; ``WebServer(node)`` serves it
with uvicorn in the node's event loop (see :mod:`hub.web.server`).
"""

from hub.web.app import create_app
from hub.web.server import WebServer

__all__ = ["WebServer", "create_app"]
