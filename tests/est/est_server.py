#!/usr/bin/env python3
"""The project's own EST test server (RFC 7030 / RFC 8951), for tests only.

Shares no code with the C++ client. Creates a test PKI at start in --dir (root CA -> issuing CA; a TLS
server certificate for 127.0.0.1/localhost signed by the root), listens on 127.0.0.1 on a free port and
writes the port to --port-file. Each request is logged as one JSON line to --log (path, client cert
subject, TLS version, Basic user, CSR details, status). Behaviours are switched by flags; see --help.
"""
import argparse, base64, datetime, email.utils, json, os, random, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID

OPS = ("cacerts", "simpleenroll", "simplereenroll", "csrattrs", "serverkeygen")


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def make_cert(subject, pub, issuer_name, issuer_key, ca=False, sans=None, days=1, eku=None, ca_signs=False,
              crl_url=None):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(pub)
         .serial_number(random.getrandbits(120) | 1).not_valid_before(now() - datetime.timedelta(minutes=5))
         .not_valid_after(now() + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False))
    if ca:
        # ca_signs: digitalSignature too, so that an issued CA may also be a TLS client (re-enrollment)
        b = b.add_extension(x509.KeyUsage(ca_signs, False, False, False, False, True, True, False, False), critical=True)
    if sans:
        b = b.add_extension(sans, critical=False)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if crl_url:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# Minimal DER writer for CsrAttrs (the cryptography package has no generic ASN.1 encoder).
