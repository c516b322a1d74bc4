#!/usr/bin/python3
"""Offline checks of the Kubernetes manifests in deploy/k8s/.

No cluster is needed: every document of deploy/k8s/*.yaml is loaded and
checked for what would make a workload fail only once deployed (an unknown
kind or key, an Indexed Job whose size disagrees with --shard, an undeclared
$(VAR), a mount of a volume that does not exist, a Secret or ConfigMap that
is neither defined nor documented, a PKI without the files the shard runner
opens, private keys with modes fedge refuses, a probe or Service port that
names no container port, a probe fedge cannot answer or one that would kill
a client waiting for its first model, a server that exits once its run
ended and so restarts in a loop), and the security rules every pod follows
(non-root, no privilege escalation, read-only root filesystem, resource
requests and limits).

The real `fedge` binary reads the configs the ConfigMaps hold: the
simulation's sim.yaml (`fedge sim --shard`), and, with a fresh PKI laid out
as the pods lay it out (the mount paths mapped to a temporary directory),
the aggregator's server.yaml starts a server that answers /healthz, and the
edge client's client.yaml with its container's arguments (--serve) joins it
and serves the model kept in its state directory; once `fedge admin stop`
ends the run both keep answering until SIGTERM, then exit 0. The site
aggregator's site.yaml, with a PKI of its own and a device certificate of
the aggregator's, starts a site that answers /healthz, joins the
aggregator's run as one client, and keeps answering after the root ended
the run. If kubectl is installed, it also decodes the workloads offline
(`kubectl set env --local`), which catches wrong types.

  k8s_manifest_test.py PATH_TO_FEDGE SOURCE_DIR
"""

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import yaml

FEDGE = None
SOURCE_DIR = None

