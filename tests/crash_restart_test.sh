#!/usr/bin/env bash
# Crash and restart (issue 7): a federation with secure aggregation and
# distributed differential privacy over mutual TLS whose server is killed
# with SIGKILL at chosen stages of its rounds and started again on the same
# port and run directory, again and again, the last time just after it commits the run's last round (the next
# server has no round left and must still tell the clients the run
# finished); one client is killed mid-round too and started again. The clients
# start before the server (it is down at their start) and must reconnect by
# themselves. At the end every round is committed exactly once, each
# checkpoint matches its recorded SHA-256, the audit log verifies (with one
# PrivacySpent entry per round) and every client exited 0.
#
#   crash_restart_test.sh PATH_TO_FEDGE
#
# FEDGE_CRASH_SEED=N   replay a run (the seed is printed at the start)
# FEDGE_CRASH_RUNS=N   server kills in total (default 8); every 8 kills use a
#                      fresh federation (run directory, clients)
# FEDGE_CRASH_KEEP=1   keep the work directory (it is kept on failure)
# FEDGE_CRASH_CUT_LOG=1  also simulate a kill between the store's commit and
#                      the audit entry (server/audit_recovery.h repairs it)
set -euo pipefail
FEDGE=$(readlink -f "$1")
KILLS=${FEDGE_CRASH_RUNS:-8}
SEED=${FEDGE_CRASH_SEED:-$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 ))}
KILLS_PER_FEDERATION=8
ROUNDS=4
CLIENTS=4
T=$(mktemp -d /tmp/fedge_crash_XXXXXX)
RANDOM=$SEED
echo "crash test: seed $SEED (replay with FEDGE_CRASH_SEED=$SEED), $KILLS server kills, work directory $T"

PIDS=()
SERVER=""
CLIENT_PIDS=()
OK=0
cleanup() {
  [[ -n "$SERVER" ]] && kill -9 "$SERVER" 2> /dev/null
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  # A client that has not ended 5 s after SIGTERM is killed: none may
  # outlive the test.
  local deadline=$(( $(date +%s) + 5 ))
  for pid in "${PIDS[@]}"; do
    while kill -0 "$pid" 2> /dev/null && (( $(date +%s) < deadline )); do
      sleep 0.1
    done
    kill -9 "$pid" 2> /dev/null || true
  done
  wait 2> /dev/null || true
  if [[ $OK == 1 && "${FEDGE_CRASH_KEEP:-0}" != 1 ]]; then
    rm -rf "$T"
  else
    echo "work directory kept: $T (seed $SEED)" >&2
  fi
}
trap cleanup EXIT
fail() {
  echo "FAIL (seed $SEED): $*" >&2
  for f in "${FED:-$T}"/server-*.err; do
    [[ -f "$f" ]] && { echo "--- $f (tail)" >&2; tail -5 "$f" >&2; }
  done
  exit 1
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rand_between() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }
msleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
count() {
  local c
  c=$(grep -c -F -- "$2" "$1" 2> /dev/null || true)
  echo "${c:-0}"
}

# Waits until FILE holds at least N lines with PATTERN (a fixed string);
# returns 1 after TIMEOUT seconds or once the server has exited. `tail -f`
# wakes on each write, so the wait ends within milliseconds of the line.
wait_for() {
  local file=$1 pattern=$2 n=$3 timeout=$4
  if (( $(count "$file" "$pattern") < n )); then
    # Counted into a pipe, not written to /dev/null: GNU grep (3.8) writing
    # to /dev/null ignores -m above 1 and reads on to the end of the input,
    # which made every wait for a second line last until the server exited.
    local seen
    seen=$(grep -c -m "$n" -F -- "$pattern" \
      < <(timeout "$timeout" tail -n +1 --pid="$SERVER" -f "$file" 2> /dev/null)) || true
  fi
  (( $(count "$file" "$pattern") >= n ))
}

