#!/usr/bin/env bash
# The `fedge` binary end to end, as an operator uses it: PKI, a config error,
# a server and three clients over mutual TLS, `fedge admin` against the
# running server, and the results on disk.
#   cli_end_to_end_test.sh PATH_TO_FEDGE
set -euo pipefail
FEDGE=$1
T=$(mktemp -d /tmp/fedge_cli_XXXXXX)
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

"$FEDGE" version | grep -q '^fedge ' || fail "fedge version"

# PKI.
"$FEDGE" pki init --dir "$T/pki" > /dev/null
for id in c1 c2 c3; do "$FEDGE" pki issue-client --dir "$T/pki" --id "$id" > /dev/null; done
[[ $(stat -c %a "$T/pki/clients/c1.key") == 600 ]] || fail "device key is not 0600"

PORT=$(free_port)
cat > "$T/server.yaml" <<YAML
run: {id: cli-test, dir: run, purpose: cli-test}
listen: 127.0.0.1:$PORT
metrics_listen: ""
tls: {ca: pki/ca.crt, cert: pki/server.crt, key: pki/server.key, crl: pki/crl.pem}
model: {kind: mlp}
rounds: 2
cohort: {min_clients: 3}
deadlines: {selection: 2m, training: 2m}
training: {batch_size: 32, learning_rate: 0.05, max_examples: 600}
evaluation:
  central_data: {format: fashion_mnist, split: test}
YAML
for i in 1 2 3; do
  cat > "$T/client-$i.yaml" <<YAML
server: localhost:$PORT
tls: {ca: pki/ca.crt, cert: pki/clients/c$i.crt, key: pki/clients/c$i.key}
region: eu-west
consent: {purpose: cli-test, version: "1", given_at: 2026-01-01T00:00:00Z}
data:
  format: fashion_mnist
  split: test
  partition: {index: $((i-1)), count: 3, scheme: iid, seed: 1}
reconnect: {initial: 100ms, max: 1s}
state_dir: state-$i
YAML
done

# A config error names file, line and key, and exits 2.
sed 's/rounds: 2/rounds: two/' "$T/server.yaml" > "$T/bad.yaml"
set +e
"$FEDGE" server --config "$T/bad.yaml" 2> "$T/bad.err"
code=$?
set -e
[[ $code == 2 ]] || fail "bad config exit code $code, expected 2"
grep -q "bad.yaml:6:[0-9]*: rounds: expected an integer, got 'two'" "$T/bad.err" \
  || fail "bad config message: $(cat "$T/bad.err")"

"$FEDGE" server --config "$T/server.yaml" --no-progress > "$T/server.out" 2> "$T/server.err" &
SERVER=$!
PIDS+=("$SERVER")
for i in 1 2; do
  "$FEDGE" client --config "$T/client-$i.yaml" > "$T/client-$i.log" 2>&1 &
  PIDS+=("$!")
done

# The server waits for a third client; meanwhile, operate it.
ok=0
for _ in $(seq 1 100); do
  if "$FEDGE" admin status --server "localhost:$PORT" --pki "$T/pki" > "$T/status" 2>&1 \
      && grep -q "clients:    2 connected" "$T/status"; then ok=1; break; fi
  sleep 0.1
done
[[ $ok == 1 ]] || fail "admin status: $(cat "$T/status")"
grep -q "run:        cli-test (running)" "$T/status" || fail "status: $(cat "$T/status")"
"$FEDGE" admin clients --server "localhost:$PORT" --pki "$T/pki" > "$T/clients"
grep -q "^c1 .*connected" "$T/clients" || fail "admin clients: $(cat "$T/clients")"
# A device certificate cannot use the Admin service.
mkdir -p "$T/fake-admin"
cp "$T/pki/ca.crt" "$T/fake-admin/"
cp "$T/pki/clients/c1.crt" "$T/fake-admin/admin.crt"
cp "$T/pki/clients/c1.key" "$T/fake-admin/admin.key"
set +e
"$FEDGE" admin status --server "localhost:$PORT" --pki "$T/fake-admin" > "$T/denied" 2>&1
code=$?
set -e
[[ $code == 1 ]] || fail "device cert on Admin: exit $code"
grep -q "accepts only admin certificates" "$T/denied" || fail "denied: $(cat "$T/denied")"

"$FEDGE" client --config "$T/client-3.yaml" > "$T/client-3.log" 2>&1 &
PIDS+=("$!")

wait "$SERVER" || fail "server exited with $?: $(tail -5 "$T/server.err")"
for pid in "${PIDS[@]:1}"; do wait "$pid" || fail "a client exited with $?"; done
PIDS=()

