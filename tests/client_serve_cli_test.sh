#!/usr/bin/env bash
# `fedge client --serve` as an operator runs it: a bad address is refused at
# start (exit 2); a server and one client that trains and serves; after the
# run the client keeps answering with the last round's model (the SHA-256 of
# its checkpoint) until SIGTERM, then exits 0.
#   client_serve_cli_test.sh PATH_TO_FEDGE
set -euo pipefail
FEDGE=$1
T=$(mktemp -d /tmp/fedge_client_serve_XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

"$FEDGE" pki init --dir "$T/pki" > /dev/null
"$FEDGE" pki issue-client --dir "$T/pki" --id edge-1 > /dev/null

PORT=$(free_port)
HTTP=$(free_port)
# Federated evaluation after each round makes the client download every new
# global model while the server is up, so the model it serves at the end is
# the last round's whether or not its fetch of the final model (when the
# server ends the run and exits) wins the race with the server's shutdown.
cat > "$T/server.yaml" <<YAML
run: {id: serve-test, dir: run, purpose: serve-test}
listen: 127.0.0.1:$PORT
metrics_listen: ""
tls: {ca: pki/ca.crt, cert: pki/server.crt, key: pki/server.key, crl: pki/crl.pem}
model: {kind: mlp}
rounds: 2
cohort: {min_clients: 1}
deadlines: {selection: 2m, training: 2m}
training: {batch_size: 32, learning_rate: 0.05, max_examples: 300}
secure_aggregation: {enabled: false}
evaluation: {federated_every: 1}
YAML
cat > "$T/client.yaml" <<YAML
server: localhost:$PORT
tls: {ca: pki/ca.crt, cert: pki/clients/edge-1.crt, key: pki/clients/edge-1.key}
consent: {purpose: serve-test, version: "1", given_at: 2026-01-01T00:00:00Z}
data:
  format: fashion_mnist
  split: test
  partition: {index: 0, count: 20, scheme: iid, seed: 1}
reconnect: {initial: 100ms, max: 1s}
state_dir: state
YAML

# A malformed address is refused before anything starts.
set +e
"$FEDGE" client --config "$T/client.yaml" --serve 8080 > "$T/bad.out" 2>&1
code=$?
set -e
[[ $code == 2 ]] || fail "bad --serve exit code $code, expected 2: $(cat "$T/bad.out")"
grep -q "cannot serve predictions (--serve, --serve-grpc, config serve:)" "$T/bad.out" \
  || fail "bad --serve message: $(cat "$T/bad.out")"

"$FEDGE" server --config "$T/server.yaml" --no-progress > "$T/server.out" 2> "$T/server.err" &
SERVER=$!
PIDS+=("$SERVER")
"$FEDGE" client --config "$T/client.yaml" --serve "127.0.0.1:$HTTP" > "$T/client.log" 2>&1 &
CLIENT=$!
PIDS+=("$CLIENT")

wait "$SERVER" || fail "server exited with $?: $(tail -5 "$T/server.err")"
PIDS=("$CLIENT")

# The run is over; the client goes on serving the last round's model.
ok=0
for _ in $(seq 1 200); do
  if grep -q "the run is over; serving model version" "$T/client.log"; then ok=1; break; fi
  kill -0 "$CLIENT" 2>/dev/null || fail "the client exited: $(tail -5 "$T/client.log")"
  sleep 0.1
done
[[ $ok == 1 ]] || fail "client log: $(tail -5 "$T/client.log")"
grep -q "the run is over; serving model version 2 until stopped" "$T/client.log" \
  || fail "served version: $(grep 'run is over' "$T/client.log")"

BODY=$(python3 -c 'import json; print(json.dumps({"instances": [{"values": [0.01 * (i % 100) for i in range(784)]}]}))')
curl -sf -X POST "http://127.0.0.1:$HTTP/v1/predict" -d "$BODY" > "$T/predict.json" \
  || fail "POST /v1/predict failed"
SHA=$(sha256sum "$T/run/checkpoints/round-000002.fedge" | cut -d' ' -f1)
python3 - "$T/predict.json" "$SHA" <<'PY' || fail "predict: $(cat "$T/predict.json")"
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["modelVersion"] == "2", answer["modelVersion"]
assert answer["modelSha256"] == sys.argv[2], answer["modelSha256"]
p = answer["predictions"][0]["probabilities"]
assert len(p) == 10 and abs(sum(p) - 1) < 1e-4, p
PY
curl -sf "http://127.0.0.1:$HTTP/metrics" > "$T/metrics" || fail "GET /metrics failed"
grep -q '^fedge_serve_model_version 2$' "$T/metrics" || fail "metrics: $(cat "$T/metrics")"
grep -q '^fedge_serve_request_seconds_count{transport="http"} 1$' "$T/metrics" \
  || fail "latency metric: $(grep request_seconds "$T/metrics")"

kill -TERM "$CLIENT"
code=0
wait "$CLIENT" || code=$?
PIDS=()
[[ $code == 0 ]] || fail "client exited with $code after SIGTERM: $(tail -5 "$T/client.log")"
grep -q "rounds trained" "$T/client.log" || fail "client log: $(tail -5 "$T/client.log")"
echo "PASS"
