#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_keyd_service (tests/fuzz/corpus/keyd_service/): raw HTTP requests,
valid ones for each keyd route (with handles signed by the fuzzer's fixed handle secret, so that they
reach sign, encrypt, derive, delete), and framing edge cases (%00, %2F, chunked, huge headers,
pipelining, conflicting Content-Length, Expect: 100-continue, truncated requests).

Run from the repository root: python3 tests/fuzz/keyd_service_seeds.py
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess

SECRET = b"edgesec-fuzz-handle-secret-32by!"  # kHandleSecret of fuzz_keyd_service.cpp
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "keyd_service")
V1 = "api-version=2020-09-01"
V2 = "api-version=2021-05-01"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64(data):
    return base64.b64encode(data).decode()


def handle(kind, key_id, derivation=None):
    claims = {"id": key_id, "k": kind, "n": b64u(b"\0" * 16), "v": 1}
    if derivation is not None:
        claims["d"] = b64(derivation)
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(SECRET, payload, hashlib.sha256).digest()
    return b64u(payload) + "." + b64u(mac)


def request(method, target, body=None, headers=None, version="HTTP/1.1"):
    lines = [f"{method} {target} {version}", "Host: keyd"]
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    lines += headers or []
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def pkcs8_der():
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return pem


def seeds():
    ec = handle("pair", "fuzz-ec")
    aes = handle("key", "fuzz-aes")
    mac = handle("key", "fuzz-hmac")
    derived = handle("derived", "fuzz-hmac", b"context")
    digest = b64(hashlib.sha256(b"hello").digest())
    s = {
        "get_version": request("GET", f"/version?{V1}"),
        "create_keypair": request("POST", f"/keypair?{V1}", {"keyId": "seed-k", "preferredAlgorithms": "ec-p256"}),
        "get_keypair": request("GET", f"/keypair/fuzz-ec?{V1}"),
        "get_keypair_missing": request("GET", f"/keypair/nope?{V1}"),
        "list_keypairs": request("GET", f"/keypairs?{V1}"),
        "move_keypair": request("POST", f"/keypair/seed-moved?{V2}", {"from": "seed-k"}),
        "import_keypair": request("PUT", f"/keypair/seed-imported?{V1}", {"pkcs8": b64(pkcs8_der())}),
        "delete_keypair": request("DELETE", f"/keypair?{V1}", {"keyHandle": ec}),
        "parameter_algorithm": request("POST", f"/parameters/algorithm?{V1}", {"keyHandle": ec}),
        "parameter_unknown": request("POST", f"/parameters/nothing?{V1}", {"keyHandle": ec}),
        "sign_ecdsa": request("POST", f"/sign?{V1}", {"keyHandle": ec, "algorithm": "ECDSA",
                                                      "parameters": {"digest": digest}}),
        "sign_hmac": request("POST", f"/sign?{V1}", {"keyHandle": mac, "algorithm": "HMAC-SHA256",
                                                     "parameters": {"message": b64(b"hello")}}),
        "sign_hmac_derived": request("POST", f"/sign?{V1}", {"keyHandle": derived, "algorithm": "HMAC-SHA256",
                                                             "parameters": {"message": b64(b"hi")}}),
        "sign_forged_handle": request("POST", f"/sign?{V1}", {"keyHandle": ec[:-2] + "AA", "algorithm": "ECDSA",
                                                              "parameters": {"digest": digest}}),
        "encrypt_aead": request("POST", f"/encrypt?{V1}", {"keyHandle": aes, "algorithm": "AEAD",
                                                           "parameters": {"iv": b64(b"\1" * 12), "aad": b64(b"a")},
                                                           "plaintext": b64(b"hello")}),
        "decrypt_garbage": request("POST", f"/decrypt?{V1}", {"keyHandle": aes, "algorithm": "AEAD",
                                                              "parameters": {"iv": b64(b"\1" * 12), "aad": ""},
                                                              "ciphertext": b64(b"\0" * 40)}),
        "create_key": request("POST", f"/key?{V1}", {"keyId": "seed-s", "usage": "sign", "keyBytes": b64(b"s" * 32)}),
        "get_key": request("GET", f"/key/fuzz-aes?{V1}"),
        "delete_key": request("DELETE", f"/key?{V1}", {"keyHandle": aes}),
        "derive": request("POST", f"/derivedkey?{V1}", {"baseKeyHandle": mac, "derivationData": b64(b"ctx")}),
        "export_derived": request("POST", f"/derivedkey/export?{V1}", {"keyHandle": derived}),
        # Framing and escaping.
        "path_nul": request("GET", f"/keypair/fuzz-ec%00zzz?{V1}"),
        "query_nul": request("GET", "/version?api-version=2020-09-01%00"),
        "path_escaped_slash": request("GET", f"/keypair/a%2Fb?{V1}"),
        "path_escaped_percent": request("GET", f"/keypair/a%25b%41?{V1}"),
        "path_dot_segments": request("GET", f"/a/../keypair/./fuzz-ec?{V1}"),
        "no_version": request("GET", "/version"),
        "unknown_version": request("GET", "/version?api-version=2099-01-01"),
        "unknown_route": request("GET", f"/nothing/here?{V1}"),
        "wrong_method": request("PATCH", f"/keypair?{V1}"),
        "bad_json": request("POST", f"/keypair?{V1}", b"{\"keyId\": "),
        "wrong_content_type": request("POST", f"/keypair?{V1}", b"keyId=x").replace(
            b"application/json", b"text/plain"),
        "chunked": (f"POST /keypair?{V1} HTTP/1.1\r\nHost: keyd\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"key\r\n13\r\nId\":\"seed-chunked\"}\r\n0\r\n\r\n").encode(),
        "chunked_bad_size": (f"POST /keypair?{V1} HTTP/1.1\r\nHost: keyd\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "zz\r\nabc\r\n0\r\n\r\n").encode(),
        "content_length_conflict": request("POST", f"/keypair?{V1}", {"keyId": "x"},
                                           ["Content-Length: 3"]),
        "content_length_huge": request("GET", f"/version?{V1}", None, ["Content-Length: 99999999999999999999"]),
        "body_too_large": (f"POST /keypair?{V1} HTTP/1.1\r\nHost: keyd\r\nContent-Type: application/json\r\n"
                           "Content-Length: 2000000\r\n\r\n{\"keyId\":\"aaaa").encode(),
        "huge_header": request("GET", f"/version?{V1}", None, ["X-Big: " + "b" * 20000]),
        "many_headers": request("GET", f"/version?{V1}", None, [f"X-H{i}: {i}" for i in range(600)]),
        "header_nul": request("GET", f"/version?{V1}", None, ["X-Nul: a\0b"]),
        "expect_continue": request("POST", f"/keypair?{V1}", {"keyId": "seed-e"}, ["Expect: 100-continue"]),
        "pipelined": request("GET", f"/version?{V1}") + request("GET", f"/keypairs?{V1}")
        + request("GET", "/version"),
        "http10": request("GET", f"/version?{V1}", version="HTTP/1.0"),
        "http2_preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "bad_version": request("GET", f"/version?{V1}", version="HTTP/9.9"),
        "truncated_headers": f"GET /version?{V1} HTTP/1.1\r\nHost: ke".encode(),
        "truncated_body": request("POST", f"/keypair?{V1}", {"keyId": "seed-t"})[:-5],
        "lf_only": f"GET /version?{V1} HTTP/1.1\nHost: keyd\n\n".encode(),
        "garbage": bytes(range(256)),
        "empty": b"",
        "long_path": request("GET", "/keypair/" + "a" * 8000 + f"?{V1}"),
        "query_repeated": request("GET", f"/version?{V1}&api-version=2021-05-01&a&=b&%zz=1"),
    }
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name + ".http"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
