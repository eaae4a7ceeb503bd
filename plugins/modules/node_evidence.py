#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: node_evidence
short_description: Gather raw evidence about why a Kubernetes node cannot pull images, and verify pulls
version_added: 0.1.0
description:
  - Reads the container runtime, registry mirror, kubelet, crictl, k3s/RKE2, CRI-O and image-cri-shim
    configuration files of the node, lists the C(certs.d) and drop-in directories, looks at the relevant
    processes in C(/proc), asks systemd about the runtime related units in one C(systemctl show) call,
    runs C(<binary> --version) for the runtime binaries it finds, and connects to every known or mentioned
    CRI socket, probing the CRI runtime and image services.
  - It also asks the runtime for its own view (C(containerd config dump), CRI C(Status) with C(verbose), its
    journal lines about its configuration since it last started, C(kubeadm config images list)), each bounded in
    time and size, each failure recorded instead of failing the module.
  - It judges nothing. The result is raw material for the controller side diagnosis; the format is described
    in C(docs/evidence.md) of the collection.
  - It writes nothing on the node but the runtime's image store, and that only when O(verify_images) are given and
    one of them was not present (the result then says C(changed=true)).
  - The evidence may contain registry credentials, because the files that hold them are returned as they are.
    Register the result with C(no_log) and do not print it.
author:
  - kubenode.pullfix maintainers (@kubenode)
