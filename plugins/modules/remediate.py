#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: remediate
short_description: Plan the remediations for a host and apply them in one call (internal to the collection's roles)
version_added: 0.2.0
description:
  - Internal to the collection's roles (used by the C(pipeline) role). Its options and results follow the roles and
    may change between releases. Use the C(kubenode.pullfix.fix_pull) and C(kubenode.pullfix.diagnose) playbooks or
    the roles instead.
  - Action plugin. Plans, on the controller, every remediation role the host needs, that is the roles its open findings name
    (their C(remediation) field) and the roles the settings ask for (for example C(registry_mirrors) asks for
    C(containerd_registry)), or the roles given in O(roles).
  - Sends every planned file change of every role to the node in one call of M(kubenode.pullfix.apply_changes).
    When nothing differs, nothing is sent to the node.
  - Invalid settings and plan errors (a file in the way that must not be replaced, a file that cannot be read whole)
    fail the host before anything is written.
  - Returns the services whose restart the changed files need; the C(kubenode.pullfix.pipeline) handlers restart
    them, wait for the runtime, gather again, verify, and roll back from the backups when the runtime does not come
    back.
author:
  - kubenode.pullfix maintainers (@kubenode)
options:
  roles:
    description:
      - Remediation roles to plan, without the collection prefix (for example V(containerd_registry)), or V(auto).
    type: list
    elements: str
    default: [auto]
  evidence:
    description:
      - The RV(kubenode.pullfix.node_evidence#module:evidence) of the host. It may hold credentials.
    type: dict
    required: true
  diagnosis:
    description:
      - The result of M(kubenode.pullfix.diagnose) for the same evidence (its runtime and findings).
    type: dict
    required: true
  settings:
    description:
      - The user's C(pullfix_*) settings without the prefix, as for M(kubenode.pullfix.diagnose).
    type: dict
    default: {}
  fail_on_errors:
    description:
      - Fail the host when a plan refuses (invalid settings, a file in the way); nothing is written either way.
      - V(false) returns the reasons in RV(errors) and lets the host go on to its report.
    type: bool
    default: true
extends_documentation_fragment:
  - kubenode.pullfix.attributes
  - kubenode.pullfix.attributes.platform
  - kubenode.pullfix.attributes.idempotent
attributes:
  check_mode:
    support: full
    details: Plans, validates the candidate files on the node and reports what would change; writes nothing.
  diff_mode:
    support: full
    details: Shows a diff per file; files holding credentials show none.
  idempotent:
    support: full
    details: A second run plans no change and makes no call on the node.
seealso:
  - module: kubenode.pullfix.apply_changes
  - module: kubenode.pullfix.diagnose
"""

EXAMPLES = r"""
- name: Fix what the findings and the settings ask for
  kubenode.pullfix.remediate:
    evidence: "{{ pullfix_evidence.evidence }}"
    diagnosis: "{{ pullfix_diagnosis }}"
    settings:
      registry_mirrors:
        docker.io:
          endpoints: [https://mirror.example.com]
  register: pullfix_remediation
"""

RETURN = r"""
roles:
  description: The roles planned, each with why.
  returned: always
  type: dict
  sample: {"containerd_registry": "finding containerd-config-path-unset"}
planned:
  description: The planned changes (path, action, reason, role, restart, mode), without their content.
  returned: always
  type: list
  elements: dict
changes:
  description: The files changed (or that would change, in check mode), with their backups.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /etc/containerd/config.toml
      action: updated
      backup: /etc/containerd/config.toml.20261122T031500-4242.pullfix~
      restart: containerd
      role: containerd_registry
      reason: "config.toml: config_path = /etc/containerd/certs.d"
restart:
  description: The restart keys of the changed files.
  returned: always
  type: list
  elements: str
  sample: [containerd]
restart_units:
  description: The systemd units to restart for them (for k3s and RKE2, only the active ones).
  returned: always
  type: list
  elements: str
  sample: [containerd.service]
reload_units:
  description:
    - The systemd units asked to re-read their configuration (restart key C(reload:<unit>), e.g. CRI-O for
      C(registries.conf)), when they are active and not restarted anyway.
  returned: always
  type: list
  elements: str
  sample: [crio.service]
wait_endpoint:
  description:
    - The CRI socket of the service the changes restart (containerd's own C([grpc] address), not kubelet's endpoint,
      which may be a proxy such as image-cri-shim); the handlers wait for it before verifying.
  returned: always
  type: str
  sample: unix:///run/containerd/containerd.sock
errors:
  description: Why a plan refused; when not empty nothing was written on the host.
  returned: always
  type: list
  elements: str
commands:
  description:
    - The node actions that are no file (a socket's mode, a tmpfiles link, an SELinux relabel), each with its C(role);
      once applied, each with C(ran) (false in check mode) and, when it ran, C(rc) and C(stderr).
  returned: always
  type: list
  elements: dict
  sample: [{"argv": ["chmod", "0660", "/run/containerd/containerd.sock"], "reason": "mode 0666", "role": "runtime_socket",
            "ran": true, "rc": 0}]
apply_error:
  description: Why applying the changes on the node failed (also in C(msg)); it outlives a C(failed_when) that keeps the
    host going to its report.
  returned: when the apply call failed
  type: str
diff:
  description: Before and after of every changed file (none for files holding credentials), as M(kubenode.pullfix.apply_changes) returns it.
  returned: in diff mode, when files changed
  type: list
  elements: dict
notes:
  description: What the planners want the user to know (for example a workaround that is not the real fix).
  returned: always
  type: list
  elements: str
"""
