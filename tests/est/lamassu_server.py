#!/usr/bin/env python3
"""An EST server that behaves as Lamassu IoT's DMS manager does, for tests only.

Shares no code with the C++ client (nor with est_server.py). Lamassu's rules, enforced here:
- the DMS id is a mandatory label: /.well-known/est/<label>/<op>; an unlabeled path is 400, another
  label is 500;
- no /csrattrs and no /serverkeygen (404), never 202;
- TLS client certificates only (an Authorization header is ignored); every service error, auth
  failures included, is HTTP 500 with a JSON body {"err": "..."};
- /simpleenroll: the client cert must be the bootstrap (IDevID) cert, issued by the bootstrap CA;
  the device id is the CSR's CN and is bound to the first cert enrolled for it;
- /simplereenroll: the client cert must be a live device cert of this DMS, its CN the CSR's CN, the
  CSR's subject DER byte-equal to the client cert's, and now >= notAfter - reenroll_delta, else
  500 "invalid reenroll window"; with --revoke-on-reenroll the old cert is revoked at issuance, and a
  request presenting a revoked cert is refused;
- /cacerts is a set, not a chain: the issuing CA, an unrelated root and the root, in that order.
Issued certificates carry the subject the CSR asked for re-encoded as PrintableString plus
O=<--org>, so a client that rebuilds the subject from its config fails the byte comparison.
Each request is logged as one JSON line to --log.
"""
import argparse, base64, datetime, ipaddress, json, os, random, ssl, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID

OPS = ("cacerts", "simpleenroll", "simplereenroll", "csrattrs", "serverkeygen")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def cn_name(cn, printable=False):
    attr = x509.NameAttribute(NameOID.COMMON_NAME, cn, x509.name._ASN1Type.PrintableString) if printable \
        else x509.NameAttribute(NameOID.COMMON_NAME, cn)
    return x509.Name([attr])


def cert(subject, pub, issuer, issuer_key, ca=False, seconds=86400, back=300, sans=None, eku=None):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(pub)
         .serial_number(random.getrandbits(120) | 1)
         .not_valid_before(utcnow() - datetime.timedelta(seconds=back))
         .not_valid_after(utcnow() + datetime.timedelta(seconds=seconds))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    if sans:
        b = b.add_extension(sans, critical=False)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def pem(c):
    return c.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()).decode()


def cn_of(name):
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else None


def der_tlv(data, at):
    """(tag, start of content, end of content) of the DER element at `at`."""
    tag, n = data[at], data[at + 1]
    at += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[at:at + k], "big")
        at += k
    return tag, at, at + n


def raw_subject(tbs, is_cert):
    """The subject Name's DER exactly as it is in the TBSCertificate / CertificationRequestInfo."""
    _, at, _ = der_tlv(tbs, 0)  # into the outer SEQUENCE
    if is_cert and tbs[at] == 0xA0:  # [0] version
        _, _, at = der_tlv(tbs, at)
    skip = 4 if is_cert else 1  # serialNumber, signature, issuer, validity | version
    for _ in range(skip):
        _, _, at = der_tlv(tbs, at)
    _, _, end = der_tlv(tbs, at)
    return tbs[at:end]


