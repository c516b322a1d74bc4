#!/usr/bin/python3
"""Offline checks of the Kubernetes manifests in deploy/k8s/.

No cluster is needed: every document of deploy/k8s/*.yaml is loaded and
checked for what would make the shards fail only once deployed (an unknown
kind or key, an Indexed Job whose size disagrees with --shard, an undeclared
$(VAR), a mount of a volume that does not exist, a Secret or ConfigMap that
is neither defined nor documented, a PKI without the files the shard runner
opens, private keys with modes fedge refuses), and the ConfigMap's sim.yaml
is read by the real `fedge` binary. If kubectl is installed, it also decodes
the workloads offline (`kubectl set env --local`), which catches wrong types.

  k8s_manifest_test.py PATH_TO_FEDGE SOURCE_DIR
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

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
}
METADATA_KEYS = {"name", "namespace", "labels", "annotations"}
JOB_SPEC_KEYS = {
    "activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex",
    "completionMode", "completions", "managedBy", "manualSelector",
    "maxFailedIndexes", "parallelism", "podFailurePolicy",
    "podReplacementPolicy", "selector", "successPolicy", "suspend",
    "template", "ttlSecondsAfterFinished",
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
               "projected", "persistentVolumeClaim", "ephemeral"}
VOLUME_SOURCE_KEYS = {
    "configMap": {"name", "items", "defaultMode", "optional"},
    "secret": {"secretName", "items", "defaultMode", "optional"},
    "emptyDir": {"medium", "sizeLimit"},
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


class ManifestTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.docs = load_documents()
        cls.by_kind = {}
        for path, doc in cls.docs:
            cls.by_kind.setdefault(doc.get("kind"), []).append((path, doc))
        cls.jobs = [d for _, d in cls.by_kind.get("Job", [])]
        cls.config_maps = {d["metadata"]["name"]: d
                           for _, d in cls.by_kind.get("ConfigMap", [])}
        cls.secrets = {d["metadata"]["name"]: d
                       for _, d in cls.by_kind.get("Secret", [])}
        readme = os.path.join(SOURCE_DIR, "deploy", "k8s", "README.md")
        cls.readme = ""
        if os.path.exists(readme):
            with open(readme) as f:
                cls.readme = f.read()

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
            if kind != "Job":
                continue
            check(doc["spec"], JOB_SPEC_KEYS, where + " spec")
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
        for job in self.jobs:
            for c in all_containers(job["spec"]["template"]["spec"]):
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
        for job in self.jobs:
            pod = job["spec"]["template"]["spec"]
            volumes = {v["name"] for v in pod.get("volumes", [])}
            for c in all_containers(pod):
                paths = [m["mountPath"] for m in c.get("volumeMounts", [])]
                self.assertEqual(len(paths), len(set(paths)),
                                 f"container {c['name']}: a path mounted twice")
                for m in c.get("volumeMounts", []):
                    self.assertIn(m["name"], volumes, f"container {c['name']} "
                                  f"mounts undeclared volume {m['name']}")

    def test_config_maps_and_secrets_are_defined_or_documented(self):
        for job in self.jobs:
            for v in job["spec"]["template"]["spec"].get("volumes", []):
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
                    # Not committed (it holds keys): the README must say how
                    # to make it, with every key the volume projects.
                    self.assertIn(f"kubectl create secret generic {name}",
                                  self.readme,
                                  f"Secret {name} is neither defined in "
                                  "deploy/k8s/ nor documented in its README")
                    for item in v["secret"].get("items", []):
                        # shard-3.key is documented as shard-I.key.
                        key = re.sub(r"^shard-\d+\.", "shard-I.", item["key"])
                        self.assertIn(f"`{key}`", self.readme,
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
            for i, job in enumerate(self.jobs):
                path = os.path.join(tmp, f"job-{i}.yaml")
                with open(path, "w") as f:
                    yaml.safe_dump(job, f)
                run = subprocess.run(
                    [kubectl, "set", "env", "--local", "-f", path, "--list"],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
                for c in all_containers(job["spec"]["template"]["spec"]):
                    self.assertIn(f"container {c['name']}", run.stdout)
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
