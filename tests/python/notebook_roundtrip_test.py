#!/usr/bin/python3
"""Export in Python, federate in fedge, load the result in Python.

The end-to-end check of docs/data-scientists.md: a small CNN with batch norm
is defined in PyTorch and saved with torch.jit.script; `fedge sim` federates
it for two rounds over four virtual clients with secure aggregation (the
deployment path: the real aggregator, clients masking their updates); the
aggregator writes every committed global model back as TorchScript
(RUN/server/models/round-NNNNNN.pt). PyTorch loads the round-2 file and
predicts 16 Fashion-MNIST test images; `fedge serve` serves the round-2
checkpoint (RUN/server/checkpoints) with the original file as the
architecture, and its probabilities for the same images must equal
PyTorch's within 1e-5, with the same labels.

  notebook_roundtrip_test.py PATH_TO_FEDGE

Needs PyTorch for this interpreter (Debian: apt-get install python3-torch,
which scripts/install-deps installs); run it with /usr/bin/python3. Reads
Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian's
fashion-mnist package), as the simulation does.
"""

import collections
import csv
import gzip
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

try:
    import torch
    from torch import nn
except ImportError as error:
    sys.exit(
        f"FAIL: {sys.executable} cannot import torch ({error}).\n"
        "This test needs Debian's PyTorch: run `apt-get install -y "
        "python3-torch` (or scripts/install-deps) and run the test with "
        "/usr/bin/python3, not another python3 on the PATH.")

FEDGE = None
DATA_DIR = "/usr/share/datasets/fashion-mnist"
INPUT_SHAPE = (1, 28, 28)
NUM_CLASSES = 10
ROUNDS = 2
NUM_IMAGES = 16
TOLERANCE = 1e-5
SIM_TIMEOUT = 200     # seconds for the whole federation
SERVE_TIMEOUT = 60    # seconds for `fedge serve` to announce its port
TAIL_LINES = 40


class Net(nn.Module):
    """Conv → BatchNorm → ReLU → MaxPool → Linear (parameters and buffers)."""

    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 14 * 14, num_classes)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(x, 1))


SIM_CONFIG = """\
# Written by tests/python/notebook_roundtrip_test.py.
name: notebook-roundtrip
seed: 3
run_dir: run

server:
  model:
    kind: torchscript
    torchscript: model.pt        # relative to this file
    input_shape: [1, 28, 28]
    num_classes: 10
  rounds: {rounds}
  cohort:
    min_clients: 4
    fraction: 1.0
  training:
    local_epochs: 1
    batch_size: 16
    learning_rate: 0.05
    momentum: 0.9
    max_examples: 64
  secure_aggregation:
    enabled: true
  evaluation:
    central_every: 0

fleet:
  clients: 4
  threads: 2
  data:
    format: fashion_mnist
    dir: {data_dir}
    split: train
  partition:
    scheme: iid
"""


def tail(text, lines=TAIL_LINES):
    return "\n".join(text.splitlines()[-lines:])


def read_test_images(count):
    """The first `count` Fashion-MNIST test images as [count, 1, 28, 28]
    float32 in 0..1: IDX bytes divided by 255, as common/data/idx_reader.cc
    scales them."""
    path = os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x00000803 or (rows, cols) != (28, 28) or n < count:
            raise AssertionError(f"{path}: unexpected IDX header "
                                 f"{magic:#x} {n} {rows} {cols}")
        pixels = f.read(count * rows * cols)
    x = torch.tensor(list(pixels), dtype=torch.float32)
    # The same division as fedge: a byte v becomes float(v) / 255.0f.
    x = x / torch.tensor(255.0, dtype=torch.float32)
    return x.reshape(count, *INPUT_SHAPE)


