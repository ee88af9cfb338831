"""A webhook receiver for trying tenantry's webhooks locally: it verifies each delivery with the
endpoint's secret (Standard Webhooks) and prints the event.

    .venv/bin/python examples/webhook_receiver.py --port 9000 --secret whsec_...

tenantry refuses loopback and plain-http targets unless the deployment allows them:
`WEBHOOK_ALLOW_HOSTS=127.0.0.1 WEBHOOK_REQUIRE_HTTPS=false scripts/up`.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


def main() -> None:
    """Serve on 127.0.0.1:PORT until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_... secret")
    args = parser.parse_args()
    webhook = Webhook(args.secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                event = webhook.verify(body, headers)
            except Exception as refused:  # a bad signature: say so, answer 400
                print(f"REFUSED {headers.get('webhook-id')}: {refused}", flush=True)
                self.send_response(400)
            else:
                print(f"verified {headers['webhook-id']}: {json.dumps(event)}", flush=True)
                self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    print(f"listening on http://127.0.0.1:{args.port}/hook", flush=True)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
