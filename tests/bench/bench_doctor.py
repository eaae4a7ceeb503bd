"""Benchmark the doctor: node-side gathering and controller-side diagnosis.

Usage: python tests/bench/bench_doctor.py [--runs N] [--image pullfix-node:debian12] [--json FILE]

Every figure is a median over N runs and is reported next to a baseline measured in
the same invocation, on the same machine, so the ratio means something even on a
busy 2-core host:

- gather: node_evidence's gather() inside a real test node, against a baseline of
  one `containerd --version` (a single run of the runtime binary: work any gather
  must do at least once);
- round trip: one Ansible call of kubenode.pullfix.node_evidence against one call
  of ansible.builtin.ping (the cost of any single round trip);
- diagnose: diagnose() on evidence captured from the real test nodes, against a
  baseline of json.loads(json.dumps(evidence)) (touching the data once).

Targets: gather under 150 ms, diagnosis under 20 ms per host, one round trip.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "evidence")
NODE_FILES = ["_cri.py", "_hpack.py", "_apply.py", "_runtime_view.py", "_evidence.py"]
CONTAINER = "pullfix-bench"

NODE_SCRIPT = r"""
import json, statistics, subprocess, sys, time
sys.path.insert(0, "/tmp/pullfix-bench")
import _evidence
runs = int(sys.argv[1])
def median_ms(fn):
    times = []
    for _ in range(runs):
        t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
gather = median_ms(lambda: _evidence.gather())
baseline = median_ms(lambda: subprocess.run(["containerd", "--version"], stdout=subprocess.DEVNULL, check=True))
print(json.dumps({"gather_ms": gather, "baseline_ms": baseline}))
"""


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, universal_newlines=True, **kw).stdout


def start_node(image):
    subprocess.run(["docker", "rm", "-f", CONTAINER], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    sh("docker", "run", "-d", "--name", CONTAINER, "--network", "none", "--cgroupns", "host",
       "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
       "--security-opt", "apparmor=unconfined", "--tmpfs", "/run", "--tmpfs", "/run/lock",
       "--tmpfs", "/tmp:exec", "--tmpfs", "/var/lib/containerd:exec,size=1g",
       "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", image)
    for _attempt in range(60):  # right after start, PID 1's bus may not be up yet
        state = subprocess.run(["docker", "exec", CONTAINER, "timeout", "120", "systemctl", "is-system-running", "--wait"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
        if state.stdout.strip() in ("running", "degraded"):
            return
        time.sleep(1)
    raise SystemExit("test node %s did not boot" % CONTAINER)


def bench_node(runs):
    # Plain module files, imported flat: the node-side code is standard library only.
    sh("docker", "exec", CONTAINER, "mkdir", "-p", "/tmp/pullfix-bench")
    for name in NODE_FILES:
        with open(os.path.join(ROOT, "plugins", "module_utils", name)) as f:
            text = f.read().replace(
                "from ansible_collections.kubenode.pullfix.plugins.module_utils.", "from ")
        sh("docker", "exec", "-i", CONTAINER, "sh", "-c", "cat > /tmp/pullfix-bench/" + name, input=text)
    return json.loads(sh("docker", "exec", "-i", CONTAINER, "python3", "-", str(runs), input=NODE_SCRIPT))


def bench_round_trip(runs):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_PYTHON_INTERPRETER="auto_silent")

    def one(module):
        argv = ["ansible", "all", "-i", CONTAINER + ",", "-c", "community.docker.docker", "-m", module]
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
        return (time.perf_counter() - t) * 1000

    n = max(3, runs // 5)
    return {"node_evidence_ms": statistics.median([one("kubenode.pullfix.node_evidence") for dummy in range(n)]),
            "ping_ms": statistics.median([one("ansible.builtin.ping") for dummy in range(n)]), "runs": n}


def bench_diagnose(runs):
    sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import diagnose
    out = {}
    for name in sorted(os.listdir(FIXTURES)):
        if not name.endswith("-captured.json"):
            continue
        with open(os.path.join(FIXTURES, name)) as f:
            evidence = json.load(f)
        settings = {"verify_images": ["docker.io/library/busybox:1.36"]}
        timer = timeit.Timer(lambda: diagnose(evidence, settings))
        base = timeit.Timer(lambda: json.loads(json.dumps(evidence)))
        out[name] = {"diagnose_ms": statistics.median(t * 1000 for t in timer.repeat(runs, 1)),
                     "baseline_ms": statistics.median(t * 1000 for t in base.repeat(runs, 1))}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--image", default="pullfix-node:debian12")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    results = {"runs": args.runs, "image": args.image}
    start_node(args.image)
    try:
        results["node"] = bench_node(args.runs)
        results["round_trip"] = bench_round_trip(args.runs)
    finally:
        subprocess.run(["docker", "rm", "-f", CONTAINER], stdout=subprocess.DEVNULL, check=False)
    results["diagnose"] = bench_diagnose(args.runs)

    node, rt = results["node"], results["round_trip"]
    print("doctor benchmark, %d runs, medians" % args.runs)
    print("  gather() on %-22s %7.1f ms  baseline containerd --version %6.1f ms  ratio %.1fx  target < 150 ms: %s"
          % (args.image, node["gather_ms"], node["baseline_ms"], node["gather_ms"] / node["baseline_ms"],
             "met" if node["gather_ms"] < 150 else "MISSED"))
    print("  round trip node_evidence        %7.1f ms  baseline ansible ping         %6.1f ms  ratio %.2fx  (one call per host)"
          % (rt["node_evidence_ms"], rt["ping_ms"], rt["node_evidence_ms"] / rt["ping_ms"]))
    for name, d in results["diagnose"].items():
        print("  diagnose %-24s %7.2f ms  baseline json round trip      %6.2f ms  ratio %.1fx  target < 20 ms: %s"
              % (name, d["diagnose_ms"], d["baseline_ms"], d["diagnose_ms"] / d["baseline_ms"],
                 "met" if d["diagnose_ms"] < 20 else "MISSED"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)
    missed = node["gather_ms"] >= 150 or any(d["diagnose_ms"] >= 20 for d in results["diagnose"].values())
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
