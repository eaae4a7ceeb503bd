#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: diagnose
short_description: Find why a Kubernetes node cannot pull images, from gathered evidence (internal to the collection's roles)
version_added: 0.1.0
description:
  - Internal to the collection's roles (used by the C(pipeline) and C(doctor) roles). Its options and results follow
    the roles and may change between releases. Use the C(kubenode.pullfix.fix_pull) and C(kubenode.pullfix.diagnose)
    playbooks or the roles instead.
  - Runs on the controller only (action plugin). Takes the evidence returned by M(kubenode.pullfix.node_evidence)
    and returns the detected container runtime and a list of findings with stable ids.
  - Nothing is run on the node, nothing is changed.
  - Each finding has an id, a severity (V(error), V(warning), V(info)), a title, evidence lines (C(file:line text)
    where a file is involved, with secrets redacted), an explanation and the remediation role that fixes it (or
    V(manual)). The ids are documented in C(docs/findings.md) of the collection.
  - Findings are sorted by severity, then id, and the result is deterministic.
author:
  - kubenode.pullfix maintainers (@kubenode)
options:
  evidence:
    description:
      - The RV(kubenode.pullfix.node_evidence#module:evidence) dict returned by M(kubenode.pullfix.node_evidence).
      - It may hold credentials; register it with C(no_log) and do not print it.
    type: dict
    required: true
  settings:
    description:
      - The user's C(pullfix_*) variables without the prefix, for example V(runtime), V(registry_mirrors),
        V(search_registries), V(short_name_mode), V(local_registry), V(sandbox_image), V(verify_images),
        V(socket_group), V(explain_images), V(explain_podman).
      - Some findings only apply when a setting is given, for example C(search-registries-mismatch) needs
        V(search_registries) and C(sandbox-image-not-local) needs V(local_registry) or V(sandbox_image).
    type: dict
    default: {}
  previous:
    description:
      - An earlier result of this action for the same host, typically taken before a fix was applied.
      - Its findings that are gone now are kept in RV(findings) with C(fixed=true); RV(counts) counts only
        the findings still open.
    type: dict
  verify:
    description:
      - The RV(kubenode.pullfix.node_evidence#module:verify) result of the same gathering call.
      - Returned as RV(verify) when its endpoint is the image endpoint this diagnosis finds for kubelet;
        otherwise the images of O(verify_images) are pulled again through that endpoint (one more node call)
        and returned as RV(verify); without O(verify_images), RV(verify_pending) is true.
      - A failed pull through that endpoint becomes a finding of its class (C(pull-unauthorized),
        C(pull-tls-unknown-authority), ...) naming the endpoint that failed.
    type: dict
  verify_images:
    description:
      - The images to pull again through kubelet's image endpoint when O(verify) went through another one.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - kubenode.pullfix.attributes
  - kubenode.pullfix.attributes.platform
attributes:
  check_mode:
    details: The diagnosis never changes anything, so it runs unchanged in check mode.
    support: full
  diff_mode:
    details: No diff is produced.
    support: none
notes:
  - Needs PyYAML on the controller and Python 3.11 or later (for C(tomllib)).
seealso:
  - module: kubenode.pullfix.node_evidence
  - module: kubenode.pullfix.report
"""

EXAMPLES = r"""
- name: Gather evidence on the node
  kubenode.pullfix.node_evidence:
  register: pullfix_gathered
  no_log: true

- name: Diagnose
  kubenode.pullfix.diagnose:
    evidence: "{{ pullfix_gathered.evidence }}"
    settings:
      runtime: auto
      search_registries: [docker.io]
      local_registry: sealos.hub:5000
  register: pullfix_diagnosis

- name: Show the error findings
  ansible.builtin.debug:
    msg: "{{ pullfix_diagnosis.findings | selectattr('severity', 'equalto', 'error') | map(attribute='id') | list }}"
"""

RETURN = r"""
runtime:
  description: The container runtime kubelet uses, and how that was decided.
  returned: always
  type: dict
  contains:
    name:
      description: V(containerd), V(k3s), V(rke2), V(k0s), V(crio), V(docker) or V(unknown).
      type: str
      sample: containerd
    version:
      description: Runtime version (k3s/RKE2 release such as V(v1.32.2+k3s1) for those), or null.
      type: str
      sample: 1.6.20
    endpoint:
      description: Kubelet's runtime endpoint (configured, or the runtime's default).
      type: str
      sample: unix:///run/containerd/containerd.sock
    image_endpoint:
      description: Kubelet's image service endpoint (the runtime endpoint when not set separately).
      type: str
      sample: unix:///run/containerd/containerd.sock
    source:
      description: How the runtime was decided.
      type: str
      sample: "kubelet runtime endpoint unix:///run/containerd/containerd.sock (...), runtime_name from CRI Version"
    containerd_version:
      description: Version of the containerd that serves CRI (also for k3s/RKE2/k0s when known), or null.
      type: str
      sample: 1.6.20
findings:
  description: The findings, sorted by severity then id; each id appears at most once.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Stable finding id, documented in C(docs/findings.md).
      type: str
      sample: containerd-cri-disabled
    severity:
      description: V(error), V(warning) or V(info).
      type: str
    title:
      description: One line summary.
      type: str
    evidence:
      description: Evidence lines, C(file:line text) where a file is involved; secrets are redacted.
      type: list
      elements: str
      sample: ['/etc/containerd/config.toml:1 disabled_plugins = ["cri"]']
    explanation:
      description: What was expected and what was found.
      type: str
    remediation:
      description: The role that fixes it (for example V(kubenode.pullfix.containerd_registry)), or V(manual).
      type: str
    fixed:
      description: V(true) for a finding of O(previous) that this run's remediation made go away (it is kept, marked
        fixed); V(false) otherwise.
      type: bool
    category:
      description: V(pull) (kubelet's pulls), V(consumer) (another tool on the node), V(security) or V(hygiene).
      type: str
      sample: pull
    caused_by:
      description: The id of the finding this one is a consequence of (reports list root causes first), or V(null).
      type: str
      sample: containerd-config-path-unset
counts:
  description: Number of findings per severity.
  returned: always
  type: dict
  sample: {"error": 1, "warning": 0, "info": 1}
verify:
  description: The verification pulls of O(verify), when they went through kubelet's image endpoint.
  returned: when O(verify) was given and its endpoint is kubelet's image endpoint, or O(verify_images) were pulled again
  type: dict
  sample: {"endpoint": "unix:///run/containerd/containerd.sock",
           "results": [{"image": "registry.k8s.io/pause:3.10", "ok": true, "image_ref": "sha256:873ed751"}]}
routes:
  description:
    - For each image of the settings V(verify_images) and V(explain_images), the endpoints the runtime tries, in
      order, each with the file and line (or the rule) that put it there. See C(docs/explain.md).
  returned: always
  type: list
  elements: dict
  sample: [{"image": "nginx:1.27", "name": "docker.io/library/nginx:1.27", "runtime": "containerd 1.7.24",
            "endpoints": [{"url": "http://127.0.0.1:5000/v2",
                           "from": "/etc/containerd/certs.d/docker.io/hosts.toml:3 [host.\"http://127.0.0.1:5000\"]"},
                          {"url": "https://registry-1.docker.io/v2",
                           "from": "/etc/containerd/certs.d/docker.io/hosts.toml:1 server = \"https://registry-1.docker.io\""}]}]
route_text:
  description: RV(routes) as text lines, as C(playbooks/explain.yml) prints them.
  returned: always
  type: list
  elements: str
version_check:
  description:
    - CRI C(Version) on kubelet's runtime endpoint, as the gathering probed it (the pulls prove the image endpoint, this
      proves the runtime endpoint).
  returned: always
  type: dict
  contains:
    endpoint:
      description: Kubelet's runtime endpoint, or V(null) when none was found.
      type: str
      sample: unix:///run/containerd/containerd.sock
    ok:
      description: Whether the runtime answered C(Version).
      type: bool
      sample: true
    outcome:
      description: V(ok), the CRI client error kind (for example V(permission_denied), V(unimplemented)), or V(not probed).
      type: str
      sample: ok
    runtime_name:
      description: The runtime's name as it answered, or V(null).
      type: str
      sample: containerd
    runtime_version:
      description: The runtime's version as it answered, or V(null).
      type: str
      sample: 1.6.20~ds1
verify_pending:
  description: The pulls of O(verify) went through another endpoint and must be made again.
  returned: when O(verify) was given and its endpoint is not kubelet's image endpoint
  type: bool
  sample: true
"""