class Pki:
    def __init__(self, d, bootstrap_cn):
        tag = os.urandom(4).hex()
        k = lambda: ec.generate_private_key(ec.SECP256R1())
        self.root_key, self.ca_key, self.other_key, self.boot_ca_key, self.tls_key, self.boot_key = \
            k(), k(), k(), k(), k(), k()
        rn = cn_name("Lamassu Test Root " + tag)
        self.root = cert(rn, self.root_key.public_key(), rn, self.root_key, ca=True, seconds=30 * 86400)
        self.ca = cert(cn_name("Lamassu Test Device CA " + tag), self.ca_key.public_key(), rn, self.root_key,
                       ca=True, seconds=30 * 86400)
        on = cn_name("Lamassu Unrelated Root " + tag)
        self.other = cert(on, self.other_key.public_key(), on, self.other_key, ca=True, seconds=30 * 86400)
        bn = cn_name("Lamassu Test Bootstrap CA " + tag)
        self.boot_ca = cert(bn, self.boot_ca_key.public_key(), bn, self.boot_ca_key, ca=True, seconds=30 * 86400)
        self.boot = cert(cn_name(bootstrap_cn), self.boot_key.public_key(), bn, self.boot_ca_key,
                         eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
        hosts = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                             x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        self.tls = cert(cn_name("Lamassu test server"), self.tls_key.public_key(), rn, self.root_key, sans=hosts,
                        eku=[ExtendedKeyUsageOID.SERVER_AUTH])
        files = {"root.pem": pem(self.root), "device-ca.pem": pem(self.ca), "tls.pem": pem(self.tls) + pem(self.root),
                 "tls.key": key_pem(self.tls_key), "bootstrap.pem": pem(self.boot),
                 "bootstrap.key": key_pem(self.boot_key), "client-cas.pem": pem(self.boot_ca) + pem(self.ca) + pem(self.root)}
        for n, t in files.items():
            with open(os.path.join(d, n), "w") as f:
                f.write(t)
            os.chmod(os.path.join(d, n), 0o600 if n.endswith(".key") else 0o644)


class Lamassu(Exception):
    def __init__(self, status, err):
        super().__init__(err)
        self.status, self.err = status, err


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def client(self):
        raw = self.connection.getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(raw) if raw else None

    def record(self, status, **kw):
        c = self.client()
        entry = {"path": self.path, "status": status, "client_subject": c.subject.rfc4514_string() if c else None,
                 "client_serial": "%X" % c.serial_number if c else None,
                 "client_issuer": c.issuer.rfc4514_string() if c else None}
        entry.update(kw)
        s = self.server
        with s.lock:
            with open(s.args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def send(self, status, body, ctype, **log):
        if isinstance(body, str):
            body = body.encode()
        self.record(status, **log)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if ctype.startswith("application/pkcs7"):
            self.send_header("Content-Transfer-Encoding", "base64")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.handle_op(None)

    def do_POST(self):
        self.handle_op(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def handle_op(self, body):
        try:
            self.dispatch(body)
        except Lamassu as e:
            self.send(e.status, json.dumps({"err": e.err}), "application/json", err=e.err)

    def dispatch(self, body):
        a, s = self.server.args, self.server
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) < 3 or parts[:2] != [".well-known", "est"] or parts[-1] not in OPS:
            raise Lamassu(404, "404 page not found")
        if len(parts) != 4:
            raise Lamassu(400, "aps (DMS id) is mandatory in the path")
        if parts[2] != a.label:
            raise Lamassu(500, "dms not found")
        op = parts[3]
        if op in ("csrattrs", "serverkeygen"):
            raise Lamassu(404, "404 page not found")
        client = self.client()
        if client is not None and client.serial_number in s.revoked:
            raise Lamassu(500, "certificate revoked")
        if op == "cacerts":
            return self.send_certs([s.pki.ca, s.pki.other, s.pki.root])
        if client is None:
            raise Lamassu(500, "no client certificate presented")
        csr = self.parse_csr(body)
        if op == "simpleenroll":
            return self.enroll(client, csr)
        return self.reenroll(client, csr)

    def parse_csr(self, body):
        try:
            csr = x509.load_der_x509_csr(base64.b64decode("".join(body.decode().split())))
        except Exception as e:
            raise Lamassu(500, "could not decode CSR: %s" % e)
        if not csr.is_signature_valid:
            raise Lamassu(500, "invalid CSR signature")
        return csr

    def enroll(self, client, csr):
        s = self.server
        if client.issuer != s.pki.boot_ca.subject:
            raise Lamassu(500, "invalid certificate")
        device = cn_of(csr.subject)
        with s.lock:
            s.devices.setdefault(device, client.serial_number)
        self.issue(csr, device, client)

    def reenroll(self, client, csr):
        s, a = self.server, self.server.args
        if client.issuer != s.pki.ca.subject or client.serial_number not in s.issued:
            raise Lamassu(500, "invalid certificate")
        if cn_of(client.subject) != cn_of(csr.subject):
            raise Lamassu(500, "certificate CN and CSR CN mismatch")
        if raw_subject(client.tbs_certificate_bytes, True) != raw_subject(csr.tbs_certrequest_bytes, False):
            raise Lamassu(500, "CSR subject differs from the certificate's")
        opens = client.not_valid_after - datetime.timedelta(seconds=a.reenroll_delta)
        if utcnow() < opens:
            raise Lamassu(500, "invalid reenroll window")
        self.issue(csr, cn_of(csr.subject), client, renewed=client)

    def issue(self, csr, device, client, renewed=None):
        s, a = self.server, self.server.args
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device, x509.name._ASN1Type.PrintableString),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, a.org)])
        if renewed is not None:
            subject = renewed.subject  # kept from the current cert, as the CSR must be
        leaf = cert(subject, csr.public_key(), s.pki.ca.subject, s.pki.ca_key, seconds=a.validity, back=60,
                    eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
        with s.lock:
            s.issued.add(leaf.serial_number)
            if renewed is not None and a.revoke_on_reenroll:
                s.revoked.add(renewed.serial_number)
        self.send_certs([leaf], csr_subject=csr.subject.rfc4514_string(), device=device,
                        issued_serial="%X" % leaf.serial_number,
                        revoked="%X" % renewed.serial_number if renewed is not None and a.revoke_on_reenroll
                        else None)

    def send_certs(self, certs, **log):
        p7 = pkcs7.serialize_certificates(certs, serialization.Encoding.DER)
        self.send(200, base64.encodebytes(p7), "application/pkcs7-mime; smime-type=certs-only", **log)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--label", default="dms-01", help="the DMS id")
    p.add_argument("--bootstrap-cn", default="idevid-0001")
    p.add_argument("--org", default="Lamassu DMS")
    p.add_argument("--validity", type=int, default=86400, help="seconds an issued cert is valid from now")
    p.add_argument("--reenroll-delta", type=int, default=3600,
                   help="re-enrollment is allowed from notAfter minus this many seconds")
    p.add_argument("--revoke-on-reenroll", action="store_true")
    a = p.parse_args()

    pki = Pki(a.dir, a.bootstrap_cn)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(a.dir, "tls.pem"), os.path.join(a.dir, "tls.key"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(os.path.join(a.dir, "client-cas.pem"))
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.args, httpd.pki, httpd.lock = a, pki, threading.Lock()
    httpd.devices, httpd.issued, httpd.revoked = {}, set(), set()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % httpd.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
