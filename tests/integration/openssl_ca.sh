# The revocation tests' certificate authority, run with `openssl ca` (sourced after lib.sh).
# openssl_ca_init CA-DIR LEAF-LINE: the CA's database, serial, crlnumber and CA-DIR/ca.cnf, whose
# sections are `root` (a CA that signs certs and CRLs), `leaf` (a client cert; LEAF-LINE adds e.g.
# its crlDistributionPoints or authorityInfoAccess) and `responder` (a delegated OCSP responder).
# openssl_ca_self_signed DIR CN: DIR/ca.key and DIR/ca.pem, a self-signed `root`.
# openssl_ca_issue NAME EXTENSIONS: $DIR/NAME.key, .csr and .pem, issued by the CA.
openssl_ca_init() {
  OPENSSL_CA=$1
  mkdir -p "$1/new"
  : >"$1/index.txt"
  echo 1000 >"$1/serial"
  echo 01 >"$1/crlnumber"
  cat >"$1/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = $1
database = $1/index.txt
new_certs_dir = $1/new
serial = $1/serial
crlnumber = $1/crlnumber
certificate = $1/ca.pem
private_key = $1/ca.key
default_md = sha256
default_days = 30
default_crl_hours = 1
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid
$2
[responder]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
[req]
distinguished_name = dn
[dn]
CNF
}

openssl_ca_self_signed() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/ca.key" \
    -out "$1/ca.pem" -subj "/CN=$2" -days 365 -config "$OPENSSL_CA/ca.cnf" -extensions root 2>/dev/null
}

openssl_ca_issue() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$DIR/$1.key" \
    -subj "/CN=$1" -out "$DIR/$1.csr" -config "$OPENSSL_CA/ca.cnf" 2>/dev/null
  openssl ca -config "$OPENSSL_CA/ca.cnf" -batch -notext -extensions "$2" -in "$DIR/$1.csr" \
    -out "$DIR/$1.pem" 2>>"$DIR/openssl.log"
}