grep -q "accuracy on the evaluation set" "$T/server.out" || fail "no accuracy: $(cat "$T/server.out")"
[[ $(wc -l < "$T/run/metrics.jsonl") == 2 ]] || fail "metrics.jsonl"
grep -q '"round":2,"status":"completed"' "$T/run/metrics.jsonl" || fail "round 2 not completed"
[[ -f "$T/run/checkpoints/round-000002.fedge" ]] || fail "no checkpoint"
[[ -f "$T/state-1/global_model.fedge" ]] || fail "client kept no model"
grep -q "rounds trained" "$T/client-1.log" || fail "client log: $(tail -5 "$T/client-1.log")"

# The audit log: it verifies under the federation's key, the compliance
# report is written in each format, and a device's receipt checks against
# the log.
"$FEDGE" audit verify --run "$T/run" --key "$T/pki/audit.pub" > "$T/verify" \
  || fail "audit verify: $(cat "$T/verify")"
grep -q "integrity:    OK" "$T/verify" || fail "verify: $(cat "$T/verify")"
grep -q "invariants:   OK" "$T/verify" || fail "verify: $(cat "$T/verify")"
for format in html json md; do
  "$FEDGE" audit report --run "$T/run" --key "$T/pki/audit.pub" \
    --out "$T/report.$format" > /dev/null || fail "audit report --format $format"
done
grep -q '"format":"fedge-compliance-report/1"' "$T/report.json" || fail "report.json"
grep -q "<svg" "$T/report.html" || fail "report.html has no chart"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["totals"]["rounds_committed"] == 2, r["totals"]' \
  "$T/report.json" || fail "report.json totals"
RECEIPT="$T/state-1/receipts/round-000002.receipt"
[[ -f "$RECEIPT" ]] || fail "client 1 kept no receipt for round 2"
"$FEDGE" audit verify-receipt --receipt "$RECEIPT" --run "$T/run" \
  --key "$T/pki/audit.pub" > "$T/receipt" || fail "verify-receipt: $(cat "$T/receipt")"
# A receipt holder without the log: the operator proves that the latest
# checkpoint extends the receipt's, and the holder checks that alone.
"$FEDGE" audit prove --run "$T/run" --key "$T/pki/audit.pub" \
  --receipt "$T/state-1/receipts/round-000001.receipt" --out "$T/evidence" \
  > /dev/null || fail "audit prove"
"$FEDGE" audit verify-receipt --receipt "$T/state-1/receipts/round-000001.receipt" \
  --evidence "$T/evidence" --key "$T/pki/audit.pub" > "$T/evidence.out" \
  || fail "verify-receipt --evidence: $(cat "$T/evidence.out")"
grep -q "consistency proof verified" "$T/evidence.out" || fail "evidence: $(cat "$T/evidence.out")"
# A directory that is not a run directory is named as such.
code=0
"$FEDGE" audit verify --run "$T/pki" 2> "$T/notrun" || code=$?
[[ $code == 2 ]] || fail "audit verify of a non-run directory: exit $code"
grep -q "holds no audit log" "$T/notrun" || fail "non-run dir: $(cat "$T/notrun")"
# Without --key the verifier uses the copy beside the log, and says so.
"$FEDGE" audit verify --run "$T/run" > /dev/null 2> "$T/nokey" || fail "verify without --key"
grep -q "pass --key" "$T/nokey" || fail "no warning about the stored key: $(cat "$T/nokey")"

# One flipped byte in the middle of the log: verification fails and names
# the record; no report is written from it; the receipt no longer checks.
cp -r "$T/run" "$T/tampered"
LOG="$T/tampered/audit/records.log"
OFFSET=$(( $(stat -c %s "$LOG") / 2 ))
printf '\x5a' | dd of="$LOG" bs=1 seek="$OFFSET" conv=notrunc status=none
code=0
"$FEDGE" audit verify --run "$T/tampered" --key "$T/pki/audit.pub" > "$T/verify-bad" || code=$?
[[ $code == 1 ]] || fail "tampered log: exit $code: $(cat "$T/verify-bad")"
grep -q "FAILED" "$T/verify-bad" || fail "tampered: $(cat "$T/verify-bad")"
grep -Eq "record [0-9]+|entry [0-9]+" "$T/verify-bad" || fail "tampered: $(cat "$T/verify-bad")"
code=0
"$FEDGE" audit report --run "$T/tampered" --key "$T/pki/audit.pub" \
  --out "$T/bad.html" 2> /dev/null > /dev/null || code=$?
[[ $code == 1 && ! -f "$T/bad.html" ]] || fail "a report from a tampered log (exit $code)"
code=0
"$FEDGE" audit verify-receipt --receipt "$RECEIPT" --run "$T/tampered" \
  --key "$T/pki/audit.pub" > /dev/null || code=$?
[[ $code == 1 ]] || fail "receipt against the tampered log: exit $code"
echo "PASS"
