"""The test nodes are real: CRI answers, the registry serves, a mirror pull lands in k8s.io."""
import json


testinfra_hosts = ["ansible://all"]

SOCKET = "unix:///run/containerd/containerd.sock"
IMAGE = "docker.io/pullfix/hello:1"


def cri(host, **args):
    result = host.ansible("kubenode.pullfix.cri_pull", json.dumps(args), check=False)
    assert not result.get("failed"), result.get("msg")
    return result


def test_systemd_is_pid1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    assert host.service("containerd").is_running


def test_cri_runtime_service_answers(host):
    version = cri(host, endpoint=SOCKET, action="version")["version"]
    assert version["runtime_name"] == "containerd"
    assert version["runtime_api_version"] == "v1"


def test_local_registry_serves_the_offline_image(host):
    out = host.check_output(
        "python3 -c 'import urllib.request as u; r = u.urlopen(u.Request("
        "\"http://127.0.0.1:5000/v2/pullfix/hello/manifests/1\", headers={\"Accept\": "
        "\"application/vnd.oci.image.manifest.v1+json\"})); print(r.status, r.headers[\"Docker-Content-Digest\"])'"
    )
    status, digest = out.split()
    assert status == "200"
    assert digest.startswith("sha256:")


def test_cri_pull_through_certs_d_mirror_lands_in_k8s_namespace(host):
    host.run("ctr -n k8s.io images rm %s" % IMAGE)
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    results = cri(host, endpoint=SOCKET, action="pull", images=[IMAGE])["results"]
    assert results[0]["ok"], results[0]["error"]
    assert results[0]["image_ref"].startswith("sha256:")
    names = host.check_output("ctr -n k8s.io images ls -q").split()
    assert IMAGE in names
    # The registry's access log is the witness that the mirror answered.
    log = host.check_output("journalctl -u docker-registry --since '%s' --no-pager -o cat" % since)
    assert "/v2/pullfix/hello/manifests/1" in log
