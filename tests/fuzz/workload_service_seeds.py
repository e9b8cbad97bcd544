#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_workload_service (tests/fuzz/corpus/workload_service/): raw HTTP
requests to IoT Edge's workload API — every route with valid bodies (they reach certd's issuance and
keyd's AES-GCM), wrong shapes, and the framing edge cases that matter on this socket (%00, %2F,
chunked, conflicting Content-Length, pipelining, truncation).

Run from the repository root: python3 tests/fuzz/workload_service_seeds.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keyd_service_seeds import b64, request  # noqa: E402  (same request framing)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "workload_service")
W = "api-version=2018-06-28"
M = "/modules/fuzzmod/genid/1"


def seeds():
    server = {"commonName": "fuzzmod", "expiration": "2099-01-01T00:00:00Z"}
    return {
        "version": request("GET", f"/version?{W}"),
        "trust_bundle": request("GET", f"/trust-bundle?{W}"),
        "manifest_trust_bundle": request("GET", "/manifest-trust-bundle?api-version=2020-07-07"),
        "server_cert": request("POST", f"{M}/certificate/server?{W}", server),
        "server_cert_sans": request("POST", f"{M}/certificate/server?api-version=2019-01-30",
                                    {"commonName": "fuzzmod", "expiration": "2030-01-01T00:00:00Z",
                                     "subjectAlternativeNames": ["a.example", "10.0.0.1"]}),
        "server_cert_bad_time": request("POST", f"{M}/certificate/server?{W}",
                                        {"commonName": "x", "expiration": "yesterday"}),
        "server_cert_dash_module": request("POST", f"/modules/-/genid/1/certificate/server?{W}", server),
        "server_cert_wrong_types": request("POST", f"{M}/certificate/server?{W}",
                                           {"commonName": 5, "expiration": ["x"]}),
        "identity_cert": request("POST", f"{M}/certificate/identity?{W}",
                                 {"expiration": "2030-01-01T00:00:00Z"}),
        "identity_cert_no_genid": request("POST", f"/modules/fuzzmod/certificate/identity?{W}", {}),
        "encrypt": request("POST", f"{M}/encrypt?{W}",
                           {"plaintext": b64(b"hello"), "initializationVector": b64(b"\1" * 12)}),
        "decrypt_garbage": request("POST", f"{M}/decrypt?{W}",
                                   {"ciphertext": b64(b"\0" * 40), "initializationVector": b64(b"\1" * 12)}),
        "sign": request("POST", f"{M}/sign?{W}", {"keyId": "primary", "algo": "HMACSHA256",
                                                  "data": b64(b"hello")}),
        # Framing and escaping.
        "path_nul": request("POST", f"/modules/fuzzmod%00x/genid/1/certificate/server?{W}", server),
        "path_escaped_slash": request("POST", f"/modules/a%2Fb/genid/1/certificate/server?{W}", server),
        "query_nul": request("GET", "/trust-bundle?api-version=2018-06-28%00"),
        "no_version": request("GET", "/trust-bundle"),
        "unknown_route": request("GET", f"/keypair/edge-ca?{W}"),
        "identity_api_route": request("GET", "/identities/identity?api-version=2020-09-01"),
        "wrong_method": request("DELETE", f"{M}/certificate/server?{W}"),
        "bad_json": request("POST", f"{M}/certificate/server?{W}", b"{\"commonName\": "),
        "chunked": (f"POST {M}/encrypt?{W} HTTP/1.1\r\nHost: w\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n4\r\n{\"pl\r\n0\r\n\r\n").encode(),
        "content_length_conflict": request("POST", f"{M}/encrypt?{W}", {"plaintext": ""},
                                           ["Content-Length: 3"]),
        "pipelined": request("GET", f"/version?{W}") + request("GET", f"/trust-bundle?{W}"),
        "truncated_body": request("POST", f"{M}/certificate/server?{W}", server)[:-7],
        "garbage": bytes(range(256)),
        "empty": b"",
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name + ".http"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