# What the server was doing when it was killed, from its log and run
# directory: the stage of the newest round it logged.
stage_hit() {
  local log=$1 run=$2
  if compgen -G "$run/checkpoints/*.tmp-*" > /dev/null ||
     compgen -G "$run/models/*.tmp-*" > /dev/null; then
    echo "checkpoint write"; return
  fi
  local r
  r=$(grep -oE 'round [0-9]+(:| committed)' "$log" | tail -1 | grep -oE '[0-9]+')
  if [[ -z "$r" ]]; then echo "joins"; return; fi
  if grep -q "round $r committed" "$log"; then
    echo "evaluation and signing (after the commit)"; return
  fi
  local cohort accepted
  cohort=$(grep -o "round $r: sent the task to [0-9]*" "$log" | awk '{print $NF}')
  if [[ -z "$cohort" ]]; then echo "selection"; return; fi
  accepted=$(count "$log" "round $r: accepted masked input")
  if (( accepted == 0 )); then
    if [[ ${KEYS_WINDOW:-0} == 1 ]]; then echo "secure aggregation key exchange"
    else echo "training"; fi
    return
  fi
  if (( accepted < cohort )); then echo "uploads"; return; fi
  echo "unmasking and aggregation"
}

# A kill in the microseconds between the store's commit of a round and the
# audit log's entry for it cannot be timed from outside; its result can be
# made: after a kill that came after a commit, the log is cut back to just
# before that round's RoundCommitted entry (found by the model's SHA-256,
# which only that entry holds so far), as if the server had died right
# after the store's transaction. The next server must record the missing
# entry itself (it logs "recorded now") for the log to verify. Prints the
# round, or nothing if the commit was already covered by a signed
# checkpoint (then the cut would be tampering, not a crash).
cut_log_before_commit() {
  python3 - "$FED/run" <<'PY'
import sqlite3, struct, sys
run = sys.argv[1]
db = sqlite3.connect(f"file:{run}/state.db?mode=ro", uri=True)
version, round_, sha = db.execute(
    "SELECT version, round, sha256 FROM models ORDER BY version DESC LIMIT 1").fetchone()
def frames(path):
    data = open(path, "rb").read()
    assert data[:8] == b"FEDGELG1", path
    pos, out = 8, []
    while pos + 8 <= len(data):
        n = struct.unpack("<I", data[pos:pos + 4])[0]
        if pos + 8 + n > len(data):
            break
        out.append((pos, data[pos + 8:pos + 8 + n]))
        pos += 8 + n
    return out
notes = frames(f"{run}/audit/checkpoints.log")
signed = int(notes[-1][1].split(b"\n")[1]) if notes else 0
records = frames(f"{run}/audit/records.log")
digest = bytes.fromhex(sha)
hits = [i for i, (_, payload) in enumerate(records) if digest in payload]
if round_ == 0 or not hits or hits[0] < signed:
    sys.exit(0)
with open(f"{run}/audit/records.log", "r+b") as f:
    f.truncate(records[hits[0]][0])
print(round_)
PY
}

# Rounds the store has committed (0 before the first server ran).
committed_rounds() {
  python3 - "$FED/run/state.db" <<'PY'
import os, sqlite3, sys
try:
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    print(db.execute("SELECT COUNT(*) FROM rounds WHERE status = 'completed'").fetchone()[0])
except sqlite3.Error:
    print(0)  # no store yet
PY
}

# With FEDGE_CRASH_CUT_LOG=1, once a federation: after a kill that came
# after a commit, cut the log as if the kill had come before its entry.
maybe_cut_log() {
  [[ "${FEDGE_CRASH_CUT_LOG:-0}" == 1 && -z "$CUT_ROUND" ]] || return 0
  CUT_ROUND=$(cut_log_before_commit)
  if [[ -n "$CUT_ROUND" ]]; then
    echo "  the audit log cut back to before round $CUT_ROUND's commit entry (a kill right after the store's commit)"
  fi
}

start_server() {
  SERVER_N=$(( SERVER_N + 1 ))
  SERVER_LOG="$FED/server-$SERVER_N.err"
  "$FEDGE" server --config "$FED/server.yaml" --no-progress \
    > "$FED/server-$SERVER_N.out" 2> "$SERVER_LOG" &
  SERVER=$!
}

start_client() {
  local i=$1
  echo "=== client $i started $(date -u +%FT%T.%3NZ)" >> "$FED/client-$i.log"
  "$FEDGE" client --config "$FED/client-$i.yaml" >> "$FED/client-$i.log" 2>&1 &
  CLIENT_PIDS[$i]=$!
  PIDS+=("$!")
}