def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def der_oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.insert(0, 0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(chunk)
    return der(0x06, body)


def csrattrs_der():
    # challengePassword, ecdsa-with-SHA384, id-ecPublicKey {secp384r1}, extensionRequest {keyUsage ext}
    ku = der(0x30, der_oid("2.5.29.15") + der(0x01, b"\xff") + der(0x04, der(0x03, b"\x07\x80")))
    items = [der_oid("1.2.840.113549.1.9.7"), der_oid("1.2.840.10045.4.3.3"),
             der(0x30, der_oid("1.2.840.10045.2.1") + der(0x31, der_oid("1.3.132.0.34"))),
             der(0x30, der_oid("1.2.840.113549.1.9.14") + der(0x31, der(0x30, ku))),
             der_oid("1.3.6.1.1.1.1.22")]
    return der(0x30, b"".join(items))


class Pki:
    def __init__(self, d, wrong_host):
        tag = os.urandom(4).hex()  # CA names unique per instance: several servers run side by side
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = make_cert(name("EST Test Root CA " + tag), self.root_key.public_key(), name("EST Test Root CA " + tag),
                              self.root_key, ca=True, days=30)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = make_cert(name("EST Test Issuing CA " + tag), self.ca_key.public_key(), self.root.subject,
                            self.root_key, ca=True, days=30)
        self.tls_key = ec.generate_private_key(ec.SECP256R1())
        import ipaddress
        hosts = [x509.DNSName("wrong.example")] if wrong_host else [
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        self.tls = make_cert(name("EST test server"), self.tls_key.public_key(), self.root.subject, self.root_key,
                             sans=x509.SubjectAlternativeName(hosts), eku=[ExtendedKeyUsageOID.SERVER_AUTH])
        w = lambda n, t: open(os.path.join(d, n), "w").write(t)
        w("root.pem", pem(self.root))
        w("chain.pem", pem(self.ca) + pem(self.root))
        w("tls.pem", pem(self.tls) + pem(self.root))
        # The issuing CA's own pair, so that a test can revoke what it issued (openssl ca -gencrl).
        w("ca.pem", pem(self.ca))
        w("ca.key", self.ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode())
        w("tls.key", self.tls_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, **kw):
        s = self.server
        c = self.client_cert()
        entry = {"path": self.path, "method": self.command, "client_subject": self.client_subject(),
                 "client_serial": "%X" % c.serial_number if c else None,
                 "tls_version": self.connection.version() if hasattr(self.connection, "version") else None, "user": self.basic_user()}
        entry.update(kw)
        with s.lock:
            if s.args.log:
                with open(s.args.log, "a") as f:
                    f.write(json.dumps(entry) + "\n")

    def client_subject(self):
        c = self.client_cert()
        return c.subject.rfc4514_string() if c else None

    def client_cert(self):
        if not hasattr(self.connection, "getpeercert"):  # --plain-http
            return None
        raw = self.connection.getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(raw) if raw else None

    def basic_user(self):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None
        try:
            return base64.b64decode(h[6:]).decode()
        except Exception:
            return "<malformed>"

    def reply(self, status, body=b"", ctype="text/plain", extra=None, **log):
        if isinstance(body, str):
            body = body.encode()
        self.record(status=status, **log)  # before answering: the client reads the log right after
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.handle_est(None)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.handle_est(self.rfile.read(n))

    def handle_est(self, body):
        a, s = self.server.args, self.server
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) < 3 or parts[:2] != [".well-known", "est"] or parts[-1] not in OPS:
            return self.reply(404, "no such EST operation\n")
        op = parts[-1]
        label = parts[2] if len(parts) == 4 else None
        if a.label and label != a.label:
            return self.reply(404, "unknown CA label\n")
        if a.user and op != "cacerts":
            if self.basic_user() != "%s:%s" % (a.user, a.password):
                hdr = {} if a.no_challenge else {"WWW-Authenticate": 'Basic realm="estrealm"'}
                return self.reply(401, "authentication required: bad or missing credentials\n", extra=hdr)
        if a.require_client_cert and op != "cacerts" and self.client_cert() is None:
            return self.reply(401, "a client certificate is required\n")
        if a.mode != "ok" and (not a.mode_ops or op in a.mode_ops.split(",")):
            done = self.behave(a.mode, op)
            if done:
                return
        if op == "cacerts":
            certs = [s.pki.root, s.pki.ca] if a.cacerts_order == "reversed" else [s.pki.ca, s.pki.root]
            return self.send_certs(certs)
        if op == "csrattrs":
            if a.no_csrattrs:
                return self.reply(404, "no CSR attributes\n")
            pad = b"\r\n\0\0" if a.csrattrs_nul_padding else b""  # as a third-party server did
            return self.reply(200, base64.encodebytes(csrattrs_der()) + pad, "application/csrattrs",
                              {"Content-Transfer-Encoding": "base64"})
        csr = self.parse_csr(body)
        if csr is None:
            return
        if op == "simplereenroll":
            cur = self.client_cert()
            if cur is None:
                return self.reply(400, "re-enrollment needs the current certificate as TLS client cert\n")
            if cur.subject != csr.subject or sans_of(cur) != sans_of(csr):
                return self.reply(400, "re-enrollment CSR subject or SANs differ from the current cert\n")
        if op == "serverkeygen":
            return self.serverkeygen(csr)
        leaf = self.issue(csr, csr.public_key(), ca=a.issue_ca and not (
            a.fault_ca_false_on_reenroll and op == "simplereenroll"))
        self.send_certs(self.chain(leaf), csr=csr)

    def behave(self, mode, op):
        s, a = self.server, self.server.args
        if mode == "pending":
            with s.lock:
                s.pending_left.setdefault(op, a.pending)
                left = s.pending_left[op]
                if left > 0:
                    s.pending_left[op] = left - 1
            if left > 0:
                ra = str(a.retry_after) if a.retry_after_form == "seconds" else \
                    email.utils.formatdate(time.time() + a.retry_after, usegmt=True)
                self.reply(202, "request pending\n", extra={"Retry-After": ra})
                return True
            return False
        if mode == "error500":
            self.reply(500, "internal CA failure: signer offline\n")
        elif mode == "badreq":
            self.reply(400, "CSR refused by policy: key too weak\n")
        elif mode == "unauth":
            hdr = {} if a.no_challenge else {"WWW-Authenticate": 'Basic realm="estrealm"'}
            self.reply(401, "you are not allowed to enroll\n", extra=hdr)
        elif mode == "garbage":
            self.reply(200, "%%% this is not base64 nor PKCS#7 %%%\n", "application/pkcs7-mime; smime-type=certs-only")
        elif mode == "slow":
            time.sleep(a.slow)
            return False
        elif mode == "drop":
            self.record(status="dropped")
            self.close_connection = True
            try:
                self.connection.close()
            except OSError:
                pass
        else:
            return False
        return True

    def parse_csr(self, body):
        try:
            text = body.decode()
            if "-----BEGIN" in text:
                csr = x509.load_pem_x509_csr(body)
            else:
                csr = x509.load_der_x509_csr(base64.b64decode("".join(text.split())))
            if not csr.is_signature_valid:
                raise ValueError("bad CSR signature")
            return csr
        except Exception as e:
            self.reply(400, "malformed CSR: %s\n" % e)
            return None

    def issue(self, csr, pub, ca=False):
        s, a = self.server, self.server.args
        subject = name("changed-by-server") if a.change_subject else csr.subject
        sans = None
        try:
            sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            pass
        return make_cert(subject, pub, s.pki.ca.subject, s.pki.ca_key, sans=sans, ca=ca, ca_signs=ca,
                         eku=None if ca else [ExtendedKeyUsageOID.CLIENT_AUTH], crl_url=a.crl_url)

    def chain(self, leaf):
        s, a = self.server, self.server.args
        return [leaf] if a.chain == "leaf" else [s.pki.root, leaf, s.pki.ca]  # deliberately out of order

    def encode_certs(self, certs):
        enc = self.server.args.encoding
        if enc == "pem-certs":
            return "".join(pem(c) for c in certs).encode(), "application/x-pem-file", {}
        p7 = pkcs7.serialize_certificates(certs, serialization.Encoding.DER)
        if enc == "pem":
            return pkcs7.serialize_certificates(certs, serialization.Encoding.PEM), \
                "application/pkcs7-mime; smime-type=certs-only", {}
        if enc == "b64-nowrap":
            return base64.b64encode(p7), "application/pkcs7-mime; smime-type=certs-only", {}
        b64 = base64.encodebytes(p7).replace(b"\n", b"\r\n")  # 76 columns, CRLF
        return b64, 'application/pkcs7-mime; smime-type="certs-only"', {"Content-Transfer-Encoding": "base64"}

    def send_certs(self, certs, csr=None):
        body, ctype, hdr = self.encode_certs(certs)
        log = {}
        if csr is not None:
            pub = csr.public_key()
            log = {"csr_subject": csr.subject.rfc4514_string(),
                   "csr_key": pub.curve.name if isinstance(pub, ec.EllipticCurvePublicKey) else "rsa%d" % pub.key_size,
                   "csr_sig_hash": csr.signature_hash_algorithm.name,
                   "csr_challenge": challenge_of(csr), "csr_sans": [str(n) for n in sans_of(csr)],
                   "csr_extensions": [e.oid.dotted_string for e in csr.extensions]}
        self.reply(200, body, ctype, hdr, **log)

    def serverkeygen(self, csr):
        a = self.server.args
        if a.keygen_format == "pkcs1":
            key = rsa.generate_private_key(65537, 2048)
            kder = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption())
        else:
            key = ec.generate_private_key(ec.SECP256R1())
            kder = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        leaf = self.issue(csr, key.public_key())
        p7 = pkcs7.serialize_certificates(self.chain(leaf), serialization.Encoding.DER)
        b = "estServerKeyGenBoundary"
        body = ("--%s\r\nContent-Type: application/pkcs8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n"
                "--%s\r\nContent-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n") % (
            b, base64.encodebytes(kder).decode(), b, base64.encodebytes(p7).decode(), b)
        self.reply(200, body, 'multipart/mixed; boundary="%s"' % b, key_format=a.keygen_format)


