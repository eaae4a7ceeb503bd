"""Every containerd fact a real containerd here can show, compared with that containerd.

facts-debian12 runs containerd 1.6.20, facts-debian13 1.7.24, facts-debian13-c21 2.1.9. The
facts module is imported from the checkout (the collection path Molecule runs with)."""
import os
import tomllib

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import diagnose
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import parse_version
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import containerd as facts

from node_cri import MANIFEST, SOCKET, config_digest, cri, cri_pull, restart_containerd

testinfra_hosts = ["ansible://all"]

CONFIG = "/etc/containerd/config.toml"
MIRROR = "docker-registry"             # 127.0.0.1:5000
UPSTREAM = "docker-registry-upstream"  # 127.0.0.1:5001
UPSTREAM_IMAGE = "127.0.0.1:5001/pullfix/hello:1"
HUB_IMAGE = "docker.io/pullfix/hello:1"
PORT_HOSTS = "/etc/containerd/certs.d/127.0.0.1:5001/hosts.toml"
COLON = "/etc/containerd/certs.d:/etc/docker/certs.d"
# The CRI layout per major version: (config version, registry table as written, its key path,
# the sandbox image key path).
LAYOUT = {
    1: (2, 'plugins."io.containerd.grpc.v1.cri".registry', ("plugins", "io.containerd.grpc.v1.cri", "registry"),
        ("plugins", "io.containerd.grpc.v1.cri", "sandbox_image")),
    2: (3, 'plugins."io.containerd.cri.v1.images".registry', ("plugins", "io.containerd.cri.v1.images", "registry"),
        ("plugins", "io.containerd.cri.v1.images", "pinned_images", "sandbox")),
}
EKS_TEMPLATE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "unit", "fixtures", "corpus",
                            "containerd-config", "eks-al2023-nodeadm-template-v3.toml")


def version(host):
    text = cri(host, endpoint=SOCKET, action="version")["version"]["runtime_version"]
    parsed = parse_version(text)  # the doctor's own reading ("1.6.20~ds1", "2.1.9+unknown")
    assert parsed, text
    return parsed


def write(host, path, text):
    host.check_output("cat > %s <<'PULLFIX_EOF'\n%sPULLFIX_EOF" % (path, text))


def use_config(host, text):
    write(host, CONFIG, text)
    restart_containerd(host)


def lookup(data, keypath):
    for key in keypath:
        data = data.get(key) if isinstance(data, dict) else None
    return data


@pytest.fixture(scope="module")
def node(host):
    """(version, major) of the node's containerd; its config.toml is restored after the module."""
    host.check_output("cp -p %s %s.facts 2>/dev/null || touch %s.facts" % (CONFIG, CONFIG, CONFIG))
    v = version(host)
    yield v, facts.major(v)
    host.check_output("mv %s.facts %s" % (CONFIG, CONFIG))
    restart_containerd(host)


@pytest.fixture(scope="module")
def default_config(host):
    return tomllib.loads(host.check_output("containerd config default"))


def doctor(host, image):
    """The doctor on this node now: node_evidence's real gathering, diagnosed by the collection's core."""
    gathered = host.ansible("kubenode.pullfix.node_evidence", "", check=False)
    assert not gathered.get("failed"), gathered.get("msg")
    return diagnose(gathered["evidence"], {"explain_images": [image]})


# ---------------------------------------------------------------- `containerd config default`

def test_default_pause_image_is_the_fact(node, default_config):
    v, major = node
    assert lookup(default_config, LAYOUT[major][3]) == facts.default_pause(v)


def test_default_config_path_is_the_fact(node, default_config):
    v, major = node
    registry = lookup(default_config, LAYOUT[major][2]) or {}
    assert registry.get("config_path", "") == facts.default_config_path(v)


def test_defaults_keep_the_pull_path_the_facts_name(node, default_config):
    # The pull-path model takes disable_snapshot_annotations = true and max_concurrent_downloads = 3
    # as the defaults that keep the transfer service: the binary's own defaults must agree.
    v, major = node
    images = facts.effective_images_config([default_config])
    assert facts.local_pull_trigger(v, images) is None
    want = "transfer" if v >= facts.TRANSFER_PULL_SINCE else "local"
    assert facts.pull_path(v, images)[0] == want
    if major >= 2:
        assert images.get("disable_snapshot_annotations") is True
        assert images.get("max_concurrent_downloads") == 3
        assert not images.get("discard_unpacked_layers")