options:
  extra_files:
    description:
      - Additional absolute paths of files to read, for example a kubeadm configuration kept elsewhere.
      - They are recorded with the reason V(kubeadm-config) and searched for socket paths.
    type: list
    elements: str
    default: []
  socket_consumers:
    description:
      - systemd units (V(spegel) or V(spegel.service)) that connect to the runtime socket.
      - Their unit properties, unit files and the collection's drop-in for them are gathered, with
        V(/etc/group) and the collection's tmpfiles.d entry, for the C(runtime_socket) remediation.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  probe_timeout:
    description:
      - Seconds allowed for each socket connection and for each CRI probe.
    type: float
    default: 1.0
  file_cap:
    description:
      - Maximum number of bytes read from each file. Longer files are returned truncated.
    type: int
    default: 262144
  local_registry:
    description:
      - The node-local registry (C(host[:port]), read over plain http, or an http(s) URL). Its C(/v2/_catalog)
        and each repository's tags are listed (at most 100 repositories, 5 seconds in all, no proxy, no
        credentials) in C(evidence.local_registry).
    type: str
  wait_for:
    description:
      - A CRI endpoint (C(unix:///path)) to wait for before gathering, for example after the runtime was restarted.
      - The module asks C(RuntimeService/Version) every second until it answers or O(wait_timeout) passes, then
        gathers either way and reports the outcome in RV(wait).
    type: str
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for).
    type: float
    default: 60
  verify_images:
    description:
      - Images to pull through CRI C(PullImage) after gathering, in the same call, to prove the node pulls.
    type: list
    elements: str
    default: []
  verify_endpoint:
    description:
      - The CRI image endpoint for O(verify_images).
      - V(auto) takes kubelet's C(--image-service-endpoint) (else C(--container-runtime-endpoint)) from the running
        kubelet, else the first socket that serves the CRI image service, preferring those kubelet's files name.
        The controller compares RV(verify.endpoint) with the endpoint its diagnosis finds and verifies again when they
        differ.
    type: str
    default: auto
  verify_timeout:
    description:
      - Seconds allowed for each image's pull.
    type: float
    default: 120
extends_documentation_fragment:
  - kubenode.pullfix.attributes
  - kubenode.pullfix.attributes.platform
attributes:
  check_mode:
    support: full
    details: In check mode O(verify_images) are only looked up (C(ImageStatus)), not pulled; C(changed) tells whether
      a pull would add one.
  diff_mode:
    support: none
    details: The only change is a pulled image, which has no diff.
notes:
  - Only the Python standard library is needed on the node.
  - It must run as root (O(ignore:become) set in the play or task when the connection user is not root); otherwise it
    fails with a message that says so, instead of returning evidence in which every socket is unreachable.
seealso:
  - module: kubenode.pullfix.cri_pull
"""

EXAMPLES = r"""
- name: Gather pull evidence from the node (root is needed to read the runtime's files and dial its socket)
  kubenode.pullfix.node_evidence:
  become: true
  register: node_evidence
  no_log: true

- name: Also read a kubeadm configuration kept elsewhere, with faster probes
  kubenode.pullfix.node_evidence:
    extra_files:
      - /root/kubeadm-init.yaml
    probe_timeout: 0.5
  register: node_evidence
  no_log: true
"""

RETURN = r"""
wait:
  description: The outcome of O(wait_for).
  returned: when O(wait_for) is set
  type: dict
  sample: {"endpoint": "unix:///run/containerd/containerd.sock", "ok": true, "waited_ms": 2015, "error": null}
verify:
  description: The outcome of O(verify_images).
  returned: when O(verify_images) is not empty
  type: dict
  contains:
    endpoint:
      description: The image endpoint the images were pulled through, or V(null) when none could be chosen.
      type: str
      sample: unix:///run/containerd/containerd.sock
    chosen_by:
      description: Why that endpoint was used.
      type: str
      sample: kubelet process 812 --image-service-endpoint
    results:
      description: One entry per image, shaped like the C(results) of M(kubenode.pullfix.cri_pull).
      type: list
      elements: dict
      sample: [{"image": "registry.k8s.io/pause:3.10", "ok": true, "image_ref": "sha256:873ed751", "error": null}]
evidence:
  description:
    - Raw facts about the node, keyed as described in C(docs/evidence.md).
    - May contain registry credentials.
  returned: always
  type: dict
  contains:
    schema:
      description: Version of the evidence format.
      type: int
      sample: 1
    hostname:
      description: Host name of the node.
      type: str
      sample: node1
    python:
      description: Version of the node's Python interpreter.
      type: str
      sample: 3.11.2
    elapsed_ms:
      description: Milliseconds spent gathering.
      type: float
      sample: 41.7
    selinux:
      description: Whether selinuxfs is mounted and the raw content of its C(enforce) file.
      type: dict
      sample: {"mounted": false, "enforce": null}
    var_run:
      description: C(lstat) of C(/var/run).
      type: dict
      sample: {"type": "symlink", "mode": "0777", "uid": 0, "gid": 0, "size": 4, "target": "/run",
               "resolved_type": "dir", "resolved_path": "/run"}
    processes:
      description: Runtime, kubelet and registry processes with their command lines.
      type: list
      elements: dict
      sample: [{"pid": 46, "name": "containerd", "cmdline": ["/usr/bin/containerd"]}]
    versions:
      description: Output of C(<binary> --version) for each runtime binary found.
      type: dict
      sample:
        containerd:
          path: /usr/bin/containerd
          output: containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1
          rc: 0
          error: null
    files:
      description: Every file read, keyed by absolute path.
      type: dict
      sample:
        /etc/containerd/config.toml:
          stat: {"type": "file", "mode": "0644", "uid": 0, "gid": 0, "size": 255, "target": null,
                 "resolved_type": null, "resolved_path": null}
          content: "version = 2\n"
          truncated: false
          error: null
          why: [containerd-config]
    dirs:
      description: Every directory listed, keyed by absolute path.
      type: dict
      sample:
        /etc/containerd/certs.d:
          stat: {"type": "dir", "mode": "0755", "uid": 0, "gid": 0, "size": 4096, "target": null,
                 "resolved_type": null, "resolved_path": null}
          entries: [{"name": "docker.io", "type": "dir"}]
          truncated: false
          error: null
          why: [certs-d]
    sockets:
      description: Every socket path looked at, with the connection outcome and both CRI probes.
      type: dict
      sample:
        /run/containerd/containerd.sock:
          stat: {"type": "socket", "mode": "0660", "uid": 0, "gid": 0, "size": 0, "target": null,
                 "resolved_type": null, "resolved_path": null}
          selinux_label: null
          connect: ok
          connect_message: null
          runtime_probe: {"ok": true, "outcome": "ok", "grpc_status": null, "message": null,
                          "version": {"version": "0.1.0", "runtime_name": "containerd",
                                      "runtime_version": "1.6.20~ds1", "runtime_api_version": "v1"}}
          image_probe: {"ok": true, "outcome": "ok", "grpc_status": null, "message": null, "version": null}
          why: [known-default]
    runtime_view:
      description:
        - What the runtime says about itself, each part with its own error (see C(docs/evidence.md)).
        - C(containerd_config) is C(containerd config dump) of each running containerd, with the C(--config) it was started with.
        - C(cri_status) is CRI C(RuntimeService/Status) with C(verbose) on kubelet's runtime endpoint.
        - C(journal) holds containerd's log lines about its configuration since it last started, credentials redacted.
        - C(kubeadm_images) is C(kubeadm config images list) for kubelet's version, or V(null) without kubeadm.
      type: dict
      sample:
        containerd_config: [{"binary": "/usr/bin/containerd", "argv": ["/usr/bin/containerd", "config", "dump"],
                             "from": "process 74", "rc": 0, "output": "version = 3\n", "truncated": false,
                             "stderr": [], "error": null}]
        cri_status: {"endpoint": "unix:///run/containerd/containerd.sock", "chosen_by": "kubelet process 900 --container-runtime-endpoint",
                     "conditions": [{"type": "RuntimeReady", "status": true, "reason": "", "message": ""}],
                     "info": {"golang": "go1.19.8"}, "info_cut": [], "runtime_handlers": [], "features": null, "error": null}
        journal: {"unit": "containerd.service", "invocation_id": "0fdb2c708c7940f99b9e3a321c3d0e5c", "pid": 74,
                  "argv": ["/usr/bin/journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_INVOCATION_ID=0fdb2c708c7940f99b9e3a321c3d0e5c"],
                  "lines": [], "matched": 0, "truncated": false, "rc": 0, "error": null}
        kubeadm_images: null
    trust_store:
      description:
        - Change times (epoch seconds) of the system trust store files and the newest entries of its directories, and the start
          time of each running runtime with its C(SSL_CERT_FILE)/C(SSL_CERT_DIR) (see C(docs/evidence.md)).
      type: dict
      sample:
        files: {"/etc/ssl/certs/ca-certificates.crt": 1777543200.0}
        dirs: {"/etc/ssl/certs": {"mtime": 1777543200.4, "count": 290, "newest": [{"name": "6f7d0a94.0", "mtime": 1777543200.4}],
                                  "error": null}}
        runtimes: [{"pid": 812, "name": "containerd", "started_at": 1777539600.0, "env": {}}]
    systemd:
      description: Whether systemd is usable, and the properties of the runtime related units that exist.
      type: dict
      sample:
        available: true
        error: null
        not_found: [crio.service]
        units:
          containerd.service:
            LoadState: loaded
            ActiveState: active
            SubState: running
            UnitFileState: enabled
            FragmentPath: /lib/systemd/system/containerd.service
            DropInPaths: []
            After: [network.target, local-fs.target]
            ExecStart: /usr/bin/containerd
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubenode.pullfix.plugins.module_utils._cri import check_image, parse_endpoint, wait_until_serving
from ansible_collections.kubenode.pullfix.plugins.module_utils._evidence import KNOWN_SOCKETS, gather

_ENDPOINT_FLAGS = ("--image-service-endpoint", "--container-runtime-endpoint")
# Without root every socket probe fails with EACCES and the evidence would read as a
# permission problem of the node (cri-endpoint-permission-denied): refuse instead.
NOT_ROOT = ("node_evidence runs as uid %d, not root: run it with become (root is needed to read the runtime's "
            "configuration files and its processes' /proc entries, and to dial the runtime socket); without root "
            "every socket probe fails with 'permission denied' and the evidence would blame the node")


def _flag(argv, name):
    for i, arg in enumerate(argv or ()):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
    return None


def _unix(path):
    return path if "://" in path else "unix://" + path


def guess_image_endpoint(evidence):
    """(endpoint, why) kubelet most likely pulls through; (None, reason) when nothing serves images.

    A guess made on the node so that a steady-state run verifies in its single call; the
    controller's diagnosis decides, and verifies again when it finds another endpoint.
    """
    for proc in evidence.get("processes") or ():
        if proc.get("name") != "kubelet":
            continue
        for flag in _ENDPOINT_FLAGS:
            value = _flag(proc.get("cmdline"), flag)
            if value:
                return _unix(value), "kubelet process %s %s" % (proc.get("pid"), flag)
    sockets = evidence.get("sockets") or {}

    def serves_images(path):
        return ((sockets.get(path) or {}).get("image_probe") or {}).get("ok")

    for path in sorted(sockets):
        why = sockets[path].get("why") or ()
        if serves_images(path) and any("kubelet" in w for w in why):
            return _unix(path), "named by kubelet's configuration"
    for path in KNOWN_SOCKETS:
        if serves_images(path):
            return _unix(path), "first well-known socket serving the CRI image service"
    return None, "no socket serves the CRI image service"


def verify(evidence, images, endpoint, timeout, check_mode):
    """Pull each image through the image endpoint; returns (result, changed): a pull of an image that was
    not present writes the runtime's image store (in check mode: would write it)."""
    chosen_by = "verify_endpoint"
    if endpoint == "auto":
        endpoint, chosen_by = guess_image_endpoint(evidence)
    result = {"endpoint": endpoint, "chosen_by": chosen_by, "results": []}
    changed = False
    for image in images:
        if endpoint is None:
            result["results"].append({"image": image, "ok": False, "image_ref": None, "error": chosen_by,
                                      "error_kind": "missing", "grpc_status": None})
            continue
        entry, pulled_new = check_image(endpoint, image, pull=True, timeout=timeout, check_mode=check_mode)
        result["results"].append(entry)
        changed = changed or pulled_new
    return result, changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            extra_files=dict(type="list", elements="str", default=[]),
            probe_timeout=dict(type="float", default=1.0),
            socket_consumers=dict(type="list", elements="str", default=[]),
            file_cap=dict(type="int", default=262144),
            local_registry=dict(type="str"),
            wait_for=dict(type="str"),
            wait_timeout=dict(type="float", default=60),
            verify_images=dict(type="list", elements="str", default=[]),
            verify_endpoint=dict(type="str", default="auto"),
            verify_timeout=dict(type="float", default=120),
        ),
        supports_check_mode=True,
    )
    if os.geteuid() != 0:
        module.fail_json(msg=NOT_ROOT % os.geteuid())
    extra_files = module.params["extra_files"]
    relative = [path for path in extra_files if not os.path.isabs(path)]
    if relative:
        module.fail_json(msg="extra_files must be absolute paths: %s" % ", ".join(relative))
    if module.params["probe_timeout"] <= 0:
        module.fail_json(msg="probe_timeout must be greater than 0")
    if module.params["file_cap"] < 0:
        module.fail_json(msg="file_cap must not be negative")
    for name in ("wait_for", "verify_endpoint"):
        value = module.params[name]
        if value and not (name == "verify_endpoint" and value == "auto"):
            try:
                parse_endpoint(value)
            except ValueError as exc:
                module.fail_json(msg="%s: %s" % (name, exc))
    result = {"changed": False}
    if module.params["wait_for"]:
        result["wait"] = wait_until_serving(module.params["wait_for"], timeout=module.params["wait_timeout"])
    evidence = gather(
        root="/",
        extra_files=extra_files,
        probe_timeout=module.params["probe_timeout"],
        file_cap=module.params["file_cap"],
        socket_consumers=module.params["socket_consumers"],
        local_registry=module.params["local_registry"],
    )
    result["evidence"] = evidence
    if module.params["verify_images"]:
        result["verify"], result["changed"] = verify(evidence, module.params["verify_images"],
                                                     module.params["verify_endpoint"], module.params["verify_timeout"],
                                                     module.check_mode)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