# The kinds these manifests may use, by apiVersion.
KNOWN_KINDS = {
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("batch/v1", "Job"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("v1", "PersistentVolumeClaim"),
}

# Keys of the Kubernetes API objects the manifests use (a subset of the API,
# enough to catch a misspelt key, which Kubernetes would silently drop with
# --validate=false or refuse at apply time).
TOP_KEYS = {
    "ConfigMap": {"apiVersion", "kind", "metadata", "data", "binaryData",
                  "immutable"},
    "Secret": {"apiVersion", "kind", "metadata", "data", "stringData", "type",
               "immutable"},
    "Job": {"apiVersion", "kind", "metadata", "spec"},
    "Deployment": {"apiVersion", "kind", "metadata", "spec"},
    "DaemonSet": {"apiVersion", "kind", "metadata", "spec"},
    "Service": {"apiVersion", "kind", "metadata", "spec"},
    "PersistentVolumeClaim": {"apiVersion", "kind", "metadata", "spec"},
}
METADATA_KEYS = {"name", "namespace", "labels", "annotations"}
JOB_SPEC_KEYS = {
    "activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex",
    "completionMode", "completions", "managedBy", "manualSelector",
    "maxFailedIndexes", "parallelism", "podFailurePolicy",
    "podReplacementPolicy", "selector", "successPolicy", "suspend",
    "template", "ttlSecondsAfterFinished",
}
DEPLOYMENT_SPEC_KEYS = {
    "minReadySeconds", "paused", "progressDeadlineSeconds", "replicas",
    "revisionHistoryLimit", "selector", "strategy", "template",
}
DAEMONSET_SPEC_KEYS = {
    "minReadySeconds", "revisionHistoryLimit", "selector", "template",
    "updateStrategy",
}
WORKLOAD_SPEC_KEYS = {
    "Job": JOB_SPEC_KEYS,
    "Deployment": DEPLOYMENT_SPEC_KEYS,
    "DaemonSet": DAEMONSET_SPEC_KEYS,
}
TEMPLATE_KEYS = {"metadata", "spec"}
SERVICE_SPEC_KEYS = {
    "allocateLoadBalancerNodePorts", "clusterIP", "clusterIPs",
    "externalIPs", "externalName", "externalTrafficPolicy",
    "healthCheckNodePort", "internalTrafficPolicy", "ipFamilies",
    "ipFamilyPolicy", "loadBalancerClass", "loadBalancerSourceRanges",
    "ports", "publishNotReadyAddresses", "selector", "sessionAffinity",
    "sessionAffinityConfig", "trafficDistribution", "type",
}
SERVICE_PORT_KEYS = {"appProtocol", "name", "nodePort", "port", "protocol",
                     "targetPort"}
PVC_SPEC_KEYS = {"accessModes", "dataSource", "dataSourceRef", "resources",
                 "selector", "storageClassName", "volumeAttributesClassName",
                 "volumeMode", "volumeName"}
CONTAINER_PORT_KEYS = {"containerPort", "hostIP", "hostPort", "name",
                       "protocol"}
PROBE_KEYS = {"exec", "failureThreshold", "grpc", "httpGet",
              "initialDelaySeconds", "periodSeconds", "successThreshold",
              "tcpSocket", "terminationGracePeriodSeconds", "timeoutSeconds"}
PROBE_HANDLER_KEYS = {
    "httpGet": {"host", "httpHeaders", "path", "port", "scheme"},
    "tcpSocket": {"host", "port"},
    "grpc": {"port", "service"},
    "exec": {"command"},
}
POD_SPEC_KEYS = {
    "activeDeadlineSeconds", "affinity", "automountServiceAccountToken",
    "containers", "dnsPolicy", "enableServiceLinks", "hostname",
    "imagePullSecrets", "initContainers", "nodeSelector", "priorityClassName",
    "restartPolicy", "runtimeClassName", "schedulerName", "securityContext",
    "serviceAccountName", "subdomain", "terminationGracePeriodSeconds",
    "tolerations", "topologySpreadConstraints", "volumes",
}
POD_SECURITY_KEYS = {
    "appArmorProfile", "fsGroup", "fsGroupChangePolicy", "runAsGroup",
    "runAsNonRoot", "runAsUser", "seccompProfile", "seLinuxOptions",
    "supplementalGroups", "sysctls",
}
CONTAINER_KEYS = {
    "args", "command", "env", "envFrom", "image", "imagePullPolicy",
    "lifecycle", "livenessProbe", "name", "ports", "readinessProbe",
    "resources", "restartPolicy", "securityContext", "startupProbe", "stdin",
    "terminationMessagePath", "terminationMessagePolicy", "tty",
    "volumeMounts", "workingDir",
}
CONTAINER_SECURITY_KEYS = {
    "allowPrivilegeEscalation", "appArmorProfile", "capabilities",
    "privileged", "procMount", "readOnlyRootFilesystem", "runAsGroup",
    "runAsNonRoot", "runAsUser", "seccompProfile", "seLinuxOptions",
}
ENV_KEYS = {"name", "value", "valueFrom"}
RESOURCES_KEYS = {"requests", "limits", "claims"}
MOUNT_KEYS = {"name", "mountPath", "readOnly", "recursiveReadOnly", "subPath",
              "subPathExpr", "mountPropagation"}
VOLUME_KEYS = {"name", "configMap", "secret", "emptyDir", "downwardAPI",
               "projected", "persistentVolumeClaim", "ephemeral", "hostPath"}
VOLUME_SOURCE_KEYS = {
    "configMap": {"name", "items", "defaultMode", "optional"},
    "secret": {"secretName", "items", "defaultMode", "optional"},
    "emptyDir": {"medium", "sizeLimit"},
    "persistentVolumeClaim": {"claimName", "readOnly"},
    "hostPath": {"path", "type"},
}
ITEM_KEYS = {"key", "path", "mode"}

# The Job controller's annotation (and, from Kubernetes 1.28, label) with a
# pod's completion index.
INDEX_FIELD_PATHS = {
    "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    "metadata.labels['batch.kubernetes.io/job-completion-index']",
}
VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def load_documents():
    """[(file, document)] for every document of deploy/k8s/*.yaml."""
    files = sorted(glob.glob(os.path.join(SOURCE_DIR, "deploy", "k8s",
                                          "*.yaml")))
    docs = []
    for path in files:
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.append((os.path.relpath(path, SOURCE_DIR), doc))
    return docs


def flag_value(args, flag):
    """The value after `flag` in an argument list, or None."""
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg[len(flag) + 1:]
    return None


def load_texts():
    """{file: text} of deploy/k8s/*.yaml, for what their comments document."""
    out = {}
    for path in sorted(glob.glob(os.path.join(SOURCE_DIR, "deploy", "k8s",
                                              "*.yaml"))):
        with open(path) as f:
            out[os.path.relpath(path, SOURCE_DIR)] = f.read()
    return out


def pod_spec_of(doc):
    return doc["spec"]["template"]["spec"]


def all_containers(pod_spec):
    return pod_spec.get("initContainers", []) + pod_spec.get("containers", [])


def shard_containers(job):
    """The containers of a Job that run `fedge sim --shard`."""
    out = []
    for c in job["spec"]["template"]["spec"].get("containers", []):
        argv = c.get("command", []) + c.get("args", [])
        if "sim" in argv and flag_value(argv, "--shard") is not None:
            out.append(c)
    return out


def quantity_cpu(value):
    """A CPU quantity ("2", "500m", 2) in cores."""
    text = str(value)
    if text.endswith("m"):
        return float(text[:-1]) / 1000
    return float(text)


def duration(text):
    """A config duration ("1m30s", "500ms", "2h") in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(text))
    if "".join(n + u for n, u in parts) != str(text):
        raise AssertionError(f"not a duration: {text!r}")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * scale[u] for n, u in parts)


# The files of a server's Secret: what `fedge pki init` makes, less ca.key.
SERVER_SECRET_KEYS = ("ca.crt", "server.crt", "server.key", "crl.pem",
                      "audit.key")
# A site's Secret for the root: the root's CA, the certificate the root's
# operator issued for the site, and its key.
UPSTREAM_SECRET_KEYS = ("ca.crt", "site.crt", "site.key")


# Containers without a port of their own, so without probes, and why.
# (`fedge client` without --serve would be one: it only dials the
# aggregator.)
PORTLESS_CONTAINERS = {}

# Containers whose port opens only some time after they start, perhaps much
# later, while they work as they should: a readiness probe, but no liveness
# or startup probe (it would kill them while they wait), and why.
LATE_LISTENING_CONTAINERS = {
    # `fedge client --serve` listens once it holds a model: a new node has
    # none until the first round it is selected for.
    "fedge-client": "serves only once it holds a model",
}


def subcommand(container):
    """The fedge subcommand a container runs ("server", "client", ...)."""
    argv = container.get("command", []) + container.get("args", [])
    if argv and argv[0] == "fedge":
        argv = argv[1:]
    if not container.get("image", "").startswith("fedge:") or not argv:
        return None
    return argv[0]


def container_port(container, port):
    """The number of the container's port `port` (a name or a number), or
    None if the container declares no such port."""
    for p in container.get("ports", []):
        if port == p.get("name") or port == p["containerPort"]:
            return p["containerPort"]
    return None


def run(argv):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"{argv}: {result.stdout}{result.stderr}")


def read(path):
    with open(path) as f:
        return f.read()


def log_file(path, opened):
    f = open(path, "w")
    opened.append(f)
    return f


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, seconds=60):
    """The body of GET url once it answers; None if proc exits first."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError:
            time.sleep(0.2)
    return None


def wait_log(path, text, proc, seconds=60):
    """True once the log at `path` holds `text`; False if proc exits first
    or `seconds` pass."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if text in read(path):
            return True
        if proc.poll() is not None:
            return text in read(path)
        time.sleep(0.2)
    return False


def post_json(url, body):
    """The decoded JSON answer of POST url with the JSON `body`."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read().decode())


def volume_dirs(container, root):
    """{mountPath: a fresh directory standing for it} for each of
    `container`'s volume mounts."""
    out = {}
    for m in container.get("volumeMounts", []):
        path = os.path.join(root, m["name"])
        os.makedirs(path, exist_ok=True)
        out[m["mountPath"].rstrip("/")] = path
    return out


def pod_path(dirs, path):
    """`path` of the pod, in the directories standing for its mounts."""
    for mount in sorted(dirs, key=len, reverse=True):
        if path == mount or path.startswith(mount + "/"):
            return dirs[mount] + path[len(mount):]
    raise AssertionError(f"{path} is on no volume")


def map_paths(text, dirs):
    """A config's text with every mount path of the pod replaced by the
    directory standing for it."""
    # One pass, longest mount first, so that no replacement is replaced.
    mounts = sorted(dirs, key=len, reverse=True)
    pattern = (r"(?<=[\s:\"'])(" + "|".join(re.escape(m) for m in mounts) +
               r")(?=[/\s\"']|$)")
    return re.sub(pattern, lambda m: dirs[m.group(1)], text, flags=re.M)


def place(dirs, pki, config):
    """Copies the PKI's files to where the server's config names them: the
    certificates as the Secret volume holds them, the keys mode 0400 as the
    init container leaves them."""
    for path in (config["tls"]["ca"], config["tls"]["cert"],
                 config["tls"]["crl"], config["tls"]["key"],
                 config["audit"]["signing_key"]):
        dst = pod_path(dirs, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.join(pki, os.path.basename(path)), dst)
        os.chmod(dst, 0o400 if path.endswith(".key") else 0o444)


class ManifestTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.docs = load_documents()
        cls.by_kind = {}
        for path, doc in cls.docs:
            cls.by_kind.setdefault(doc.get("kind"), []).append((path, doc))
        cls.jobs = [d for _, d in cls.by_kind.get("Job", [])]
        # Every pod-making object: (file, document).
        cls.workloads = [(p, d) for p, d in cls.docs
                         if d.get("kind") in WORKLOAD_SPEC_KEYS]
        cls.services = [(p, d) for p, d in cls.by_kind.get("Service", [])]
        cls.claims = {d["metadata"]["name"]: d for _, d in
                      cls.by_kind.get("PersistentVolumeClaim", [])}
        cls.texts = load_texts()
        cls.config_maps = {d["metadata"]["name"]: d
                           for _, d in cls.by_kind.get("ConfigMap", [])}
        cls.secrets = {d["metadata"]["name"]: d
                       for _, d in cls.by_kind.get("Secret", [])}
        readme = os.path.join(SOURCE_DIR, "deploy", "k8s", "README.md")
        cls.readme = ""
        if os.path.exists(readme):
            with open(readme) as f:
                cls.readme = f.read()
        # Where a Secret that is not committed may be documented: the README,
        # docs/deploy.md and the manifests' own comments.
        cls.secret_docs = cls.readme
        deploy_md = os.path.join(SOURCE_DIR, "docs", "deploy.md")
        if os.path.exists(deploy_md):
            with open(deploy_md) as f:
                cls.secret_docs += "\n" + f.read()
        cls.secret_docs += "\n" + "\n".join(cls.texts.values())

    def shard_job(self):
        jobs = [j for j in self.jobs if shard_containers(j)]
        self.assertEqual(len(jobs), 1,
                         "expected one Job that runs `fedge sim --shard`")
        return jobs[0]

    def shard_count(self, job):
        argv = shard_containers(job)[0]["args"]
        shard = flag_value(argv, "--shard")
        m = re.fullmatch(r"\$\(JOB_COMPLETION_INDEX\)/(\d+)", shard)
        self.assertIsNotNone(
            m, f"--shard is '{shard}', expected $(JOB_COMPLETION_INDEX)/N")
        return int(m.group(1))

    def volumes(self, job):
        return {v["name"]: v
                for v in job["spec"]["template"]["spec"].get("volumes", [])}

    def mount_of(self, container, path):
        """The volumeMount of `container` that holds `path`, and the path
        inside the volume."""
        best = None
        for m in container.get("volumeMounts", []):
            root = m["mountPath"].rstrip("/")
            if path == root or path.startswith(root + "/"):
                if best is None or len(root) > len(best[0]["mountPath"]):
                    best = (m, path[len(root):].lstrip("/"))
        self.assertIsNotNone(
            best, f"{path} is on no volume of container {container['name']}")
        return best

    # --- Every document ---

    def test_documents_exist(self):
        self.assertTrue(self.docs, "no documents in deploy/k8s/*.yaml")

    def test_kinds_and_api_versions_are_known(self):
        for path, doc in self.docs:
            key = (doc.get("apiVersion"), doc.get("kind"))
            self.assertIn(key, KNOWN_KINDS, f"{path}: unknown {key}")
            self.assertTrue(doc.get("metadata", {}).get("name"),
                            f"{path}: {key[1]} without metadata.name")

    def test_no_unknown_keys(self):
        def check(obj, allowed, where):
            self.assertIsInstance(obj, dict, f"{where}: expected a mapping")
            unknown = set(obj) - allowed
            self.assertFalse(unknown, f"{where}: unknown keys {sorted(unknown)}")

        for path, doc in self.docs:
            kind = doc["kind"]
            where = f"{path}: {kind} {doc['metadata'].get('name')}"
            if kind in TOP_KEYS:
                check(doc, TOP_KEYS[kind], where)
            check(doc["metadata"], METADATA_KEYS, where + " metadata")
            if kind == "Service":
                check(doc["spec"], SERVICE_SPEC_KEYS, where + " spec")
                for port in doc["spec"].get("ports", []):
                    check(port, SERVICE_PORT_KEYS, where + " port")
            if kind == "PersistentVolumeClaim":
                check(doc["spec"], PVC_SPEC_KEYS, where + " spec")
            if kind not in WORKLOAD_SPEC_KEYS:
                continue
            check(doc["spec"], WORKLOAD_SPEC_KEYS[kind], where + " spec")
            check(doc["spec"]["template"], TEMPLATE_KEYS, where + " template")
            check(doc["spec"]["template"].get("metadata", {}), METADATA_KEYS,
                  where + " template metadata")
            pod = doc["spec"]["template"]["spec"]
            check(pod, POD_SPEC_KEYS, where + " pod spec")
            check(pod.get("securityContext", {}), POD_SECURITY_KEYS,
                  where + " pod securityContext")
            for c in all_containers(pod):
                cw = f"{where} container {c.get('name')}"
                check(c, CONTAINER_KEYS, cw)
                check(c.get("securityContext", {}), CONTAINER_SECURITY_KEYS,
                      cw + " securityContext")
                check(c.get("resources", {}), RESOURCES_KEYS, cw + " resources")
                for e in c.get("env", []):
                    check(e, ENV_KEYS, cw + " env")
                for m in c.get("volumeMounts", []):
                    check(m, MOUNT_KEYS, cw + " volumeMount")
                for port in c.get("ports", []):
                    check(port, CONTAINER_PORT_KEYS, cw + " port")
                for probe in ("startupProbe", "readinessProbe",
                              "livenessProbe"):
                    if probe not in c:
                        continue
                    check(c[probe], PROBE_KEYS, f"{cw} {probe}")
                    for handler, keys in PROBE_HANDLER_KEYS.items():
                        if handler in c[probe]:
                            check(c[probe][handler], keys,
                                  f"{cw} {probe} {handler}")
            for v in pod.get("volumes", []):
                vw = f"{where} volume {v.get('name')}"
                check(v, VOLUME_KEYS, vw)
                for source, keys in VOLUME_SOURCE_KEYS.items():
                    if source in v:
                        check(v[source] or {}, keys, f"{vw} {source}")
                        for item in (v[source] or {}).get("items", []):
                            check(item, ITEM_KEYS, f"{vw} item")

    # --- The Indexed Job ---

    def test_job_is_indexed_with_completions_parallelism_and_shards_equal(self):
        job = self.shard_job()
        spec = job["spec"]
        n = self.shard_count(job)
        self.assertEqual(spec.get("completionMode"), "Indexed")
        self.assertEqual(spec.get("completions"), n,
                         "completions must equal the N of --shard I/N")
        self.assertEqual(spec.get("parallelism"), n,
                         "parallelism must equal N: the server waits for the "
                         "whole fleet, so every shard must run at once")

    def test_variable_references_are_declared(self):
        # Kubernetes expands $(VAR) in command and args only from the
        # container's env; an undeclared reference stays literal.
        for _, doc in self.workloads:
            for c in all_containers(pod_spec_of(doc)):
                env = {e["name"]: e for e in c.get("env", [])}
                for arg in c.get("command", []) + c.get("args", []):
                    for name in VAR_REF.findall(arg):
                        self.assertIn(name, env, f"container {c['name']}: "
                                      f"$({name}) is not declared in env")
                index = env.get("JOB_COMPLETION_INDEX")
                if index is not None:
                    field = index.get("valueFrom", {}).get("fieldRef", {})
                    self.assertIn(field.get("fieldPath"), INDEX_FIELD_PATHS)

    def test_shard_arguments(self):
        job = self.shard_job()
        c = shard_containers(job)[0]
        argv = c["args"]
        for flag in ("--config", "--server", "--pki"):
            self.assertIsNotNone(flag_value(argv, flag), f"{flag} is missing")
        self.assertIn("--no-progress", argv)
        simulator_id = flag_value(argv, "--simulator-id")
        if simulator_id is not None:
            self.assertEqual(simulator_id, "shard-$(JOB_COMPLETION_INDEX)")

    def test_every_volume_mount_names_a_declared_volume(self):
        for _, doc in self.workloads:
            pod = pod_spec_of(doc)
            volumes = {v["name"] for v in pod.get("volumes", [])}
            for c in all_containers(pod):
                paths = [m["mountPath"] for m in c.get("volumeMounts", [])]
                self.assertEqual(len(paths), len(set(paths)),
                                 f"container {c['name']}: a path mounted twice")
                for m in c.get("volumeMounts", []):
                    self.assertIn(m["name"], volumes, f"container {c['name']} "
                                  f"mounts undeclared volume {m['name']}")

    def test_config_maps_and_secrets_are_defined_or_documented(self):
        for _, doc in self.workloads:
            for v in pod_spec_of(doc).get("volumes", []):
                if "persistentVolumeClaim" in v:
                    name = v["persistentVolumeClaim"]["claimName"]
                    self.assertIn(name, self.claims,
                                  f"PersistentVolumeClaim {name} is not "
                                  "defined")
                if "configMap" in v:
                    name = v["configMap"]["name"]
                    self.assertIn(name, self.config_maps,
                                  f"ConfigMap {name} is not defined")
                    data = self.config_maps[name].get("data", {})
                    for item in v["configMap"].get("items", []):
                        self.assertIn(item["key"], data,
                                      f"ConfigMap {name} has no {item['key']}")
                if "secret" in v:
                    name = v["secret"]["secretName"]
                    if name in self.secrets:
                        continue
                    # Not committed (it holds keys): the README, docs/deploy.md
                    # or the manifest must say how to make it, with every key
                    # the volume projects.
                    self.assertIn(f"kubectl create secret generic {name}",
                                  self.secret_docs,
                                  f"Secret {name} is neither defined in "
                                  "deploy/k8s/ nor documented")
                    for item in v["secret"].get("items", []):
                        # shard-3.key is documented as shard-I.key.
                        key = re.sub(r"^shard-\d+\.", "shard-I.", item["key"])
                        self.assertIn(f"`{key}`", self.secret_docs,
                                      f"the README does not list the key "
                                      f"{item['key']} of Secret {name}")

    def test_pod_runs_as_non_root_with_resources_and_restart_policy(self):
        job = self.shard_job()
        spec = job["spec"]
        pod = spec["template"]["spec"]
        self.assertIn(pod.get("restartPolicy"), ("Never", "OnFailure"))
        self.assertIsInstance(spec.get("backoffLimit"), int)
        if "podFailurePolicy" in spec:
            self.assertEqual(pod.get("restartPolicy"), "Never",
                             "podFailurePolicy needs restartPolicy: Never")
        self.assertIs(pod.get("securityContext", {}).get("runAsNonRoot"), True)
        self.assertNotEqual(pod["securityContext"].get("runAsUser"), 0)
        for c in all_containers(pod):
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    self.assertIn(resource, res.get(part, {}),
                                  f"container {c['name']}: no {part}.{resource}")
            self.assertIs(
                c.get("securityContext", {}).get("allowPrivilegeEscalation"),
                False, f"container {c['name']}")

    # --- The PKI the shard runner opens ---

    def test_pki_holds_the_files_the_shard_runner_opens(self):
        # simulations/shard_runner.cc: <pki>/ca.crt, <pki>/ca.key (the
        # MemoryIssuer) and <pki>/simulators/<id>.crt and .key, id shard-I.
        job = self.shard_job()
        n = self.shard_count(job)
        pod = job["spec"]["template"]["spec"]
        volumes = self.volumes(job)
        c = shard_containers(job)[0]
        mount, rel = self.mount_of(c, flag_value(c["args"], "--pki"))
        self.assertEqual(rel, "", "--pki must be the root of a volume")
        pki_volume = volumes[mount["name"]]
        needed = {"ca.crt", "ca.key"}
        for i in range(n):
            needed |= {f"simulators/shard-{i}.crt", f"simulators/shard-{i}.key"}

        if "secret" in pki_volume:
            # Mounted directly: Kubernetes owns the files by root, and with
            # fsGroup makes them group-readable, so fedge (non-root, refusing
            # keys readable by others) cannot use them.
            self.fail("--pki is a Secret volume: its key files are either "
                      "unreadable by a non-root user or group-readable; copy "
                      "them to an emptyDir with an init container")

        # An emptyDir filled by an init container from a Secret volume.
        self.assertIn("emptyDir", pki_volume)
        self.assertEqual(pki_volume["emptyDir"].get("medium"), "Memory",
                         "keys belong in memory, not on the node's disk")
        fillers = []
        for init in pod.get("initContainers", []):
            names = {m["name"]: m for m in init.get("volumeMounts", [])}
            if mount["name"] not in names:
                continue
            secrets = [volumes[m] for m in names if "secret" in volumes[m]]
            self.assertEqual(len(secrets), 1,
                             f"init container {init['name']} fills the PKI "
                             "volume from no Secret")
            fillers.append((init, names, secrets[0]))
        self.assertEqual(len(fillers), 1,
                         "exactly one init container must fill the PKI volume")
        init, names, secret_volume = fillers[0]
        self.assertTrue(names[secret_volume["name"]].get("readOnly"),
                        "mount the Secret read-only")
        self.assertTrue(mount.get("readOnly"), "mount the PKI read-only")

        items = secret_volume["secret"].get("items")
        self.assertIsNotNone(items, "list the Secret's items, so that a "
                             "missing key stops the pod before it runs")
        projected = {item["path"] for item in items}
        missing = needed - projected
        self.assertFalse(missing, f"the Secret volume lacks {sorted(missing)}")

        script = "\n".join(init.get("command", []) + init.get("args", []))
        secret_dir = names[secret_volume["name"]]["mountPath"].rstrip("/")
        pki_dir = names[mount["name"]]["mountPath"].rstrip("/")
        for path in ("ca.crt", "ca.key"):
            self.assertIn(f"{secret_dir}/{path}", script)
        self.assertIn(f"{secret_dir}/simulators/", script)
        self.assertIn("JOB_COMPLETION_INDEX", script)
        # Private keys end up 0600 or 0400: fedge refuses any other mode
        # (util::CheckPrivateFile).
        for key in (f"{pki_dir}/ca.key", f'"{pki_dir}/simulators/$id.key"'):
            self.assertRegex(script,
                             r"chmod 0?[46]00 [^\n]*" + re.escape(key),
                             f"{key} is not made 0600 or 0400")
        self.assertRegex(script, r"umask 0?77",
                         "copy under umask 077, so no key is ever readable "
                         "by others")
        env = {e["name"] for e in init.get("env", [])}
        self.assertIn("JOB_COMPLETION_INDEX", env)

    # --- The simulation config ---

    def sim_config(self, job):
        c = shard_containers(job)[0]
        path = flag_value(c["args"], "--config")
        mount, rel = self.mount_of(c, path)
        volume = self.volumes(job)[mount["name"]]
        self.assertIn("configMap", volume, "--config is not on a ConfigMap")
        key = rel
        for item in volume["configMap"].get("items", []):
            if item["path"] == rel:
                key = item["key"]
        data = self.config_maps[volume["configMap"]["name"]]["data"]
        self.assertIn(key, data)
        return data[key]

    def test_sim_config_fits_the_pod(self):
        job = self.shard_job()
        config = yaml.safe_load(self.sim_config(job))
        fleet = config["fleet"]
        self.assertNotEqual(fleet.get("availability", {}).get("mode"),
                            "diurnal", "a shard runs only mode 'always'")
        available = (config.get("server", {}).get("cohort", {})
                     .get("available_clients"))
        if available is not None:
            self.assertEqual(available, fleet["clients"],
                             "the server must wait for the whole fleet")
        # threads 0 means the node's cores, not the pod's CPU limit.
        limit = shard_containers(job)[0]["resources"]["limits"]["cpu"]
        self.assertIn("threads", fleet)
        self.assertGreaterEqual(fleet["threads"], 1)
        self.assertLessEqual(fleet["threads"], quantity_cpu(limit))

    def test_fedge_accepts_the_sim_config(self):
        # `fedge sim --shard` reads the config, then loads and partitions
        # the data, then loads the CA from --pki (shard_runner.cc, fleet.cc).
        # With a PKI directory that does not exist, an error about it proves
        # that everything before it (config, data, partition) was accepted.
        job = self.shard_job()
        n = self.shard_count(job)
        tmp = tempfile.mkdtemp(prefix="fedge_k8s_")
        try:
            config = os.path.join(tmp, "sim.yaml")
            with open(config, "w") as f:
                f.write(self.sim_config(job))
            pki = os.path.join(tmp, "no-pki")
            run = subprocess.run(
                [FEDGE, "sim", "--config", config, "--shard", f"0/{n}",
                 "--server", "127.0.0.1:1", "--pki", pki, "--no-progress"],
                capture_output=True, text=True, timeout=300)
            output = run.stdout + run.stderr
            self.assertNotIn(config + ":", output,
                             f"fedge refused the ConfigMap's sim.yaml:\n{output}")
            self.assertIn(f"no federation CA in {pki}", output,
                          f"expected the missing-PKI error:\n{output}")
            self.assertEqual(run.returncode, 2, output)
        finally:
            shutil.rmtree(tmp)

    # --- Every workload: security, resources, probes ---

    def test_every_pod_is_locked_down(self):
        for path, doc in self.workloads:
            name = f"{path}: {doc['kind']} {doc['metadata']['name']}"
            pod = pod_spec_of(doc)
            ctx = pod.get("securityContext", {})
            self.assertIs(ctx.get("runAsNonRoot"), True, name)
            self.assertNotIn(ctx.get("runAsUser"), (None, 0),
                             f"{name}: set a non-zero runAsUser")
            self.assertIs(pod.get("automountServiceAccountToken"), False,
                          f"{name}: fedge needs no API token")
            for key in ("hostNetwork", "hostPID", "hostIPC"):
                self.assertFalse(pod.get(key, False), f"{name}: {key}")
            for c in all_containers(pod):
                cw = f"{name} container {c['name']}"
                self.assertTrue(c.get("image"), f"{cw}: no image")
                sc = c.get("securityContext", {})
                self.assertIsNot(sc.get("privileged"), True, cw)
                self.assertIs(sc.get("allowPrivilegeEscalation"), False, cw)
                self.assertIs(sc.get("readOnlyRootFilesystem"), True, cw)
                self.assertNotEqual(sc.get("runAsUser"), 0, cw)
                self.assertIsNot(sc.get("runAsNonRoot"), False, cw)
                self.assertIn("ALL", sc.get("capabilities", {}).get("drop", []),
                              f"{cw}: drop all capabilities")
                for port in c.get("ports", []):
                    self.assertNotIn("hostPort", port, f"{cw}: hostPort")
                res = c.get("resources", {})
                for part in ("requests", "limits"):
                    for resource in ("cpu", "memory"):
                        self.assertIn(resource, res.get(part, {}),
                                      f"{cw}: no {part}.{resource}")
                self.assertLessEqual(quantity_cpu(res["requests"]["cpu"]),
                                     quantity_cpu(res["limits"]["cpu"]), cw)

    def test_long_running_pods_use_the_release_image_and_its_user(self):
        # deploy/Dockerfile: fedge:0.1.0, user fedge, uid 10001.
        for path, doc in self.workloads:
            if doc["kind"] == "Job":
                continue
            pod = pod_spec_of(doc)
            self.assertEqual(pod["securityContext"].get("runAsUser"), 10001,
                             path)
            for c in all_containers(pod):
                self.assertEqual(c["image"], "fedge:0.1.0",
                                 f"{path}: container {c['name']}")

    def test_secret_volumes_keep_keys_private(self):
        for path, doc in self.workloads:
            pod = pod_spec_of(doc)
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            for v in volumes.values():
                if "secret" not in v:
                    continue
                where = f"{path}: volume {v['name']}"
                mode = v["secret"].get("defaultMode")
                self.assertIsNotNone(mode, f"{where}: no defaultMode (the "
                                     "default, 0644, lets others read)")
                # Never readable by others, writable by the group or
                # executable. (With fsGroup the kubelet makes the files
                # 0440 anyway; keys are copied to 0600/0400 files.)
                self.assertEqual(mode & 0o137, 0, f"{where}: mode {mode:o}")
                if path != os.path.join("deploy", "k8s", "sim-shards.yaml"):
                    self.assertIn(mode, (0o400, 0o600),
                                  f"{where}: defaultMode {mode:o}, expected "
                                  "0400 or 0600")
            # A long-running container reads no private key from a Secret
            # volume (it would be group-readable): only certificates and
            # CRLs, listed item by item.
            for c in pod.get("containers", []):
                for m in c.get("volumeMounts", []):
                    v = volumes.get(m["name"], {})
                    if "secret" not in v:
                        continue
                    items = v["secret"].get("items")
                    self.assertIsNotNone(
                        items, f"{path}: container {c['name']} mounts all of "
                        f"Secret {v['secret']['secretName']}: list its items")
                    for item in items:
                        self.assertFalse(
                            item["path"].endswith(".key"),
                            f"{path}: container {c['name']} reads "
                            f"{item['path']} from a Secret volume")

    def test_secrets_in_the_repository_are_placeholders(self):
        for path, doc in self.by_kind.get("Secret", []):
            values = list((doc.get("stringData") or {}).values())
            self.assertNotIn("data", doc, f"{path}: base64 data committed")
            for value in values:
                self.assertNotIn("PRIVATE KEY", str(value),
                                 f"{path}: a real private key is committed")
                self.assertNotIn("-----BEGIN", str(value), path)
            labels = doc["metadata"].get("labels", {})
            self.assertEqual(labels.get("fedge.io/placeholder"), "true",
                             f"{path}: label the placeholder, so that "
                             "`kubectl apply -l` can leave it out")
            self.assertIn("-l 'fedge.io/placeholder!=true'",
                          self.texts[path],
                          f"{path}: say how to apply without the placeholder")

    def test_serving_containers_have_probes_on_their_ports(self):
        for path, doc in self.workloads:
            if doc["kind"] == "Job":
                continue
            for c in pod_spec_of(doc)["containers"]:
                cw = f"{path}: container {c['name']}"
                if not c.get("ports"):
                    # Nothing to probe: it must say so.
                    self.assertIn(c["name"], PORTLESS_CONTAINERS,
                                  f"{cw}: no ports and no probes")
                    continue
                if c["name"] in LATE_LISTENING_CONTAINERS:
                    self.assertIn("readinessProbe", c, cw)
                    for probe in ("startupProbe", "livenessProbe"):
                        self.assertFalse(
                            probe in c, f"{cw}: it "
                            f"{LATE_LISTENING_CONTAINERS[c['name']]}; a "
                            f"{probe} would restart it while it waits")
                else:
                    for probe in ("readinessProbe", "livenessProbe"):
                        self.assertIn(probe, c, cw)
                for probe in ("startupProbe", "readinessProbe",
                              "livenessProbe"):
                    if probe not in c:
                        continue
                    handler = next(k for k in PROBE_HANDLER_KEYS
                                   if k in c[probe])
                    if handler == "exec":
                        continue
                    port = c[probe][handler]["port"]
                    self.assertIsNotNone(container_port(c, port),
                                         f"{cw} {probe}: port {port} is not "
                                         "a port of the container")
                    if handler == "grpc":
                        self.assertIsInstance(port, int, f"{cw}: a grpc "
                                              "probe takes a port number")

    def test_no_grpc_probe_on_a_mutual_tls_port(self):
        # The kubelet's grpc probe speaks plaintext HTTP/2 with no client
        # certificate; `fedge server` speaks only mutual TLS on its gRPC port
        # (without --insecure-local-demo), so such a probe always fails.
        for path, doc in self.workloads:
            for c in pod_spec_of(doc).get("containers", []):
                if subcommand(c) != "server":
                    continue
                self.assertNotIn("--insecure-local-demo", c.get("args", []))
                for probe in ("startupProbe", "readinessProbe",
                              "livenessProbe"):
                    self.assertNotIn("grpc", c.get(probe, {}),
                                     f"{path}: {probe} of {c['name']}")

    def test_services_select_one_workload_and_its_ports(self):
        for path, svc in self.services:
            name = svc["metadata"]["name"]
            selector = svc["spec"].get("selector")
            self.assertTrue(selector, f"Service {name} selects nothing")
            matches = [d for _, d in self.workloads
                       if selector.items() <= d["spec"]["template"]
                       .get("metadata", {}).get("labels", {}).items()]
            self.assertEqual(len(matches), 1,
                             f"Service {name} must select the pods of one "
                             f"workload, selects {len(matches)}")
            workload = matches[0]
            containers = pod_spec_of(workload)["containers"]
            for port in svc["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                found = [c for c in containers
                         if container_port(c, target) is not None]
                self.assertTrue(found, f"Service {name} port "
                                f"{port.get('name')}: targetPort {target} is "
                                "no container port of "
                                f"{workload['metadata']['name']}")

    def test_selectors_match_their_templates(self):
        for path, doc in self.workloads:
            if doc["kind"] == "Job":
                continue
            match = doc["spec"]["selector"]["matchLabels"]
            labels = doc["spec"]["template"]["metadata"]["labels"]
            self.assertLessEqual(match.items(), labels.items(), path)

    def test_the_sim_shards_dial_the_aggregator_service(self):
        try:
            job = self.shard_job()
        except AssertionError:
            self.skipTest("no shard Job")
        server = flag_value(shard_containers(job)[0]["args"], "--server")
        host, port = server.rsplit(":", 1)
        services = {d["metadata"]["name"]: d for _, d in self.services}
        if host not in services:
            self.skipTest(f"Service {host} is not in deploy/k8s/")
        ports = [p["port"] for p in services[host]["spec"]["ports"]]
        self.assertIn(int(port), ports)

    # --- The aggregator and the site aggregator ---

    def server_workloads(self):
        """[(file, document, container, config)] of every workload that runs
        `fedge server`."""
        out = []
        for p, d in self.workloads:
            for c in pod_spec_of(d)["containers"]:
                if subcommand(c) == "server":
                    out.append((p, d, c, yaml.safe_load(self.config_of(d, c))))
        return out

    def aggregator(self):
        """The root: the `fedge server` workload whose config has no
        upstream:."""
        found = [(p, d, c) for p, d, c, config in self.server_workloads()
                 if "upstream" not in config]
        self.assertEqual(len(found), 1, "expected one `fedge server` workload "
                         "without upstream: (the aggregator)")
        return found[0]

    def site(self):
        """The site aggregator: the `fedge server` workload whose config has
        an upstream: section."""
        found = [(p, d, c) for p, d, c, config in self.server_workloads()
                 if "upstream" in config]
        self.assertEqual(len(found), 1, "expected one `fedge server` workload "
                         "with upstream: (the site aggregator)")
        return found[0]

    def config_of(self, doc, container, flag="--config"):
        """The text of the config `container` reads."""
        path = flag_value(container["args"], flag)
        mount, rel = self.mount_of(container, path)
        volume = {v["name"]: v for v in pod_spec_of(doc)["volumes"]}[
            mount["name"]]
        self.assertIn("configMap", volume, f"{path} is not on a ConfigMap")
        key = rel
        for item in volume["configMap"].get("items", []):
            if item["path"] == rel:
                key = item["key"]
        data = self.config_maps[volume["configMap"]["name"]]["data"]
        self.assertIn(key, data)
        return data[key]

    def volume_at(self, doc, container, path):
        mount, rel = self.mount_of(container, path)
        volumes = {v["name"]: v for v in pod_spec_of(doc)["volumes"]}
        return mount, rel, volumes[mount["name"]]

    def service_of(self, doc):
        """The one Service that selects `doc`'s pods."""
        found = [d for _, d in self.services
                 if d["spec"]["selector"].items() <=
                 doc["spec"]["template"]["metadata"]["labels"].items()]
        self.assertEqual(len(found), 1,
                         f"no one Service for {doc['metadata']['name']}")
        return found[0]

    def secret_commands(self, name):
        """Every documented `kubectl create secret generic NAME` command, its
        continuation lines joined (comment markers removed)."""
        lines = [re.sub(r"^\s*#?\s*", "", line)
                 for line in self.secret_docs.splitlines()]
        commands = []
        for i, line in enumerate(lines):
            if f"kubectl create secret generic {name}" not in line:
                continue
            command = [line]
            while (command[-1].rstrip().endswith("\\") and
                   i + len(command) < len(lines)):
                command.append(lines[i + len(command)])
            commands.append(" ".join(command))
        return commands

    def assert_secret_documented(self, name, keys):
        """The Secret `name` is a placeholder with exactly `keys`, and a
        documented kubectl command creates it with each of them."""
        self.assertIn(name, self.secrets, f"no placeholder of Secret {name}")
        secret = self.secrets[name]
        self.assertEqual(secret.get("type", "Opaque"), "Opaque")
        self.assertEqual(set((secret.get("stringData") or {}).keys()),
                         set(keys), f"Secret {name}")
        commands = self.secret_commands(name)
        self.assertTrue(commands, f"`kubectl create secret generic {name}` "
                        "is not documented")

        def missing(command):
            # --from-file=DIR/KEY or --from-file=KEY=PATH
            return [key for key in keys if not re.search(
                r"--from-file=(\S*/" + re.escape(key) + r"(\s|$)|" +
                re.escape(key) + r"=)", command)]

        # One command creates it whole (others may abbreviate, as in an
        # update with --from-file=...).
        self.assertTrue(any(not missing(c) for c in commands),
                        f"no documented kubectl command for {name} has every "
                        f"key: {[missing(c) for c in commands]}")

    def assert_keys_from_memory(self, doc, c, paths):
        """Each private key in `paths` is on a Memory emptyDir that one init
        container fills under umask 077, leaving it 0400 or 0600. Returns
        (init container, its script)."""
        pod = pod_spec_of(doc)
        keys_volume = None
        for path in paths:
            mount, rel, volume = self.volume_at(doc, c, path)
            self.assertEqual(volume.get("emptyDir", {}).get("medium"),
                             "Memory", f"{path}: keys belong in memory")
            self.assertTrue(keys_volume in (None, mount["name"]),
                            "the keys are on two volumes")
            keys_volume = mount["name"]
        fillers = [i for i in pod.get("initContainers", [])
                   if keys_volume in {m["name"] for m in i["volumeMounts"]}]
        self.assertEqual(len(fillers), 1, "one init container fills the keys")
        init = fillers[0]
        script = "\n".join(init.get("command", []) + init.get("args", []))
        self.assertRegex(script, r"umask 0?77")
        init_keys_dir = next(m["mountPath"] for m in init["volumeMounts"]
                             if m["name"] == keys_volume).rstrip("/")
        for path in paths:
            name = os.path.basename(path)
            self.assertRegex(script, r"chmod 0?[46]00 [^\n]*" +
                             re.escape(f"{init_keys_dir}/{name}") +
                             r"(\s|$)", f"{name} is not made 0400 or 0600")
        return init, script

    def assert_key_copied_from(self, doc, init, script, key_path,
                               secret_name):
        """The init container copies the key that ends up at `key_path`
        from a volume of Secret `secret_name`."""
        volumes = {v["name"]: v for v in pod_spec_of(doc)["volumes"]}
        sources = []
        for m in init["volumeMounts"]:
            secret = volumes[m["name"]].get("secret")
            if secret is None or secret["secretName"] != secret_name:
                continue
            self.assertTrue(m.get("readOnly"), "mount the Secret read-only")
            for item in secret.get("items", []):
                sources.append(f"{m['mountPath'].rstrip('/')}/{item['path']}")
        # cp SRC... DEST, DEST a directory (ending in /) or the file.
        copied = set()
        for line in script.splitlines():
            argv = line.split()
            if len(argv) < 3 or argv[0] != "cp":
                continue
            dest = argv[-1]
            for src in argv[1:-1]:
                if src in sources:
                    copied.add(os.path.basename(src) if dest.endswith("/")
                               else os.path.basename(dest))
        self.assertIn(os.path.basename(key_path), copied,
                      f"{key_path} is copied from no item of Secret "
                      f"{secret_name} ({sources})")

    def assert_one_replica_recreated(self, doc):
        self.assertEqual(doc["kind"], "Deployment")
        self.assertEqual(doc["spec"].get("replicas"), 1,
                         "one server writes the run directory")
        self.assertEqual(doc["spec"].get("strategy", {}).get("type"),
                         "Recreate", "never two servers on one run directory")

    def assert_ports_probes_and_service(self, doc, c, config):
        ports = {}
        for key in ("listen", "metrics_listen"):
            self.assertIn(key, config)
            host, port = config[key].rsplit(":", 1)
            self.assertIn(host, ("0.0.0.0", "[::]", "::"),
                          f"{key}: {config[key]} is unreachable from the "
                          "Service and the kubelet")
            ports[key] = int(port)
            self.assertIsNotNone(container_port(c, int(port)),
                                 f"{key} port {port} is not a container port")
        for probe in ("readinessProbe", "livenessProbe"):
            get = c[probe].get("httpGet", {})
            self.assertEqual(get.get("path"), "/healthz", probe)
            self.assertEqual(container_port(c, get.get("port")),
                             ports["metrics_listen"],
                             f"{probe}: not on the metrics port")
        service = self.service_of(doc)
        targets = {container_port(c, p.get("targetPort", p["port"]))
                   for p in service["spec"]["ports"]}
        self.assertEqual(targets, {ports["listen"], ports["metrics_listen"]},
                         "the Service exposes gRPC and metrics")
        return service

    def assert_server_files(self, doc, c, config):
        """run.dir on the claim; tls certificates and CRL from a Secret
        without subPath; tls.key and audit.signing_key copied to memory.
        Returns (Secret name, init container, its script)."""
        mount, _, volume = self.volume_at(doc, c, config["run"]["dir"])
        self.assertIn("persistentVolumeClaim", volume,
                      "run.dir must survive the pod")
        self.assertFalse(mount.get("readOnly", False))
        # Certificates and the CRL straight from the Secret (no subPath: the
        # kubelet then updates crl.pem in place, and the server re-reads it).
        secret_names = set()
        for key in ("ca", "cert", "crl"):
            mount, rel, volume = self.volume_at(doc, c, config["tls"][key])
            self.assertIn("secret", volume, f"tls.{key}")
            self.assertNotIn("subPath", mount, f"tls.{key}")
            projected = {i["path"]: i["key"] for i in volume["secret"]["items"]}
            self.assertIn(rel, projected, f"tls.{key}")
            secret_names.add(volume["secret"]["secretName"])
        self.assertEqual(len(secret_names), 1, "tls: from one Secret")
        secret_name = secret_names.pop()
        key_paths = [config["tls"]["key"], config["audit"]["signing_key"]]
        if "upstream" in config:
            key_paths.append(config["upstream"]["tls"]["key"])
        init, script = self.assert_keys_from_memory(doc, c, key_paths)
        for path in key_paths[:2]:
            self.assert_key_copied_from(doc, init, script, path, secret_name)
        return secret_name, init, script

    def test_aggregator_is_one_replica_recreated(self):
        _, doc, _ = self.aggregator()
        self.assert_one_replica_recreated(doc)

    def test_aggregator_ports_probes_and_service_follow_its_config(self):
        _, doc, c = self.aggregator()
        config = yaml.safe_load(self.config_of(doc, c))
        self.assert_ports_probes_and_service(doc, c, config)

    def test_aggregator_files_are_where_the_pod_puts_them(self):
        _, doc, c = self.aggregator()
        config = yaml.safe_load(self.config_of(doc, c))
        secret_name, _, _ = self.assert_server_files(doc, c, config)
        # The Secret: Opaque, exactly fedge's five files, never the CA key.
        self.assert_secret_documented(secret_name, SERVER_SECRET_KEYS)

    def test_servers_keep_serving_after_the_run(self):
        # With the default run.after_end (exit) a server leaves once its run
        # ended; the Deployment restarts it, it finds the run finished and
        # leaves again: a restart loop. `serve` keeps it up until SIGTERM.
        workloads = self.server_workloads()
        self.assertEqual(len(workloads), 2, "expected the aggregator and the "
                         "site aggregator")
        for path, doc, c, config in workloads:
            self.assertEqual(doc["kind"], "Deployment", path)
            self.assertEqual(config["run"].get("after_end"), "serve",
                             f"{path}: run.after_end")
            # Only `exit` uses it; if set, it must still be a duration.
            grace = config["run"].get("final_model_grace")
            if grace is not None:
                self.assertGreaterEqual(duration(grace), 0, path)

    def test_site_is_one_replica_recreated(self):
        _, doc, _ = self.site()
        self.assert_one_replica_recreated(doc)

    def test_site_ports_probes_and_service_follow_its_config(self):
        path, doc, c = self.site()
        config = yaml.safe_load(self.config_of(doc, c))
        service = self.assert_ports_probes_and_service(doc, c, config)
        _, root, _ = self.aggregator()
        self.assertIsNot(service, self.service_of(root),
                         "the site needs a Service of its own")
        # Its devices check its certificate against the Service's name.
        name = service["metadata"]["name"]
        self.assertRegex(self.texts[path],
                         r"fedge pki init --dir \S+ --server-name " +
                         re.escape(name) + r"\s",
                         f"the site's server certificate must name {name}")

    def test_site_files_are_where_the_pod_puts_them(self):
        _, doc, c = self.site()
        config = yaml.safe_load(self.config_of(doc, c))
        own_secret, init, script = self.assert_server_files(doc, c, config)
        self.assert_secret_documented(own_secret, SERVER_SECRET_KEYS)
        # upstream.tls: the root's CA and the site's certificate from a
        # Secret; its key copied from that Secret to memory (checked with
        # the other keys above).
        upstream = config["upstream"]["tls"]
        names = set()
        for key in ("ca", "cert"):
            mount, rel, volume = self.volume_at(doc, c, upstream[key])
            self.assertIn("secret", volume, f"upstream.tls.{key}")
            projected = {i["path"]: i["key"] for i in volume["secret"]["items"]}
            self.assertIn(rel, projected, f"upstream.tls.{key}")
            names.add(volume["secret"]["secretName"])
        self.assertEqual(len(names), 1, "upstream.tls: from one Secret")
        upstream_secret = names.pop()
        self.assert_key_copied_from(doc, init, script, upstream["key"],
                                    upstream_secret)
        # Two PKIs: never the site's CA for the root, nor a file of the
        # root's own Secret (its server key) in the site.
        self.assertNotEqual(upstream["ca"], config["tls"]["ca"])
        _, root, root_c = self.aggregator()
        root_config = yaml.safe_load(self.config_of(root, root_c))
        root_secret_name = self.volume_at(root, root_c, root_config["tls"][
            "ca"])[2]["secret"]["secretName"]
        for v in pod_spec_of(doc)["volumes"]:
            if "secret" in v:
                self.assertNotEqual(v["secret"]["secretName"],
                                    root_secret_name,
                                    "the site mounts the root's Secret")
        if upstream_secret == own_secret:
            self.fail("one Secret for both PKIs: give the upstream files "
                      "distinct key names and check them here")
        self.assert_secret_documented(upstream_secret, UPSTREAM_SECRET_KEYS)

    def test_site_leaves_rounds_strategy_and_privacy_to_the_root(self):
        # common/config/server_config.cc ReadUpstream refuses these.
        _, doc, c = self.site()
        config = yaml.safe_load(self.config_of(doc, c))
        self.assertNotIn("rounds", config,
                         "a site runs one round per round of the root")
        strategy = config.get("strategy", {})
        self.assertIn(strategy.get("name", "fedavg"), ("fedavg", "fedprox"))
        self.assertEqual(strategy.get("server_learning_rate", 1.0), 1.0)
        self.assertEqual(config.get("privacy", {}).get("mode", "none"), "none")

    def test_site_dials_the_root_and_fits_its_round(self):
        _, doc, c = self.site()
        config = yaml.safe_load(self.config_of(doc, c))
        _, root, root_c = self.aggregator()
        root_config = yaml.safe_load(self.config_of(root, root_c))
        # upstream.server is the root's Service and its gRPC port.
        host, port = config["upstream"]["server"].rsplit(":", 1)
        service = self.service_of(root)
        self.assertEqual(host.split(".")[0], service["metadata"]["name"],
                         "upstream.server is not the root's Service")
        grpc = [p for p in service["spec"]["ports"] if p["port"] == int(port)]
        self.assertEqual(len(grpc), 1,
                         f"the root's Service has no port {port}")
        self.assertEqual(
            container_port(root_c, grpc[0].get("targetPort", grpc[0]["port"])),
            int(root_config["listen"].rsplit(":", 1)[1]),
            f"port {port} of the root's Service is not its gRPC port")
        # The root's model and purpose.
        for key in ("kind", "input_shape", "num_classes"):
            self.assertEqual(config["model"].get(key),
                             root_config["model"].get(key), f"model.{key}")
        self.assertEqual(config["run"]["purpose"],
                         root_config["run"]["purpose"], "run.purpose")
        regions = root_config["run"].get("allowed_regions") or []
        if regions:
            self.assertIn(config["upstream"].get("region"), regions)
        # The root waits for the site's whole round within its training
        # deadline: selection, training and, with secure aggregation, three
        # stages (advertising keys, sharing keys, unmasking).
        d = config["deadlines"]
        site_round = duration(d["selection"]) + duration(d["training"])
        if config.get("secure_aggregation", {}).get("enabled"):
            site_round += 3 * duration(d["secagg_stage"])
        self.assertLessEqual(
            site_round, duration(root_config["deadlines"]["training"]),
            "the site's round does not fit in the root's deadlines.training")

    # --- The edge clients ---

    def edge(self):
        found = [(p, d) for p, d in self.workloads
                 if any(subcommand(c) == "client"
                        for c in pod_spec_of(d)["containers"])]
        self.assertEqual(len(found), 1, "expected one `fedge client` workload")
        path, doc = found[0]
        containers = pod_spec_of(doc)["containers"]
        # The client serves the model itself (--serve): no sidecar reads its
        # state directory.
        self.assertEqual([subcommand(c) for c in containers], ["client"],
                         f"{path}: expected the one container `fedge client`")
        return path, doc, containers[0]

    def test_edge_clients_run_one_per_edge_node(self):
        _, doc, _ = self.edge()
        self.assertEqual(doc["kind"], "DaemonSet")
        selector = pod_spec_of(doc).get("nodeSelector", {})
        self.assertEqual(selector.get("fedge.io/edge"), "true")

    def test_edge_client_mounts_and_node_certificate(self):
        _, doc, c = self.edge()
        pod = pod_spec_of(doc)
        config = yaml.safe_load(self.config_of(doc, c))
        # The data: from the node, read-only.
        mount, _, volume = self.volume_at(doc, c, config["data"]["dir"])
        self.assertIn("hostPath", volume, "the data stays on the node")
        self.assertTrue(mount.get("readOnly"), "mount the data read-only")
        # The state directory (the model --serve serves, the receipts):
        # writable, and on the node, so a restarted pod serves at once.
        mount, rel, state = self.volume_at(doc, c, config["state_dir"])
        self.assertEqual(rel, "")
        self.assertFalse(mount.get("readOnly", False))
        self.assertIn("hostPath", state, "the state outlives the pod")
        # The certificate: an init container copies this node's pair.
        mount, _, pki = self.volume_at(doc, c, config["tls"]["key"])
        self.assertEqual(pki.get("emptyDir", {}).get("medium"), "Memory")
        for key in ("ca", "cert"):
            self.assertEqual(self.volume_at(doc, c, config["tls"][key])[0]
                             ["name"], mount["name"], f"tls.{key}")
        fillers = [i for i in pod.get("initContainers", [])
                   if mount["name"] in {m["name"] for m in i["volumeMounts"]}]
        self.assertEqual(len(fillers), 1)
        init = fillers[0]
        env = {e["name"]: e for e in init.get("env", [])}
        self.assertEqual(env.get("NODE_NAME", {}).get("valueFrom", {})
                         .get("fieldRef", {}).get("fieldPath"), "spec.nodeName")
        script = "\n".join(init.get("command", []) + init.get("args", []))
        self.assertRegex(script, r"umask 0?77")
        self.assertIn("$NODE_NAME.key", script)
        self.assertIn("$NODE_NAME.crt", script)
        init_dir = next(m["mountPath"] for m in init["volumeMounts"]
                        if m["name"] == mount["name"]).rstrip("/")
        key_name = os.path.basename(config["tls"]["key"])
        self.assertRegex(script, r"chmod 0?[46]00 [^\n]*" +
                         re.escape(f"{init_dir}/{key_name}"))

    def test_edge_client_serves_where_the_service_and_probe_look(self):
        _, doc, c = self.edge()
        listen = flag_value(c["args"], "--serve")
        self.assertIsNotNone(listen, "the client serves no model (--serve)")
        host, port = listen.rsplit(":", 1)
        self.assertIn(host, ("0.0.0.0", "[::]", "::"),
                      f"--serve {listen} is unreachable from the Service and "
                      "the kubelet")
        self.assertIsNotNone(container_port(c, int(port)),
                             f"--serve port {port} is not a container port")
        # The Service sends applications to that port.
        service = self.service_of(doc)
        targets = [container_port(c, p.get("targetPort", p["port"]))
                   for p in service["spec"]["ports"]]
        self.assertIn(int(port), targets,
                      f"Service {service['metadata']['name']} does not target "
                      f"--serve's port {port}")
        self.assertEqual(service["spec"].get("internalTrafficPolicy"), "Local",
                         "an application gets its own node's model")
        # Ready once it answers /healthz on that port (docs/serving.md);
        # no probe that kills it before its first model (checked with the
        # other probes).
        probe = c["readinessProbe"].get("httpGet", {})
        self.assertEqual(probe.get("path"), "/healthz")
        self.assertEqual(container_port(c, probe.get("port")), int(port))
        # --serve serves the model kept in state_dir: it must have one.
        config = yaml.safe_load(self.config_of(doc, c))
        self.assertTrue(config.get("state_dir"), "--serve needs state_dir")

    # --- The configs, run by the real binary ---

    def start_root(self, tmp, procs, logs, server_name):
        """Starts `fedge server` with the aggregator's ConfigMap config, its
        files laid out as its pod's volumes hold them (a fresh PKI in
        tmp/pki whose server certificate names `server_name`), on loopback
        ports. Returns (process, log path, gRPC port, PKI dir, {mount path:
        directory}, config text, metrics port)."""
        _, agg, server_c = self.aggregator()
        server_text = self.config_of(agg, server_c)
        pki = os.path.join(tmp, "pki")
        run([FEDGE, "pki", "init", "--dir", pki, "--server-name", server_name])
        server_dirs = volume_dirs(server_c, os.path.join(tmp, "srv"))
        place(server_dirs, pki, yaml.safe_load(server_text))
        server_yaml = os.path.join(tmp, "server.yaml")
        with open(server_yaml, "w") as f:
            f.write(map_paths(server_text, server_dirs))
        grpc_port, metrics_port = free_port(), free_port()
        server_log = os.path.join(tmp, "server.log")
        server = subprocess.Popen(
            [FEDGE] + server_c["args"][:1] +
            ["--config", server_yaml, "--no-progress",
             "--listen", f"127.0.0.1:{grpc_port}",
             "--metrics-listen", f"127.0.0.1:{metrics_port}"],
            stdout=log_file(server_log, logs), stderr=subprocess.STDOUT)
        procs.append(server)
        self.assertEqual(
            wait_http(f"http://127.0.0.1:{metrics_port}/healthz", server),
            "ok\n", f"no /healthz:\n{read(server_log)}")
        self.assertIn("(mutual TLS)", read(server_log))
        return (server, server_log, grpc_port, pki, server_dirs, server_text,
                metrics_port)

    def stop_run(self, pki, grpc_port, server_name):
        """Ends the run of the server at grpc_port (`fedge admin stop`)."""
        run([FEDGE, "admin", "stop", "--pki", pki,
             "--server", f"127.0.0.1:{grpc_port}", "--server-name",
             server_name, "--reason", "k8s manifest test"])

    def test_fedge_runs_the_aggregator_and_the_serving_client_configs(self):
        _, edge, client_c = self.edge()
        client_text = self.config_of(edge, client_c)
        client_config = yaml.safe_load(client_text)
        data_dir = "/usr/share/datasets/fashion-mnist"
        services = {d["metadata"]["name"] for _, d in self.services}
        server_host = client_config["server"].rsplit(":", 1)[0]
        self.assertIn(server_host, services, "the client dials no Service")

        tmp = tempfile.mkdtemp(prefix="fedge_k8s_")
        procs, logs = [], []
        try:
            (server, server_log, grpc_port, pki, server_dirs, server_text,
             metrics_port) = self.start_root(tmp, procs, logs, server_host)
            server_config = yaml.safe_load(server_text)
            run([FEDGE, "pki", "issue-client", "--dir", pki,
                 "--id", "edge-node-1"])

            # The edge client's config, with its node's certificate.
            if not os.path.isdir(data_dir):
                self.skipTest(f"{data_dir} is missing (dataset-fashion-mnist)")
            client_dirs = volume_dirs(client_c, os.path.join(tmp, "edge"))
            client_dirs[self.mount_of(client_c, client_config["data"]["dir"])
                        [0]["mountPath"]] = data_dir
            key_dir = os.path.dirname(pod_path(
                client_dirs, client_config["tls"]["key"]))
            os.makedirs(key_dir, exist_ok=True)
            for key, src in (("ca", "ca.crt"),
                             ("cert", "clients/edge-node-1.crt"),
                             ("key", "clients/edge-node-1.key")):
                dst = pod_path(client_dirs, client_config["tls"][key])
                shutil.copy(os.path.join(pki, src), dst)
                os.chmod(dst, 0o600 if key == "key" else 0o644)
            client_yaml = os.path.join(tmp, "client.yaml")
            text = map_paths(client_text, client_dirs)
            # The Service's name stands for 127.0.0.1: the server's
            # certificate is still checked against it.
            self.assertIn('server_name: ""', text)
            text = text.replace('server_name: ""',
                                f"server_name: {server_host}")
            with open(client_yaml, "w") as f:
                f.write(text)
            # The state directory holds a model, as the node's does once it
            # has taken part in a round: the federation's initial model.
            state = pod_path(client_dirs, client_config["state_dir"])
            run_dir = pod_path(server_dirs, server_config["run"]["dir"])
            shutil.copy(os.path.join(run_dir, "checkpoints",
                                     "round-000000.fedge"),
                        os.path.join(state, "global_model.fedge"))
            with open(os.path.join(state, "global_model.version"), "w") as f:
                f.write("0")

            # The container's arguments, with the config and --serve's
            # address mapped to this machine.
            serve_port = free_port()
            args = list(client_c["args"])
            args[args.index("--config") + 1] = client_yaml
            args[args.index("--serve") + 1] = f"127.0.0.1:{serve_port}"
            client_log = os.path.join(tmp, "client.log")
            client = subprocess.Popen(
                [FEDGE] + args + ["--server", f"127.0.0.1:{grpc_port}"],
                stdout=log_file(client_log, logs), stderr=subprocess.STDOUT)
            procs.append(client)
            self.assertTrue(wait_log(client_log, "joined run", client),
                            read(client_log))
            self.assertIn("as edge-node-1", read(client_log))

            # Once joined it serves the kept model where the readiness
            # probe looks, and answers predictions of the server's model.
            serve_url = f"http://127.0.0.1:{serve_port}"
            self.assertEqual(
                wait_http(serve_url + client_c["readinessProbe"]["httpGet"]
                          ["path"], client),
                "ok\n", read(client_log))
            inputs = 1
            for n in server_config["model"]["input_shape"]:
                inputs *= n
            answer = post_json(serve_url + "/v1/predict",
                               {"instances": [{"values": [0.0] * inputs}]})
            self.assertEqual(answer.get("modelVersion"), "0", answer)
            self.assertEqual(
                len(answer["predictions"][0]["probabilities"]),
                server_config["model"]["num_classes"], answer)

            # The run ends (`fedge admin stop`): the server stays up
            # (run.after_end: serve) and the client keeps serving.
            self.stop_run(pki, grpc_port, server_host)
            self.assertTrue(
                wait_log(server_log, "(run.after_end: serve)", server),
                f"the server did not stay after the run:\n{read(server_log)}")
            self.assertTrue(
                wait_log(client_log, "the run is over; serving model version",
                         client),
                f"the client did not keep serving:\n{read(client_log)}")
            self.assertEqual(
                wait_http(f"http://127.0.0.1:{metrics_port}/healthz", server),
                "ok\n", read(server_log))
            self.assertEqual(wait_http(serve_url + "/healthz", client),
                             "ok\n", read(client_log))

            # SIGTERM, as the kubelet stops the pods: both exit 0.
            client.send_signal(signal.SIGTERM)
            self.assertEqual(client.wait(timeout=60), 0, read(client_log))
            server.send_signal(signal.SIGTERM)
            self.assertEqual(server.wait(timeout=60), 0, read(server_log))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            for f in logs:
                f.close()
            shutil.rmtree(tmp)

    def test_fedge_runs_the_site_config_under_the_root(self):
        # The root from the aggregator's ConfigMap; the site from its own,
        # with its own PKI and a device certificate of the root's PKI, as
        # its pod lays them out; the site joins the root as one client.
        _, site, site_c = self.site()
        site_text = self.config_of(site, site_c)
        site_config = yaml.safe_load(site_text)
        root_host = site_config["upstream"]["server"].rsplit(":", 1)[0]
        site_service = self.service_of(site)["metadata"]["name"]
        site_id = "site-oslo"

        tmp = tempfile.mkdtemp(prefix="fedge_k8s_")
        procs, logs = [], []
        try:
            (root, root_log, root_port, root_pki, _, root_text,
             root_metrics_port) = self.start_root(tmp, procs, logs, root_host)
            root_run_id = yaml.safe_load(root_text)["run"]["id"]
            # The root's operator issues the site's certificate ...
            run([FEDGE, "pki", "issue-client", "--dir", root_pki,
                 "--id", site_id])
            # ... and the site makes its own federation.
            site_pki = os.path.join(tmp, "site-pki")
            run([FEDGE, "pki", "init", "--dir", site_pki,
                 "--server-name", site_service])
            site_dirs = volume_dirs(site_c, os.path.join(tmp, "site"))
            place(site_dirs, site_pki, site_config)
            upstream = site_config["upstream"]["tls"]
            for key, src in (("ca", "ca.crt"),
                             ("cert", f"clients/{site_id}.crt"),
                             ("key", f"clients/{site_id}.key")):
                dst = pod_path(site_dirs, upstream[key])
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy(os.path.join(root_pki, src), dst)
                os.chmod(dst, 0o400 if key == "key" else 0o444)
            # The root's Service name stands for 127.0.0.1: the root's
            # certificate is still checked against it.
            mapped = yaml.safe_load(map_paths(site_text, site_dirs))
            mapped["upstream"]["server"] = f"127.0.0.1:{root_port}"
            mapped["upstream"]["tls"]["server_name"] = (
                upstream.get("server_name") or root_host)
            site_yaml = os.path.join(tmp, "site.yaml")
            with open(site_yaml, "w") as f:
                yaml.safe_dump(mapped, f)
            metrics_port = free_port()
            site_log = os.path.join(tmp, "site.log")
            site_proc = subprocess.Popen(
                [FEDGE] + site_c["args"][:1] +
                ["--config", site_yaml, "--no-progress",
                 "--listen", f"127.0.0.1:{free_port()}",
                 "--metrics-listen", f"127.0.0.1:{metrics_port}"],
                stdout=log_file(site_log, logs), stderr=subprocess.STDOUT)
            procs.append(site_proc)
            self.assertEqual(
                wait_http(f"http://127.0.0.1:{metrics_port}/healthz",
                          site_proc),
                "ok\n", f"no /healthz:\n{read(site_log)}")
            self.assertIn("(mutual TLS)", read(site_log))

            # The site joins the root's run under its certificate's name.
            joined = f"joined run {root_run_id} as {site_id}"
            deadline = time.time() + 30
            while joined not in read(site_log):
                self.assertIsNone(site_proc.poll(), read(site_log))
                self.assertLess(time.time(), deadline, read(site_log))
                time.sleep(0.2)
            self.assertIn(f"client {site_id} joined", read(root_log))
            admin = subprocess.run(
                [FEDGE, "admin", "clients", "--pki", root_pki,
                 "--server", f"127.0.0.1:{root_port}",
                 "--server-name", root_host],
                capture_output=True, text=True, timeout=30)
            self.assertEqual(admin.returncode, 0, admin.stdout + admin.stderr)
            self.assertIn(site_id, admin.stdout)

            # The root ends its run: the site ends its own, and both stay up
            # (run.after_end: serve) until they are stopped.
            self.stop_run(root_pki, root_port, root_host)
            for proc, log in ((root, root_log), (site_proc, site_log)):
                self.assertTrue(
                    wait_log(log, "(run.after_end: serve)", proc),
                    f"it did not stay after the run:\n{read(log)}")
            self.assertIn("the upstream ended its run", read(site_log))
            for proc, log, port in ((root, root_log, root_metrics_port),
                                    (site_proc, site_log, metrics_port)):
                self.assertEqual(
                    wait_http(f"http://127.0.0.1:{port}/healthz", proc),
                    "ok\n", read(log))

            # SIGTERM, as the kubelet stops the pods: both exit 0.
            site_proc.send_signal(signal.SIGTERM)
            self.assertEqual(site_proc.wait(timeout=60), 0, read(site_log))
            root.send_signal(signal.SIGTERM)
            self.assertEqual(root.wait(timeout=60), 0, read(root_log))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            for f in logs:
                f.close()
            shutil.rmtree(tmp)

    # --- kubectl, when there is one ---

    def test_kubectl_decodes_the_workloads(self):
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            self.skipTest("kubectl is not installed")
        # `kubectl apply --dry-run=client` needs an API server for discovery;
        # `set env --local` decodes a workload into its Go type offline
        # (a wrong type fails) and lists the env of each container.
        tmp = tempfile.mkdtemp(prefix="fedge_k8s_")
        try:
            for i, (_, doc) in enumerate(self.workloads):
                path = os.path.join(tmp, f"workload-{i}.yaml")
                with open(path, "w") as f:
                    yaml.safe_dump(doc, f)
                run = subprocess.run(
                    [kubectl, "set", "env", "--local", "-f", path, "--list"],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
                for c in all_containers(pod_spec_of(doc)):
                    self.assertIn(f"container {c['name']}", run.stdout)
                if doc["kind"] == "Job":
                    self.assertIn("JOB_COMPLETION_INDEX from field path",
                                  run.stdout)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: k8s_manifest_test.py PATH_TO_FEDGE SOURCE_DIR")
    FEDGE = os.path.abspath(sys.argv[1])
    SOURCE_DIR = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
