"""The web dashboard: ``tunesmith dashboard [--storage URL] [--port P] [--host H] [--token T]``.

A read-only JSON API under ``/api/`` (:mod:`tunesmith.dashboard.api`) and a page that draws it
(``static/``, with uPlot shipped beside it: no CDN), served by the standard library's HTTP
server (:mod:`tunesmith.dashboard.server`). In Python::

    from tunesmith.dashboard import make_server

    server = make_server("sqlite:///tunesmith-results/tunesmith.db", port=0)
    server.serve_in_thread()
    print(server.url)
    ...
    server.close()

See docs/dashboard.md.
"""

from __future__ import annotations

from tunesmith.dashboard.server import DashboardServer, make_server

__all__ = ["DashboardServer", "make_server"]