def sans_of(obj):
    try:
        return list(obj.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return []


def challenge_of(csr):
    try:
        v = csr.attributes.get_attribute_for_oid(x509.oid.AttributeOID.CHALLENGE_PASSWORD).value
        return v.decode() if isinstance(v, bytes) else v
    except (x509.AttributeNotFound, AttributeError):
        return None


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # dropped connections and refused handshakes are part of the tests


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--label")
    p.add_argument("--user")
    p.add_argument("--password", default="")
    p.add_argument("--no-challenge", action="store_true", help="401 without WWW-Authenticate")
    p.add_argument("--client-ca", action="append", default=[], help="also trust client certs from this PEM")
    p.add_argument("--require-client-cert", action="store_true")
    p.add_argument("--mode", default="ok", choices=["ok", "pending", "error500", "badreq", "unauth", "garbage",
                                                    "slow", "drop"])
    p.add_argument("--mode-ops", default="", help="comma-separated operations the mode applies to (default all)")
    p.add_argument("--pending", type=int, default=2, help="202 this many times per operation, then success")
    p.add_argument("--retry-after", type=int, default=1)
    p.add_argument("--retry-after-form", default="seconds", choices=["seconds", "date"])
    p.add_argument("--slow", type=float, default=5)
    p.add_argument("--tls12-only", action="store_true")
    p.add_argument("--wrong-host", action="store_true")
    p.add_argument("--chain", default="full", choices=["full", "leaf"])
    p.add_argument("--encoding", default="b64", choices=["b64", "b64-nowrap", "pem", "pem-certs"])
    p.add_argument("--cacerts-order", default="reversed", choices=["reversed", "natural"])
    p.add_argument("--keygen-format", default="pkcs8", choices=["pkcs8", "pkcs1"])
    p.add_argument("--no-csrattrs", action="store_true")
    p.add_argument("--csrattrs-nul-padding", action="store_true",
                   help="end the /csrattrs body in CR LF NUL NUL")
    p.add_argument("--change-subject", action="store_true")
    p.add_argument("--issue-ca", action="store_true",
                   help="issue CA certs (CA:TRUE, keyCertSign) on simpleenroll/simplereenroll, as a server "
                        "whose profile for this label is a sub-CA")
    p.add_argument("--fault-ca-false-on-reenroll", action="store_true",
                   help="FAULT: with --issue-ca, simplereenroll still issues a CA:FALSE leaf")
    p.add_argument("--plain-http", action="store_true", help="serve plain HTTP (no TLS), for http:// URLs")
    p.add_argument("--crl-url", help="issued certs name this CRL distribution point (the CA is dir/ca.pem, ca.key)")
    a = p.parse_args()

    pki = Pki(a.dir, a.wrong_host)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if a.tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(a.dir, "tls.pem"), os.path.join(a.dir, "tls.key"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(os.path.join(a.dir, "chain.pem"))
    for f in a.client_ca:
        ctx.load_verify_locations(f)
    httpd = Server(("127.0.0.1", 0), Handler)
    if not a.plain_http:
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.args, httpd.pki, httpd.lock, httpd.pending_left = a, pki, threading.Lock(), {}
    port = httpd.server_address[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    print(port, flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