class StderrReader:
    """Collects a process's stderr on a thread; finds a line by pattern."""

    def __init__(self, stream):
        self.lines = collections.deque(maxlen=2000)
        self.cond = threading.Condition()
        self.done = False
        self.thread = threading.Thread(target=self._run, args=(stream,),
                                       daemon=True)
        self.thread.start()

    def _run(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    match = regex.search(line)
                    if match:
                        return match
                remaining = deadline - time.monotonic()
                if self.done or remaining <= 0:
                    return None
                self.cond.wait(remaining)

    def text(self):
        with self.cond:
            return "\n".join(self.lines)


class NotebookRoundTripTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="fedge_notebook_")
        self.addCleanup(self.dir.cleanup)

    def path(self, *parts):
        return os.path.join(self.dir.name, *parts)

    def run_sim(self, config_path):
        start = time.monotonic()
        try:
            result = subprocess.run(
                [FEDGE, "sim", "--config", config_path, "--no-progress",
                 "--overwrite"],
                capture_output=True, text=True, timeout=SIM_TIMEOUT)
        except subprocess.TimeoutExpired as error:
            self.fail(f"fedge sim did not finish in {SIM_TIMEOUT} s; last "
                      f"stderr lines:\n"
                      f"{tail((error.stderr or b'').decode(errors='replace'))}")
        print(f"fedge sim: {time.monotonic() - start:.1f} s", file=sys.stderr)
        self.assertEqual(
            result.returncode, 0,
            f"fedge sim failed (exit {result.returncode}); last lines:\n"
            f"stdout:\n{tail(result.stdout)}\nstderr:\n{tail(result.stderr)}")

    def predict_with_serve(self, checkpoints, original, x):
        """Starts `fedge serve` on the checkpoints, POSTs x; returns the
        parsed JSON answer. Always stops the process."""
        process = subprocess.Popen(
            [FEDGE, "serve", "--model", checkpoints,
             "--kind", "torchscript", "--torchscript", original,
             "--input-shape", ",".join(str(d) for d in INPUT_SHAPE),
             "--num-classes", str(NUM_CLASSES),
             "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        reader = StderrReader(process.stderr)
        try:
            match = reader.wait_for(
                r"fedge serve: serving model version (\d+); "
                r"HTTP on port (\d+)", SERVE_TIMEOUT)
            if match is None:
                process.poll()
                self.fail(f"fedge serve did not announce its port within "
                          f"{SERVE_TIMEOUT} s (exit status "
                          f"{process.returncode}); last stderr lines:\n"
                          f"{tail(reader.text())}")
            announced_version, port = int(match.group(1)), int(match.group(2))
            self.assertEqual(announced_version, ROUNDS,
                             f"fedge serve announced version "
                             f"{announced_version}, not the last round")
            body = json.dumps({"instances": [
                {"values": [float(v) for v in row.flatten().tolist()]}
                for row in x]}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/predict", data=body,
                headers={"Content-Type": "application/json"}, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
                    answer = response.read().decode()
            except urllib.error.HTTPError as error:
                self.fail(f"POST /v1/predict: HTTP {error.code}: "
                          f"{error.read().decode(errors='replace')}\n"
                          f"fedge serve stderr:\n{tail(reader.text())}")
            except urllib.error.URLError as error:
                self.fail(f"POST /v1/predict failed: {error}\n"
                          f"fedge serve stderr:\n{tail(reader.text())}")
            self.assertEqual(status, 200, answer)
            try:
                return json.loads(answer)
            except json.JSONDecodeError as error:
                self.fail(f"/v1/predict answered no JSON ({error}): "
                          f"{answer[:500]}")
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            reader.thread.join(timeout=5)
            process.stderr.close()

    def check_rounds_completed(self, run_dir):
        """`fedge sim` exits 0 also when the run stopped early (the reason
        is in metrics.csv): every round must have completed."""
        path = os.path.join(run_dir, "metrics.csv")
        self.assertTrue(os.path.isfile(path), f"{path} is missing")
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        summary = "\n".join(
            f"  round {r['round']}: {r['status']} {r['reason']}"
            for r in rows)
        self.assertEqual(
            [(r["round"], r["status"]) for r in rows],
            [(str(n), "completed") for n in range(1, ROUNDS + 1)],
            f"not every round completed (metrics.csv):\n{summary}")

    def check_written_back(self, server_dir, original):
        """Steps 3 and 4: PyTorch's and fedge serve's predictions with the
        last round's model must agree."""
        before = {k: v.clone()
                  for k, v in torch.jit.load(original).state_dict().items()}
        # 3. Load the written-back global model in PyTorch and predict.
        models_dir = os.path.join(server_dir, "models")
        written = os.path.join(models_dir, f"round-{ROUNDS:06d}.pt")
        listing = (sorted(os.listdir(models_dir))
                   if os.path.isdir(models_dir) else "(no models/ directory)")
        self.assertTrue(os.path.isfile(written),
                        f"{written} is missing; models/ holds {listing}")
        self.assertTrue(
            os.path.isfile(os.path.join(models_dir, "round-000000.pt")),
            f"the initial model was not written back; models/ holds "
            f"{listing}")
        global_model = torch.jit.load(written)
        global_model.eval()
        after = global_model.state_dict()

        self.assertEqual(list(after), list(before))
        changed = [k for k in before if not torch.equal(before[k], after[k])]
        self.assertTrue(
            any(k.endswith("weight") for k in changed),
            f"round {ROUNDS}'s model has the input file's weights; changed: "
            f"{changed}")
        self.assertFalse(
            torch.equal(before["bn.running_mean"], after["bn.running_mean"]),
            "bn.running_mean was not federated: it is the input file's")
        self.assertEqual(after["bn.num_batches_tracked"].dtype, torch.int64)

        x = read_test_images(NUM_IMAGES)
        with torch.no_grad():
            python_probs = torch.softmax(global_model(x), dim=1)
        python_labels = python_probs.argmax(dim=1).tolist()

        # 4. Serve the checkpoint at the edge and compare.
        answer = self.predict_with_serve(
            os.path.join(server_dir, "checkpoints"), original, x)
        self.assertEqual(answer.get("modelVersion"), str(ROUNDS),
                         f"served model version: {answer.get('modelVersion')}")
        self.assertRegex(answer.get("modelSha256", ""), r"^[0-9a-f]{64}$")
        predictions = answer.get("predictions")
        self.assertIsInstance(predictions, list, answer)
        self.assertEqual(len(predictions), NUM_IMAGES)
        worst = 0.0
        for i, prediction in enumerate(predictions):
            served = prediction.get("probabilities")
            self.assertIsInstance(served, list, f"image {i}: {prediction}")
            self.assertEqual(len(served), NUM_CLASSES, f"image {i}")
            for c in range(NUM_CLASSES):
                diff = abs(served[c] - python_probs[i, c].item())
                worst = max(worst, diff)
                self.assertLessEqual(
                    diff, TOLERANCE,
                    f"image {i}, class {c}: fedge serve says {served[c]}, "
                    f"PyTorch {python_probs[i, c].item()} (diff {diff})")
            # proto3 JSON leaves out a label of 0 (the default value).
            self.assertEqual(prediction.get("label", 0), python_labels[i],
                             f"image {i}: labels differ")
        print(f"max |fedge serve - PyTorch| probability difference: "
              f"{worst:.3g}; labels {python_labels}", file=sys.stderr)

        # Not trivially equal: the input model predicts something else.
        with torch.no_grad():
            untrained = torch.softmax(torch.jit.load(original).eval()(x), 1)
        self.assertGreater((untrained - python_probs).abs().max().item(), 1e-3,
                           "federated training did not change the predictions")

    def test_export_federate_load_serve(self):
        # 1. The notebook: define, script and save the model.
        torch.manual_seed(0)
        scripted = torch.jit.script(Net())
        original = self.path("model.pt")
        scripted.save(original)

        # 2. Federate it: 4 virtual clients, 2 rounds, secure aggregation.
        config_path = self.path("sim.yaml")
        with open(config_path, "w") as f:
            f.write(SIM_CONFIG.format(rounds=ROUNDS, data_dir=DATA_DIR))
        self.run_sim(config_path)
        self.check_rounds_completed(self.path("run"))

        # 3 and 4.
        self.check_written_back(self.path("run", "server"), original)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: notebook_roundtrip_test.py PATH_TO_FEDGE")
    FEDGE = os.path.abspath(sys.argv.pop(1))
    if not os.access(FEDGE, os.X_OK):
        sys.exit(f"FAIL: {FEDGE} is not an executable")
    unittest.main(verbosity=2)
