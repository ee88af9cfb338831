"""The ingress as the production image runs it: `python -m ingress [--host H] [--port P]`.

The server `tenantry up` runs, not plain uvicorn: the header deadline (408), keep-alive reaping
and TCP_NODELAY of `ingress.connections`, and a graceful drain on SIGTERM. Settings come from
the environment when it starts (the Container App's settings). Behind Container Apps' front
end, the client's address and scheme come from `X-Forwarded-For` and `-Proto` of its peer, as
`uvicorn --proxy-headers --forwarded-allow-ips '*'` gave them.
"""

from __future__ import annotations

import argparse

from ingress.app import create_app
from ingress.server import IngressServer, ingress_config
from shared.logs import configure_logging
from shared.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    """Serve the ingress on host:port until SIGTERM or SIGINT, then drain and return."""
    parser = argparse.ArgumentParser(prog="python -m ingress", description=main.__doc__)
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(json_lines=settings.log_format == "json", level=settings.log_level)
    app = create_app(settings)
    config = ingress_config(settings, app, host=args.host, port=args.port, behind_proxy=True)
    IngressServer(config).run()


if __name__ == "__main__":
    main()