# Kills the server at the stage `plan` names (with a random delay inside it);
# prints what was hit. Returns 1 if the server finished the run first.
kill_server_at() {
  local plan=$1 log=$SERVER_LOG
  KEYS_WINDOW=0
  case $plan in
    joins)
      wait_for "$log" "serving on port" 1 60 || return 1
      msleep "$(rand_between 0 300)" ;;
    keys)
      wait_for "$log" "sent the task to" 1 120 || return 1
      KEYS_WINDOW=1
      msleep "$(rand_between 0 60)" ;;
    training)
      wait_for "$log" "sent the task to" 1 120 || return 1
      msleep "$(rand_between 250 900)" ;;
    uploads)
      wait_for "$log" "accepted masked input" 1 120 || return 1
      msleep "$(rand_between 0 40)" ;;
    unmask)
      wait_for "$log" "sent the task to" 1 120 || return 1
      local cohort
      cohort=$(grep -o "sent the task to [0-9]*" "$log" | head -1 | awk '{print $NF}')
      wait_for "$log" "accepted masked input" "$cohort" 120 || return 1
      msleep "$(rand_between 0 20)" ;;
    evaluation)
      wait_for "$log" "committed: model version" 1 120 || return 1
      msleep "$(rand_between 0 400)" ;;
    last_commit)
      # At once after the store commits the run's last round, before the
      # server can tell the clients the run finished: the next server has no
      # rounds left and must still tell them (server/returning_clients.h).
      wait_for "$log" "round $ROUNDS committed" 1 300 || return 1 ;;
  esac
  kill -0 "$SERVER" 2> /dev/null || return 1
  kill -9 "$SERVER"
  wait "$SERVER" 2> /dev/null || true
  SERVER=""
  local hit="the end of the run (just after its last commit)"
  [[ $plan == last_commit ]] || hit=$(stage_hit "$log" "$FED/run")
  echo "  kill $KILL_N (plan $plan): server killed during $hit"
  HITS+=("$hit")
}

# Kills client `i` in the middle of uploading its masked input. The client
# logs when the server's request for its masked input arrives; the server is
# paused (SIGSTOP) right then, while the client trains, so that the client's upload (about
# 800 kB) stalls once gRPC's flow-control window and the socket buffers are
# full. Once the client has trained and its byte count stops growing, it is
# killed, and the server resumes and must discard the torn upload. The
# client is then started again. Returns 2 if the moment was missed (the
# caller tries again after the next server start).
kill_client_mid_upload() {
  local i=$1 log="$FED/client-$i.log" pid=${CLIENT_PIDS[$1]}
  local sent code=0
  sent=$(python3 - "$log" "$pid" "$SERVER" "$PORT" "$SERVER_LOG" "$ROUNDS" <<'PY'
import os, re, signal, subprocess, sys, time
log, pid, server, port, server_log, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
def read(path):
    with open(path, "rb") as f:
        return f.read()
def bytes_sent():
    # The client's connections to the server, as the kernel counts them.
    out = subprocess.run(["ss", "-tnHpi", "state", "established", f"( dport = :{port} )"],
                         capture_output=True, text=True).stdout
    total, mine = 0, False
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            mine = f"pid={pid}," in line
        elif mine:
            m = re.search(r"bytes_sent:(\d+)", line)
            total += int(m.group(1)) if m else 0
    return total
# The client logs when the server's request for its masked input arrives;
# it trains then, for about half a second, before uploading.
asked = re.compile(rb"round (\d+): secure aggregation keys shared; training")
seen = len(asked.findall(read(log)))
trained_before = read(log)
end = time.time() + 120
while len(found := asked.findall(read(log))) == seen:
    if time.time() > end or not os.path.exists(f"/proc/{pid}") \
            or not os.path.exists(f"/proc/{server}"):
        sys.exit(1)
    time.sleep(0.001)
r = int(found[seen])
if r == rounds:
    sys.exit(2)  # not in the last round: the restarted client must find a run
trained = f"round {r}: trained on".encode()
base = trained_before.count(trained)  # earlier tries at round r, if any
os.kill(server, signal.SIGSTOP)
try:
    start = bytes_sent()
    if read(log).count(trained) > base:
        sys.exit(2)  # it trained before the server stopped
    end = time.time() + 60
    while read(log).count(trained) == base:
        if time.time() > end or not os.path.exists(f"/proc/{pid}"):
            sys.exit(1)
        time.sleep(0.005)
    # Masking and the upload follow the training: wait until the bytes stall.
    last, stable_since = bytes_sent(), time.time()
    while time.time() - stable_since < 0.3:
        time.sleep(0.02)
        now = bytes_sent()
        if now != last:
            last, stable_since = now, time.time()
    sent = last - start
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.05)
finally:
    os.kill(server, signal.SIGCONT)
print(sent)
PY
  ) || code=$?
  (( code != 0 )) && return "$code"
  wait "$pid" 2> /dev/null || true
  local r
  r=$(grep -o 'round [0-9]*: trained on' "$log" | tail -1 | sed 's/round \([0-9]*\):.*/\1/')
  KILLED_CLIENT_ROUND=$r
  sleep 0.5
  if grep -q "round $r: accepted masked input from c$i" "$SERVER_LOG"; then
    echo "  client c$i killed in round $r after $sent bytes were on the wire: the rest of its upload was already in the socket buffers, and it was accepted"
    CLIENT_HITS+=("after-upload")
  else
    echo "  client c$i killed in round $r after sending $sent bytes of its upload: not accepted"
    CLIENT_HITS+=("mid-upload")
  fi
  start_client "$i"
}

