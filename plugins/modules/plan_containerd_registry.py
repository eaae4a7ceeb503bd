#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: plan_containerd_registry
short_description: Plan the registry mirror files of containerd, k3s or RKE2 from gathered evidence
version_added: 0.1.0
description:
  - Runs on the controller only (action plugin). Takes the evidence returned by M(kubenode.pullfix.node_evidence),
    the runtime found by M(kubenode.pullfix.diagnose) and the user's settings, and returns the files to write.
  - Nothing is run on the node, nothing is changed. The role C(kubenode.pullfix.containerd_registry) applies the changes.
  - For containerd, one C(hosts.toml) per registry under the C(config_path) directory (files carrying the
    kubenode.pullfix marker line are owned and written whole; stale ones are removed; files without the marker
    are never touched), and a minimal edit of C(config.toml) that keeps comments and unrelated keys
    (C(config_path), deprecated C(mirrors) and C(configs.*.tls) moved into C(hosts.toml), a version 1 file
    converted to version 2, the CRI plugin removed from C(disabled_plugins), the sandbox image).
  - For k3s and RKE2, a minimal edit of C(/etc/rancher/k3s/registries.yaml) (C(/etc/rancher/rke2/registries.yaml));
    the generated C(certs.d) of k3s is never changed.
  - Only files whose content would differ are returned, so the steady state returns no change.
author:
  - kubenode.pullfix maintainers (@kubenode)
options:
  evidence:
    description:
      - The RV(kubenode.pullfix.node_evidence#module:evidence) dict returned by M(kubenode.pullfix.node_evidence).
      - It may hold credentials; register it with C(no_log) and do not print it.
    type: dict
    required: true
  runtime:
    description:
      - The RV(kubenode.pullfix.diagnose#module:runtime) dict returned by M(kubenode.pullfix.diagnose).
      - Its V(name) selects what is planned (V(containerd) or V(docker) for containerd, V(k3s), V(rke2)); its
        V(version) and V(containerd_version) select the config format.
    type: dict
    default: {}
  settings:
    description:
      - The user's C(pullfix_*) variables without the prefix. Used are V(registry_mirrors), V(sandbox_image),
        V(verify_images) and V(config_path) (the containerd config file, by default the C(--config) of the running
        containerd or C(/etc/containerd/config.toml)).
      - Invalid V(registry_mirrors) fail the task before anything is planned, with a message naming the key.
    type: dict
    default: {}
attributes:
  check_mode:
    description: The planner never changes anything, so it runs unchanged in check mode.
    support: full
  diff_mode:
    description: No diff is produced; the role shows the diff when it applies the changes.
    support: none
notes:
  - Needs tomlkit and PyYAML on the controller and Python 3.11 or later (for C(tomllib)).
seealso:
  - module: kubenode.pullfix.node_evidence
  - module: kubenode.pullfix.diagnose
"""

EXAMPLES = r"""
- name: Plan the registry files
  kubenode.pullfix.plan_containerd_registry:
    evidence: "{{ pullfix_gathered.evidence }}"
    runtime: "{{ pullfix_diagnosis.runtime }}"
    settings:
      registry_mirrors:
        docker.io:
          endpoints: [https://mirror.example.com]
      sandbox_image: registry.example.com/pause:3.10
  register: pullfix_plan
  no_log: true

- name: Show what would change
  ansible.builtin.debug:
    msg: "{{ pullfix_plan.changes | map(attribute='path') | list }}"
"""

RETURN = r"""
summary:
  description: "One line per planned change, C(action path: reason), without file contents (safe to print)."
  returned: always
  type: list
  elements: str
  sample:
    - "create /etc/containerd/certs.d/docker.io/hosts.toml: mirror for docker.io"
changes:
  description:
    - The files to write or remove; empty in the steady state.
    - The content may hold credentials when V(secret) is true.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Absolute path on the node.
      type: str
      sample: /etc/containerd/certs.d/docker.io/hosts.toml
    action:
      description: V(create), V(update) or V(remove).
      type: str
    content:
      description: The new text of the file, or null for V(remove).
      type: str
    mode:
      description: File mode, V(0600) when the file may hold credentials, else V(0644).
      type: str
    validate:
      description: V(containerd-config) when the candidate must pass C(containerd --config FILE config dump), else null.
      type: str
    restart:
      description: The service to restart after the change (V(containerd), V(k3s), V(rke2)), or null.
      type: str
    reason:
      description: One line saying why.
      type: str
    secret:
      description: True when the content holds credentials or headers.
      type: bool
    remove_empty_parent:
      description: Remove the parent directory when it is empty after the removal.
      type: bool
notes:
  description: Messages for people, for example an upgrade that is the real fix.
  returned: always
  type: list
  elements: str
  sample: ["k3s v1.32.2+k3s1: upgrade to v1.32.3+k3s1 is the real fix"]
errors:
  description: What the planner refused to do, with file and line, for example an unparsable C(config.toml).
  returned: always
  type: list
  elements: str
  sample: ["/etc/containerd/config.toml:3: Unexpected character: '\\n'; the file is left as it is"]
"""
