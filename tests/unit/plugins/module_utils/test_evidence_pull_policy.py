# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gather step for pull policy inputs: credential provider config and plugin heads, signature
policies, k3s/RKE2 containerd templates (read_pull_policy_inputs)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import os
import shutil
import tempfile

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils._evidence import gather
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import credential_provider


def put(root, node_path, data, mode=0o644):
    host = root + node_path
    if not os.path.isdir(os.path.dirname(host)):
        os.makedirs(os.path.dirname(host))
    with open(host, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.chmod(host, mode)


@pytest.fixture
def root():
    path = tempfile.mkdtemp(prefix="ev", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_credential_provider_directory_and_musl_plugin(root):
    put(root, "/var/lib/kubelet/kubeadm-flags.env", 'KUBELET_KUBEADM_ARGS="--image-credential-provider-config='
        '/etc/kubernetes/cp --image-credential-provider-bin-dir /usr/libexec/kubernetes/cp"\n')
    put(root, "/etc/kubernetes/cp/10-ecr.yaml", "kind: CredentialProviderConfig\n")
    put(root, "/etc/kubernetes/cp/notes.txt", "not read\n")
    with open("/bin/ls", "rb") as handle:
        head = handle.read(4096)
    glibc = credential_provider.elf_interpreter(head)
    assert glibc and glibc.startswith("/lib")
    musl = b"/lib/ld-musl-x86_64.so.1".ljust(len(glibc), b"\0")
    put(root, "/usr/libexec/kubernetes/cp/ecr-credential-provider", head.replace(glibc.encode(), musl), mode=0o755)
    ev = gather(root=root, probe_timeout=0.1)
    assert ev["files"]["/etc/kubernetes/cp/10-ecr.yaml"]["why"] == ["credential-provider"]
    assert "/etc/kubernetes/cp/notes.txt" not in ev["files"]
    plugin = ev["executables"]["/usr/libexec/kubernetes/cp/ecr-credential-provider"]
    assert plugin["stat"]["mode"] == "0755"
    assert credential_provider.elf_interpreter(base64.b64decode(plugin["head"])) == "/lib/ld-musl-x86_64.so.1"
    assert plugin["interpreters"] == {"/lib/ld-musl-x86_64.so.1": False}


def test_no_flags_no_executables(root):
    ev = gather(root=root, probe_timeout=0.1)
    assert ev["executables"] == {}
    assert not [p for p, e in ev["files"].items() if "credential-provider" in e["why"]]


def test_signature_policies_and_templates(root):
    put(root, "/etc/crio/crio.conf.d/10-policy.conf", '[crio.image]\nsignature_policy = "/etc/crio/policy.json"\n'
        'signature_policy_dir = "/etc/crio/ns"\n')
    put(root, "/etc/crio/ns/team.json", "{}")
    put(root, "/etc/containers/policy.json", '{"default": [{"type": "insecureAcceptAnything"}]}')
    put(root, "/var/lib/rancher/k3s/agent/etc/containerd/config.toml", "version = 3\n")
    put(root, "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl", '{{ template "base" . }}\n')
    ev = gather(root=root, probe_timeout=0.1)
    files = ev["files"]
    assert files["/etc/containers/policy.json"]["content"].startswith('{"default"')
    assert files["/etc/crio/policy.json"]["error"]["kind"] == "missing"
    assert files["/root/.config/containers/policy.json"]["error"]["kind"] == "missing"
    assert files["/etc/crio/ns/team.json"]["why"] == ["signature-policy"]
    assert files["/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl"]["why"] == ["k3s-template"]
    assert "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl" not in files
