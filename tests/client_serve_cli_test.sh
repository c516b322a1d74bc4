#!/usr/bin/env bash
# `fedge client --serve` as an operator runs it: a bad address is refused at
# start (exit 2); a server and one client that trains and serves; when the
# run ends the client fetches the final model (the server stays until it
# has, run.final_model_grace) and keeps answering with it (the SHA-256 of
# the last checkpoint) until SIGTERM, then exits 0. Restarted while the
# server is away, the client serves its kept model at once. Then the same run
# directory under `run.after_end: serve`, as a Kubernetes Deployment
# restarts it: the server stays up, a device that arrives late is told the
# run ended and serves the final model too, and SIGTERM ends the server with
# status 0 and a verified audit log.
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
"$FEDGE" pki issue-client --dir "$T/pki" --id edge-2 > /dev/null

PORT=$(free_port)
HTTP=$(free_port)
# No federated evaluation: the client's only way to the last round's model
# is fetching the final model when it is told the run ended.
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
if grep -q "still fetching the final model" "$T/server.err"; then
  fail "the server left before the final model was fetched: $(tail -3 "$T/server.err")"
fi

# The run is over and the client is serving the last round's model.
# Waits for `fedge client` with log $1 to say which model it serves.
await_serving() {
  local ok=0
  for _ in $(seq 1 300); do
    if grep -q "the run is over; serving model version" "$1"; then ok=1; break; fi
    kill -0 "$2" 2>/dev/null || fail "the client exited: $(tail -5 "$1")"
    sleep 0.1
  done
  [[ $ok == 1 ]] || fail "client log: $(tail -5 "$1")"
  grep -q "the run is over; serving model version 2 until stopped" "$1" \
    || fail "served version: $(grep 'run is over' "$1")"
}
await_serving "$T/client.log" "$CLIENT"

SHA=$(sha256sum "$T/run/checkpoints/round-000002.fedge" | cut -d' ' -f1)
# Asks the client serving on port $1 for a prediction; it must come from the
# final model.
predict_with_final_model() {
  local body
  body=$(python3 -c 'import json; print(json.dumps({"instances": [{"values": [0.01 * (i % 100) for i in range(784)]}]}))')
  curl -sf -X POST "http://127.0.0.1:$1/v1/predict" -d "$body" > "$T/predict.json" \
    || fail "POST /v1/predict on port $1 failed"
  python3 - "$T/predict.json" "$SHA" <<'PY' || fail "predict: $(cat "$T/predict.json")"
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["modelVersion"] == "2", answer["modelVersion"]
assert answer["modelSha256"] == sys.argv[2], answer["modelSha256"]
p = answer["predictions"][0]["probabilities"]
assert len(p) == 10 and abs(sum(p) - 1) < 1e-4, p
PY
}
predict_with_final_model "$HTTP"
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

# The device restarts while the server is away (it has exited): it serves
# the model it kept at once, without reaching the server.
"$FEDGE" client --config "$T/client.yaml" --serve "127.0.0.1:$HTTP" > "$T/client-restart.log" 2>&1 &
CLIENT=$!
PIDS+=("$CLIENT")
ok=0
for _ in $(seq 1 300); do
  if curl -sf "http://127.0.0.1:$HTTP/healthz" > /dev/null 2>&1; then ok=1; break; fi
  kill -0 "$CLIENT" 2>/dev/null || fail "the restarted client exited: $(tail -5 "$T/client-restart.log")"
  sleep 0.1
done
[[ $ok == 1 ]] || fail "the restarted client does not serve: $(tail -5 "$T/client-restart.log")"
grep -q "joined run" "$T/client-restart.log" && fail "the restarted client reached a server that has exited"
predict_with_final_model "$HTTP"
kill -TERM "$CLIENT"
wait "$CLIENT" || fail "the restarted client exited with $? after SIGTERM: $(tail -5 "$T/client-restart.log")"
PIDS=()

# The finished run's directory, restarted with run.after_end: serve: the
# server stays up; a device that was never part of the run joins, is told
# it ended and serves the final model.
sed -i 's/^run: {id: serve-test, dir: run, purpose: serve-test}$/run: {id: serve-test, dir: run, purpose: serve-test, after_end: serve}/' "$T/server.yaml"
# A short selection deadline: a resumed server waits that long for the
# run's own clients to return and be told it ended (edge-1 is gone).
sed -i 's/^deadlines: {selection: 2m, training: 2m}$/deadlines: {selection: 2s, training: 2m}/' "$T/server.yaml"
grep -q "after_end: serve" "$T/server.yaml" && grep -q "selection: 2s" "$T/server.yaml" \
  || fail "the config edit did not apply: $(cat "$T/server.yaml")"
sed -e 's/edge-1/edge-2/g' -e 's/^state_dir: state$/state_dir: state2/' "$T/client.yaml" > "$T/client2.yaml"
"$FEDGE" server --config "$T/server.yaml" --no-progress > "$T/server2.out" 2> "$T/server2.err" &
SERVER=$!
PIDS+=("$SERVER")
HTTP2=$(free_port)
"$FEDGE" client --config "$T/client2.yaml" --serve "127.0.0.1:$HTTP2" > "$T/client2.log" 2>&1 &
CLIENT=$!
PIDS+=("$CLIENT")
await_serving "$T/client2.log" "$CLIENT"
predict_with_final_model "$HTTP2"
ok=0
for _ in $(seq 1 300); do
  if grep -q "the run has ended; still answering" "$T/server2.err"; then ok=1; break; fi
  kill -0 "$SERVER" 2>/dev/null || fail "the server left although run.after_end is serve: $(tail -5 "$T/server2.err")"
  sleep 0.1
done
[[ $ok == 1 ]] || fail "server log: $(tail -5 "$T/server2.err")"
sleep 3  # longer than the 2-s quiet that ends a server under after_end: exit
kill -0 "$SERVER" 2>/dev/null || fail "the server left although run.after_end is serve: $(tail -5 "$T/server2.err")"
kill -TERM "$SERVER"
code=0
wait "$SERVER" || code=$?
[[ $code == 0 ]] || fail "server exited with $code after SIGTERM: $(tail -5 "$T/server2.err")"
kill -TERM "$CLIENT"
wait "$CLIENT" || fail "the late client exited with $? after SIGTERM: $(tail -5 "$T/client2.log")"
PIDS=()
"$FEDGE" audit verify --run "$T/run" --key "$T/pki/audit.pub" > "$T/verify" \
  || fail "audit verify: $(cat "$T/verify")"
echo "PASS"
