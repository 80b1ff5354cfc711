# Sourced by the benchmarks: builds release binaries and starts demo-backend and Portico on
# Gateway.yaml (rewritten to BACKEND_PORT / GATEWAY_PORT), waiting until a unary call answers.
# Sets: bin, work (a temp dir removed on exit), be and gw (PIDs, killed on exit).
# Needs: BACKEND_PORT, GATEWAY_PORT. demo-backend serves and stores files in $work/files.

work=$(mktemp -d)
cleanup() { kill "${gw:-}" "${be:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

bin=$(bash scripts/build-release.sh portico demo-backend)

# A port already taken (another gateway on this machine) would make the readiness check below
# talk to someone else's process.
for port in "$GATEWAY_PORT" "$BACKEND_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use; set GATEWAY_PORT / BACKEND_PORT" >&2
    exit 1
  fi
done

# No admin listener: the bench starts several Porticos from this file (their admin ports would
# clash), and metrics are recorded with or without one. Gateway-shipped.yaml keeps the demo's
# auth rules; Gateway.yaml drops UserService's (the appid/appkey pair), so the GET loads measure
# the data path as every earlier run did, and the policies are priced by loads of their own.
sed -e "s/^listen: .*/listen: 127.0.0.1:$GATEWAY_PORT/" -e "s/127.0.0.1:50051/127.0.0.1:$BACKEND_PORT/" \
  -e "s#Protos/demo.binpb#$PWD/Protos/demo.binpb#" -e "s#file: demo/#file: $PWD/demo/#" -e "/^admin:/d" \
  Gateway.yaml > "$work/Gateway-shipped.yaml"
grep -q 'selector: demo.user.v1.UserService.\*, requires: \[appkeys\]' "$work/Gateway-shipped.yaml" || {
  echo "Gateway.yaml no longer has the one-line UserService auth rule this script edits" >&2
  exit 1
}
sed -e '/selector: demo.user.v1.UserService.\*, requires/d' "$work/Gateway-shipped.yaml" > "$work/Gateway.yaml"
mkdir -p "$work/files"
"$bin/demo-backend" --port "$BACKEND_PORT" --files "$work/files" > "$work/backend.log" 2>&1 &
be=$!
"$bin/portico" serve --config "$work/Gateway.yaml" --log-level error &
gw=$!
ready=no
for _ in $(seq 1 100); do curl -sf -o /dev/null "localhost:$GATEWAY_PORT/v1/users/1" && ready=yes && break; sleep 0.1; done
if [ "$ready" = no ] || ! kill -0 "$gw" 2>/dev/null || ! kill -0 "$be" 2>/dev/null; then
  echo "demo-backend or Portico did not start (or GET /v1/users/1 fails); backend log:" >&2
  cat "$work/backend.log" >&2
  exit 1
fi
