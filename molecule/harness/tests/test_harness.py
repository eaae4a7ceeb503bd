"""The test nodes are real: CRI answers, the registries serve, certs.d mirrors apply as each containerd says."""

import pytest

from node_cri import MANIFEST, SOCKET, config_digest, cri, cri_pull, restart_containerd

testinfra_hosts = ["ansible://all"]

IMAGE = "docker.io/pullfix/hello:1"
UPSTREAM_IMAGE = "127.0.0.1:5001/pullfix/hello:1"
MIRROR = "docker-registry"             # 127.0.0.1:5000
UPSTREAM = "docker-registry-upstream"  # 127.0.0.1:5001
CONFIG = "/etc/containerd/config.toml"
WITHOUT_CONFIG_PATH = "/etc/pullfix-harness/config-without-config-path.toml"
# The CRI registry table that holds config_path, per config version.
REGISTRY_TABLE = {2: 'plugins."io.containerd.grpc.v1.cri".registry', 3: 'plugins."io.containerd.cri.v1.images".registry'}


def platform(host):
    return host.ansible.get_variables()


def test_systemd_is_pid1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    assert host.service("containerd").is_running


def test_cri_runtime_service_answers_with_the_platform_containerd(host):
    version = cri(host, endpoint=SOCKET, action="version")["version"]
    assert version["runtime_name"] == "containerd"
    assert version["runtime_api_version"] == "v1"
    assert version["runtime_version"].startswith(platform(host)["harness_containerd_series"] + "."), version


def test_local_registry_serves_the_offline_image(host):
    out = host.check_output(
        "python3 -c 'import urllib.request as u; r = u.urlopen(u.Request("
        "\"http://127.0.0.1:5000/v2/pullfix/hello/manifests/1\", headers={\"Accept\": "
        "\"application/vnd.oci.image.manifest.v1+json\"})); print(r.status, r.headers[\"Docker-Content-Digest\"])'"
    )
    status, digest = out.split()
    assert status == "200"
    assert digest.startswith("sha256:")


def test_the_two_registries_hold_different_images_under_one_name(host):
    # What makes image_ref a witness of which registry served a pull.
    assert config_digest(host, "127.0.0.1:5000") != config_digest(host, "127.0.0.1:5001")


def test_config_names_certs_d_in_the_registry_table_of_its_version(host):
    version = platform(host)["harness_config_version"]
    assert host.file(CONFIG).content_string.startswith("version = %d\n" % version)
    # containerd's own reading of the file, not only its text (2.x dumps single quotes).
    dump = host.check_output("containerd --config %s config dump" % CONFIG).replace("'", '"')
    table = dump.split("[%s]" % REGISTRY_TABLE[version], 1)[1].split("[", 1)[0]
    assert 'config_path = "/etc/containerd/certs.d"' in table


def test_cri_pull_through_certs_d_mirror_lands_in_k8s_namespace(host, witness):
    mirror = witness(MIRROR)
    result = cri_pull(host, IMAGE)
    assert result["ok"], result["error"]
    assert result["image_ref"] == config_digest(host, "127.0.0.1:5000")
    assert IMAGE in host.check_output("ctr -n k8s.io images ls -q").split()
    assert mirror.saw(MANIFEST)


def test_config_path_sends_a_registry_with_port_to_its_mirror(host, witness):
    mirror, upstream = witness(MIRROR), witness(UPSTREAM)
    result = cri_pull(host, UPSTREAM_IMAGE)
    assert result["ok"], result["error"]
    assert result["image_ref"] == config_digest(host, "127.0.0.1:5000")
    assert mirror.saw(MANIFEST)
    assert not upstream.saw("/v2/pullfix/hello/")


@pytest.fixture
def config_without_config_path(host):
    """containerd restarted on a config of the same version that names no registry option."""
    host.check_output("cp -p %s %s.harness && cp %s %s" % (CONFIG, CONFIG, WITHOUT_CONFIG_PATH, CONFIG))
    try:
        restart_containerd(host)
        yield
    finally:
        host.check_output("mv %s.harness %s" % (CONFIG, CONFIG))
        restart_containerd(host)


def test_without_config_path_certs_d_is_not_read_and_the_registry_itself_serves(host, config_without_config_path, witness):
    # Proven here for containerd 1.6, 1.7 and 2.1: none of them defaults config_path for CRI pulls.
    assert "config_path" not in host.file(CONFIG).content_string
    assert host.file("/etc/containerd/certs.d/127.0.0.1:5001/hosts.toml").exists
    mirror, upstream = witness(MIRROR), witness(UPSTREAM)
    result = cri_pull(host, UPSTREAM_IMAGE)
    assert result["ok"], result["error"]
    assert result["image_ref"] == config_digest(host, "127.0.0.1:5001")
    assert upstream.saw(MANIFEST)
    assert not mirror.saw("/v2/pullfix/hello/")
