#!/usr/bin/env python3
"""The revocation tests' own HTTP server: serves the files of DIR on 127.0.0.1:PORT, appends each
request's path to DIR/../hits, and answers 503 while DIR/.down exists (an outage).
Usage: crl_server.py DIR PORT"""
import http.server
import os
import sys

root, port = sys.argv[1], int(sys.argv[2])
hits = os.path.join(os.path.dirname(os.path.abspath(root)), "hits")


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=root, **kwargs)

    def do_GET(self):
        with open(hits, "a") as f:
            f.write(self.path + "\n")
        if os.path.exists(os.path.join(root, ".down")):
            self.send_error(503, "down for the test")
            return
        super().do_GET()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
