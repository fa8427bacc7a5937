"""A receiver for forwarded events (docs/forwarding.md), standard library only:
    FORWARD_SECRET=whsec_... PORT=8000 python3 examples/receivers/receiver.py
It refuses a bad signature and a timestamp over 5 minutes from now, and handles each event id
once: deliveries are at least once."""
import base64, hashlib, hmac, json, os, time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["FORWARD_SECRET"]
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
TOLERANCE_SECONDS = 5 * 60
seen = set()  # in production: a table with a unique key on the id


def verified(headers, body):
    msg_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not timestamp.isdigit():
        return "missing headers"
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return "stale timestamp"
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    # Several signatures while a secret is rotated: any one that matches will do.
    for signature in headers.get("webhook-signature", "").split():
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "bad signature"


def handle(event):
    print(json.dumps({"handled": event["id"], "type": event["type"]}), flush=True)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        problem = verified(self.headers, body)
        if problem:
            self.send_response(401)
            self.end_headers()
            self.wfile.write(f"refused: {problem}\n".encode())
            return
        msg_id = self.headers["webhook-id"]
        if msg_id not in seen:
            seen.add(msg_id)
            handle(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Receiver)
print(f"listening on {server.server_port}", flush=True)
server.serve_forever()