check_federation() {
  local run="$FED/run"
  # The store: every round committed once, each model's file matches its
  # digest, participants and per-client counts agree, nothing left over.
  python3 - "$run" "$ROUNDS" "${KILLED_CLIENT:-}" "${KILLED_CLIENT_ROUND:-0}" <<'PY' || fail "store check"
import hashlib, json, os, sqlite3, sys
run, rounds, killed, killed_round = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
db = sqlite3.connect(f"file:{run}/state.db?mode=ro", uri=True)
def die(msg):
    print("store:", msg, file=sys.stderr); sys.exit(1)
rows = db.execute("SELECT round, status, reason, base_model_version, model_version FROM rounds ORDER BY round").fetchall()
numbers = [r[0] for r in rows]
if numbers != list(range(1, rounds + 1)):
    die(f"rounds recorded {numbers}, expected 1..{rounds}")
for r, status, reason, base, version in rows:
    if status != "completed":
        die(f"round {r} is {status}: {reason}")
    if (base, version) != (r - 1, r):
        die(f"round {r} went from model version {base} to {version}")
models = db.execute("SELECT version, round, path, sha256, size_bytes FROM models ORDER BY version").fetchall()
if [m[0] for m in models] != list(range(0, rounds + 1)):
    die(f"model versions {[m[0] for m in models]}")
for version, r, path, sha, size in models:
    data = open(os.path.join(run, path), "rb").read()
    if hashlib.sha256(data).hexdigest() != sha or len(data) != size:
        die(f"checkpoint {path} does not match its recorded SHA-256/size")
accepted = {}
for r, client, outcome in db.execute("SELECT round, client_id, outcome FROM round_participants"):
    if outcome == "accepted":
        accepted[client] = accepted.get(client, 0) + 1
    if killed and r == killed_round and client == killed and outcome not in ("dropped", "accepted"):
        die(f"killed client {killed} has outcome {outcome} in round {r}")
for client, done in db.execute("SELECT client_id, rounds_completed FROM clients"):
    if done != accepted.get(client, 0):
        die(f"{client}: rounds_completed {done} but {accepted.get(client, 0)} accepted updates")
for r in range(1, rounds + 1):
    n = db.execute("SELECT COUNT(*) FROM round_participants WHERE round = ? AND outcome = 'accepted'", (r,)).fetchone()[0]
    if n < 3:
        die(f"round {r} committed with {n} accepted updates")
# metrics.jsonl: whole lines, a round at most once. A round's line is
# written after its evaluation, so a server killed after each commit may
# leave none (and no file).
seen = set()
metrics = os.path.join(run, "metrics.jsonl")
for line in open(metrics) if os.path.exists(metrics) else []:
    m = json.loads(line)
    if m["status"] == "completed":
        if m["round"] in seen:
            die(f"metrics.jsonl reports round {m['round']} twice")
        seen.add(m["round"])
for d in ("checkpoints", "models", "strategy", "privacy", "privacy-spent"):
    p = os.path.join(run, d)
    if os.path.isdir(p):
        left = [f for f in os.listdir(p) if ".tmp-" in f]
        if left:
            die(f"half-written files left in {p}: {left}")
print(f"store: rounds 1..{rounds} committed once each, {len(models)} checkpoints match their SHA-256")
PY
  "$FEDGE" audit verify --run "$run" --key "$FED/pki/audit.pub" > "$FED/verify" 2>&1 \
    || fail "audit verify: $(cat "$FED/verify")"
  grep -q "integrity:    OK" "$FED/verify" || fail "verify: $(cat "$FED/verify")"
  grep -q "invariants:   OK" "$FED/verify" || fail "verify: $(cat "$FED/verify")"
  # Differential privacy: each committed round's spending is in the log once
  # (a restart recovers an entry the kill cut off), and epsilon only grows.
  "$FEDGE" audit report --run "$run" --key "$FED/pki/audit.pub" \
    --out "$FED/report.json" > /dev/null 2>&1 || fail "audit report"
  python3 - "$FED/report.json" "$ROUNDS" <<'PY' || fail "privacy check"
import json, sys
spent = json.load(open(sys.argv[1]))["privacy"]["spent"]
rounds = [s["round"] for s in spent]
want = list(range(1, int(sys.argv[2]) + 1))
if rounds != want:
    sys.exit(f"privacy spent entries for rounds {rounds}, want {want}")
eps = [s["epsilon"] for s in spent]
if any(b <= a for a, b in zip(eps, eps[1:])):
    sys.exit(f"epsilon does not grow round by round: {eps}")
print(f"privacy: one spent entry per round, epsilon {eps[0]:.3f} -> {eps[-1]:.3f}")
PY
}