# ---------------------------------------------------------------- config_path and hosts.toml, pulled for real

def registry_config(major, config_path, extra=""):
    config_version, table = LAYOUT[major][:2]
    return 'version = %d\n%s\n[%s]\n  config_path = "%s"\n' % (config_version, extra, table, config_path)


def test_colon_list_config_path_is_split_as_the_facts_say(host, node, witness):
    v, major = node
    text = registry_config(major, COLON)
    use_config(host, text)
    mirror_digest = config_digest(host, "127.0.0.1:5000")  # before the witnesses: this reads the mirror too
    mirror, upstream = witness(MIRROR), witness(UPSTREAM)
    result = cri_pull(host, UPSTREAM_IMAGE)
    assert result["ok"], result["error"]
    images = facts.effective_images_config([tomllib.loads(text)])
    split = facts.splits_colon_list(v, images)
    served_by_mirror = result["image_ref"] == mirror_digest
    assert served_by_mirror is split, (v, facts.pull_path(v, images))
    assert mirror.saw(MANIFEST) is split and upstream.saw(MANIFEST) is not split


def test_referrers_capability_is_known_as_the_facts_say(host, node, witness):
    v, major = node
    use_config(host, registry_config(major, "/etc/containerd/certs.d"))
    before = host.file(PORT_HOSTS).content_string
    write(host, PORT_HOSTS, 'server = "http://127.0.0.1:5001"\n\n[host."http://127.0.0.1:5000"]\n'
                            '  capabilities = ["pull", "resolve", "referrers"]\n')
    try:
        result = cri_pull(host, UPSTREAM_IMAGE)
    finally:
        write(host, PORT_HOSTS, before)
    assert result["ok"], result["error"]
    # an unknown capability drops the whole file: the registry itself serves
    known = "referrers" in facts.capabilities(v)
    assert (result["image_ref"] == config_digest(host, "127.0.0.1:5000")) is known


# ---------------------------------------------------------------- the EKS AL2023 layout on 2.1.9

def eks_like():
    """The images half of nodeadm's containerd 2.x config (the runtime half needs EKS files)."""
    with open(EKS_TEMPLATE) as f:
        text = f.read()
    return text.split("[plugins.'io.containerd.cri.v1.runtime']", 1)[0]


VARIANTS = {
    "eks": lambda text: text,
    "eks-without-discard": lambda text: text.replace("discard_unpacked_layers = true\n", ""),
    "eks-use-local-image-pull": lambda text: text.replace("discard_unpacked_layers = true",
                                                          "use_local_image_pull = true"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_eks_layout_pull_path_and_doctor_agree_with_containerd(host, node, witness, variant):
    v, major = node
    if v < facts.TRANSFER_PULL_SINCE:
        pytest.skip("containerd %d.%d.%d has no transfer-service pull path" % v)
    text = VARIANTS[variant](eks_like())
    assert COLON in text
    images = facts.effective_images_config([tomllib.loads(text)])
    path, why = facts.pull_path(v, images)
    trigger = facts.local_pull_trigger(v, images)
    journal = witness("containerd")
    use_config(host, text)
    mirror = witness(MIRROR)
    result = cri_pull(host, HUB_IMAGE)
    # the node has no network: docker.io itself is unreachable, only the certs.d mirror can serve
    assert result["ok"] is (path == "local"), (variant, why, result["error"])
    assert mirror.saw(MANIFEST) is (path == "local")
    if trigger:
        assert journal.saw("Found '%s' in CRI config which is incompatible with transfer service" % trigger[0])
    assert journal.saw(facts.LOCAL_PULL_LOG) is bool(trigger)
    r = doctor(host, HUB_IMAGE)
    found = {f["id"]: f for f in r["findings"]}
    assert ("containerd-config-path-list" in found) is (path == "transfer"), found.keys()
    assert "containerd-config-path-unset" not in found
    errors = [f["id"] for f in r["findings"] if f["severity"] == "error"]
    assert bool(errors) is (path == "transfer"), errors
    route = [ep["url"] for ep in r["routes"][0]["endpoints"]]
    assert (route[0] == "http://127.0.0.1:5000/v2") is (path == "local"), route
    if path == "transfer":
        assert "transfer service" in found["containerd-config-path-list"]["explanation"]
