"""A real file through the main job twice (issue 23): KubeKey 3.1's config.toml, whose GPU runtime
table comes before the CRI plugin table it nests in, is edited once, in its registry tables only;
the second run neither rewrites it nor restarts containerd."""
import os

testinfra_hosts = ["ansible://all"]

CONFIG = "/etc/containerd/config.toml"
ORIGINAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "unit", "fixtures",
                        "corpus", "containerd-config", "kubekey-3.1-nvidia.toml")
REGISTRY = '[plugins."io.containerd.grpc.v1.cri".registry'
NVIDIA = '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes."nvidia"]\n'


def original():
    with open(ORIGINAL) as f:
        return f.read()


def outside_registry_tables(text):
    """The lines of text outside the registry tables (their header and body), each with its end of line."""
    kept, inside = [], False
    for line in text.splitlines(True):
        if line.lstrip().startswith("["):
            inside = line.lstrip().startswith(REGISTRY)
        if not inside:
            kept.append(line)
    return kept


def test_first_run_moved_the_mirror_and_restarted_containerd_once(recorded):
    real = recorded("real")
    assert (CONFIG, "updated") in [(c["path"], c["action"]) for c in real["changes"]]
    assert real["config_before"] != real["config_after"]
    # the witness sees a restart: the same comparison on the second run means something
    assert real["containerd_before"] != real["containerd_after"]


def test_second_run_changes_nothing(recorded):
    second = recorded("second")
    assert second["changes"] == [] and second["planned"] == []
    assert second["config_before"] == second["config_after"]
    assert second["containerd_before"] == second["containerd_after"], "containerd restarted on the second run"


def test_only_the_registry_tables_changed(host):
    before = original()
    after = host.file(CONFIG).content_string
    assert NVIDIA in before.splitlines(True) and NVIDIA in after.splitlines(True)
    assert outside_registry_tables(after) == outside_registry_tables(before)
    assert "registry.mirrors" in before and "registry.mirrors" not in after
    assert '      config_path = "/etc/containerd/certs.d"\n' in after.splitlines(True)


def test_containerd_runs_with_the_gpu_runtime_table(host):
    assert host.service("containerd").is_running
    hosts_toml = host.file("/etc/containerd/certs.d/docker.io/hosts.toml")
    assert hosts_toml.is_file and "127.0.0.1:5000" in hosts_toml.content_string