# One federation: PKI, configs, clients first, then the kill loop, then a
# server that runs to the end.
run_federation() {
  local fed_n=$1 kills=$2
  FED="$T/fed-$fed_n"
  mkdir -p "$FED"
  SERVER_N=0
  CLIENT_PIDS=()
  KILLED_CLIENT=""
  KILLED_CLIENT_ROUND=0
  CUT_ROUND=""
  "$FEDGE" pki init --dir "$FED/pki" > /dev/null
  for i in $(seq 1 $CLIENTS); do
    "$FEDGE" pki issue-client --dir "$FED/pki" --id "c$i" > /dev/null
  done
  PORT=$(free_port)
  local port=$PORT
  # The clients reconnect within a second or two (reconnect.max 1s), so a
  # 30 s selection deadline never ends a round here; it also bounds how long
  # a server resumed with no rounds left waits for clients that were told
  # the run finished before the kill and are gone.
  cat > "$FED/server.yaml" <<YAML
run: {id: crash-test-$fed_n, dir: run, purpose: crash-test}
listen: 127.0.0.1:$port
metrics_listen: ""
tls: {ca: pki/ca.crt, cert: pki/server.crt, key: pki/server.key, crl: pki/crl.pem}
model: {kind: mlp}
rounds: $ROUNDS
cohort: {min_clients: 3, available_clients: $CLIENTS}
deadlines: {selection: 30s, training: 2m, secagg_stage: 1m, evaluation: 1m}
training: {batch_size: 32, learning_rate: 0.05, max_examples: 2000}
secure_aggregation: {enabled: true}
privacy: {mode: distributed, clip_norm: 1.0, noise_multiplier: 1.0, delta: 1.0e-5}
evaluation:
  central_data: {format: fashion_mnist, split: test}
YAML
  for i in $(seq 1 $CLIENTS); do
    cat > "$FED/client-$i.yaml" <<YAML
server: localhost:$port
tls: {ca: pki/ca.crt, cert: pki/clients/c$i.crt, key: pki/clients/c$i.key}
region: eu-west
consent: {purpose: crash-test, version: "1", given_at: 2026-01-01T00:00:00Z}
data:
  format: fashion_mnist
  split: test
  partition: {index: $((i - 1)), count: $CLIENTS, scheme: iid, seed: 1}
reconnect: {initial: 100ms, max: 1s, multiplier: 2.0, jitter: 0.3}
state_dir: state-$i
YAML
  done
  echo "federation $fed_n: $CLIENTS clients, $ROUNDS rounds, port $port, $kills server kills"
  # The clients first: the server is down when they start.
  for i in $(seq 1 $CLIENTS); do start_client "$i"; done
  msleep "$(rand_between 200 1500)"

  local plans=(joins keys training uploads unmask evaluation)
  local offset=$(( RANDOM % ${#plans[@]} ))
  local client_kill_at=$(( 1 + RANDOM % 3 ))
  local k finished=0
  local plan
  for (( k = 0; k < kills; k++ )); do
    KILL_N=$(( KILL_N + 1 ))
    plan=${plans[$(( (offset + k) % ${#plans[@]} ))]}
    (( $(committed_rounds) == ROUNDS - 1 )) && plan=last_commit
    start_server
    if [[ $k == "$client_kill_at" && -z "$KILLED_CLIENT" ]]; then
      local victim=$(( 1 + RANDOM % CLIENTS )) code=0
      kill_client_mid_upload "$victim" || code=$?
      (( code == 1 )) && { finished=1; break; }
      if (( code == 0 )); then
        KILLED_CLIENT="c$victim"
        # The round goes on without it; kill the server after the commit.
        kill_server_at evaluation || { finished=1; break; }
      else
        client_kill_at=$(( k + 1 ))
        kill_server_at "$plan" || { finished=1; break; }
      fi
    else
      kill_server_at "$plan" || { finished=1; break; }
    fi
    if [[ "${HITS[-1]}" == *commit* ]]; then
      maybe_cut_log
    fi
    # Down for a while, as after a real crash; the clients keep retrying.
    msleep "$(rand_between 0 1500)"
  done
  if (( finished )); then
    echo "  the run finished before kill $KILL_N"
    KILL_N=$(( KILL_N - 1 ))
  fi
  if [[ -z "$SERVER" ]]; then
    start_server
    # The kills ran out before the run's last round: kill after it too.
    if (( $(committed_rounds) < ROUNDS )); then
      KILL_N=$(( KILL_N + 1 ))
      if kill_server_at last_commit; then
        maybe_cut_log
        msleep "$(rand_between 0 1500)"
        start_server
      else
        KILL_N=$(( KILL_N - 1 ))
      fi
    fi
  fi
  # The last server runs the remaining rounds to the end.
  local end=$(( $(date +%s) + 300 ))
  while kill -0 "$SERVER" 2> /dev/null; do
    (( $(date +%s) < end )) || fail "the final server did not finish within 300 s"
    sleep 0.2
  done
  wait "$SERVER" || fail "the final server exited with $?: $(tail -3 "$SERVER_LOG")"
  SERVER=""
  # Every client is told the run finished and exits 0 by itself.
  end=$(( $(date +%s) + 60 ))
  for i in $(seq 1 $CLIENTS); do
    local pid=${CLIENT_PIDS[$i]}
    while kill -0 "$pid" 2> /dev/null; do
      (( $(date +%s) < end )) ||
        fail "client c$i still running 60 s after the run finished: $(tail -3 "$FED/client-$i.log")"
      sleep 0.2
    done
    wait "$pid" || fail "client c$i exited with $?: $(tail -3 "$FED/client-$i.log")"
  done
  PIDS=()
  local reconnects
  reconnects=$(cat "$FED"/client-*.log | grep -c "retrying in" || true)
  echo "  $SERVER_N server starts; the clients retried $reconnects times and all exited 0"
  if [[ -n "$CUT_ROUND" ]]; then
    grep -q "round $CUT_ROUND was completed in the store but the server stopped before the audit log recorded it; recorded now" \
      "$FED"/server-*.err || fail "no server recorded round $CUT_ROUND's missing commit entry"
  fi
  check_federation
}

START=$(date +%s)
KILL_N=0
HITS=()
CLIENT_HITS=()
FED_N=0
remaining=$KILLS
while (( remaining > 0 || FED_N == 0 )); do
  FED_N=$(( FED_N + 1 ))
  n=$(( remaining < KILLS_PER_FEDERATION ? remaining : KILLS_PER_FEDERATION ))
  before=$KILL_N
  run_federation "$FED_N" "$n"
  remaining=$(( remaining - n ))
done

echo "server kills by stage:"
if (( ${#HITS[@]} > 0 )); then
  printf '%s\n' "${HITS[@]}" | sort | uniq -c | sed 's/^/  /'
fi
if (( ${#CLIENT_HITS[@]} > 0 )); then
  echo "client kills: ${#CLIENT_HITS[@]} ($(printf '%s\n' "${CLIENT_HITS[@]}" | sort | uniq -c | xargs))"
else
  echo "client kills: 0 (every run finished before its client kill)"
fi
echo "$KILL_N server kills in $FED_N federations, $(( $(date +%s) - START )) s"
OK=1
echo "PASS"
