#!/usr/bin/env bash
# Development PKI for the signing proxy with the openssl CLI alone (OpenSSL >= 3.0).
# Same layout as `signer certs dev --out DIR`:
#   ca.crt ca.key server.crt server.key client.crt client.key [<cn>.crt <cn>.key ...]
# Usage: make-dev-certs.sh OUT_DIR [CLIENT_CN[=SAN_URI] ...]
#   e.g. make-dev-certs.sh ./var/certs memory-layer op-alice=spiffe://ops/alice
# Existing files are kept (the CA is reused); missing leaves are issued from it. FORCE=1 regenerates all.
# DEV/CI ONLY: keys are written unencrypted. Never use these certificates in production.
set -euo pipefail

usage() { echo "usage: $0 OUT_DIR [CLIENT_CN[=SAN_URI] ...]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
out=$1
shift

CA_CN="signing-proxy dev CA"
CA_DAYS=3650
LEAF_DAYS=397
DEV_CLIENT_CN="dev-client"
DEV_CLIENT_SAN_URI="spiffe://signing-proxy.local/dev-client"

umask 077 # keys, temp files and a newly created OUT_DIR (0700) are the owner's only
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A minimal config, so the system openssl.cnf cannot add or conflict with extensions.
cat >"$tmp/req.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
EOF

# 16 random bytes, top bit cleared and second bit set: a positive serial of exactly 16 bytes.
serial() {
  local hex
  hex=$(openssl rand -hex 16)
  printf '0x%x%s' $(((0x${hex:0:2} & 0x7f) | 0x40)) "${hex:2}"
}

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# issue NAME CN DAYS EXT... — a P-256 key and a certificate signed by the CA, SANs and EKU copied
# from the request (-copy_extensions), key identifiers and CA:FALSE added at signing.
issue() {
  local name=$1 cn=$2 days=$3
  shift 3
  local args=()
  for ext in "$@"; do args+=(-addext "$ext"); done
  newkey "$tmp/$name.key"
  openssl req -new -config "$tmp/req.cnf" -key "$tmp/$name.key" -subj "/CN=$cn" "${args[@]}" \
    -out "$tmp/$name.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid:always" >"$tmp/$name.ext"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -set_serial "$(serial)" \
    -days "$days" -sha256 -copy_extensions copyall -extfile "$tmp/$name.ext" -out "$tmp/$name.crt" \
    2>"$tmp/x509.log" || { cat "$tmp/x509.log" >&2; exit 1; }
  chmod 600 "$tmp/$name.key"
  chmod 644 "$tmp/$name.crt"
  mv "$tmp/$name.key" "$out/$name.key"
  mv "$tmp/$name.crt" "$out/$name.crt"
  echo "issued $out/$name.crt (CN=$cn)"
}

have() { [[ -z ${FORCE:-} && -f "$out/$1.crt" && -f "$out/$1.key" ]]; }

if have ca; then
  echo "reusing $out/ca.crt"
elif [[ -z ${FORCE:-} && (-f "$out/ca.crt" || -f "$out/ca.key") ]]; then
  echo "error: only one of $out/ca.crt, $out/ca.key exists; restore it or rerun with FORCE=1" >&2
  exit 1
else
  FORCE=1 # a new CA invalidates every existing leaf
  newkey "$tmp/ca.key"
  openssl req -x509 -new -config "$tmp/req.cnf" -key "$tmp/ca.key" -subj "/CN=$CA_CN" -sha256 \
    -days "$CA_DAYS" -set_serial "$(serial)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$tmp/ca.crt"
  chmod 600 "$tmp/ca.key"
  chmod 644 "$tmp/ca.crt"
  mv "$tmp/ca.key" "$out/ca.key"
  mv "$tmp/ca.crt" "$out/ca.crt"
  echo "created $out/ca.crt"
fi

leaf_ku="keyUsage=critical,digitalSignature"
have server || issue server localhost "$LEAF_DAYS" "$leaf_ku" "extendedKeyUsage=serverAuth" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
have client || issue client "$DEV_CLIENT_CN" "$LEAF_DAYS" "$leaf_ku" "extendedKeyUsage=clientAuth" \
  "subjectAltName=URI:$DEV_CLIENT_SAN_URI"

for spec in "$@"; do
  cn=${spec%%=*}
  uri=""
  [[ $spec == *=* ]] && uri=${spec#*=}
  # CNs become file names: a safe alphabet, and not a name the fixed layout uses.
  lc=$(printf '%s' "$cn" | tr '[:upper:]' '[:lower:]')
  if [[ ! $cn =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ || $lc == ca || $lc == server || $lc == client ||
    $cn == "$DEV_CLIENT_CN" ]]; then
    echo "error: invalid or reserved client CN '$cn'" >&2
    exit 2
  fi
  if [[ -n $uri && ! $uri =~ ^[A-Za-z][A-Za-z0-9+.-]*:[^[:space:],]+$ ]]; then
    echo "error: invalid SAN URI '$uri'" >&2
    exit 2
  fi
  have "$cn" && continue
  exts=("$leaf_ku" "extendedKeyUsage=clientAuth")
  [[ -n $uri ]] && exts+=("subjectAltName=URI:$uri")
  issue "$cn" "$cn" "$LEAF_DAYS" "${exts[@]}"
done
