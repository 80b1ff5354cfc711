#!/usr/bin/env bash
# The demo's identity provider, for trying Portico's `jwt` provider without a real one
# (openssl only). Its RSA key, demo/jwt/demo-signing-key.pem, is committed on purpose and is
# good for nothing but this demo: never trust it anywhere else.
#
#   scripts/demo-jwt.sh token [SUB] [SECONDS]   # an RS256 token for SUB (default alice), valid
#                                               # SECONDS (default 3600): iss, aud and kid as
#                                               # Gateway.yaml's demo-idp provider expects
#   scripts/demo-jwt.sh jwks                    # regenerates demo/jwt/jwks.json from the key
#   scripts/demo-jwt.sh new-key                 # a new key (then run jwks)
set -euo pipefail
cd "$(dirname "$0")/.."

key=demo/jwt/demo-signing-key.pem
issuer=https://demo.portico.local/
audience=portico-demo
kid=demo-2026

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

case "${1:-token}" in
  token)
    sub=${2:-alice}
    lifetime=${3:-3600}
    now=$(date +%s)
    header=$(printf '{"alg":"RS256","typ":"JWT","kid":"%s"}' "$kid" | b64url)
    payload=$(printf '{"iss":"%s","aud":"%s","sub":"%s","iat":%d,"exp":%d}' \
      "$issuer" "$audience" "$sub" "$now" $((now + lifetime)) | b64url)
    signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$key" -binary | b64url)
    printf '%s.%s.%s\n' "$header" "$payload" "$signature"
    ;;
  jwks)
    # n: the modulus's bytes (openssl prints them in hex); e: 65537 is AQAB.
    modulus=$(openssl rsa -in "$key" -noout -modulus | cut -d= -f2)
    n=$(printf '%s' "$modulus" | xxd -r -p | b64url)
    printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"AQAB"}]}\n' "$kid" "$n" \
      > demo/jwt/jwks.json
    echo "wrote demo/jwt/jwks.json (kid $kid)"
    ;;
  new-key)
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key"
    echo "wrote $key; now: scripts/demo-jwt.sh jwks"
    ;;
  *)
    echo "usage: $0 token [SUB] [SECONDS] | jwks | new-key" >&2
    exit 2
    ;;
esac
