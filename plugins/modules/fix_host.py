#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: fix_host
short_description: A host's whole fix-pull run in one task (internal to the collection's playbooks)
version_added: 0.5.0
description:
  - Internal to the collection's playbooks (used by C(playbooks/fix_pull.yml) through the C(pipeline) role). Its
    options and results follow the playbook and may change between releases. Use the C(kubenode.pullfix.fix_pull)
    playbook or the roles instead.
  - Action plugin. One call of M(kubenode.pullfix.node_evidence) gathers the evidence and makes the verification pulls;
    the diagnosis (as M(kubenode.pullfix.diagnose)) and the plans of every remediation the host needs (as
    M(kubenode.pullfix.remediate)) run on the controller. With nothing to change, that is the only call on the node.
  - When something differs, one call of M(kubenode.pullfix.apply_changes) writes every change, a second one restarts
    and reloads what the changes need, and one call of M(kubenode.pullfix.node_evidence) waits for the runtime,
    gathers again and verifies; the host is diagnosed again, with the findings the run fixed marked C(fixed).
  - When a restarted runtime does not answer CRI Version within O(restart_timeout), this run's files are put back from
    their backups, the services restarted with them, and the node gathered and diagnosed again; RV(rollback) says so.
  - The evidence stays inside the action (it may hold credentials) and is not returned.
author:
  - kubenode.pullfix maintainers (@kubenode)
options:
  gather:
    description:
      - The options of M(kubenode.pullfix.node_evidence) for every gathering of this run (C(extra_files),
        C(socket_consumers), C(local_registry)); unset (null) ones are left out.
    type: dict
    default: {}
  verify_images:
    description:
      - Images pulled through kubelet's image endpoint, in the first gathering and again after a change.
    type: list
    elements: str
    default: []
  settings:
    description:
      - The user's C(pullfix_*) settings without the prefix, as for M(kubenode.pullfix.diagnose).
    type: dict
    default: {}
  roles:
    description:
      - Remediation roles to plan, without the collection prefix (for example V(containerd_registry)), or V(auto).
    type: list
    elements: str
    default: [auto]
  only:
    description:
      - The roles this run may plan (the playbook passes those its tags select); unset, every role.
    type: list
    elements: str
  fail_on_errors:
    description:
      - Fail the host when a plan refuses (invalid settings, a file in the way); nothing is written either way.
      - V(false) returns the reasons in RV(errors) and lets the host go on to its report.
    type: bool
    default: true
  restart_timeout:
    description:
      - Seconds to wait for a restarted runtime to answer CRI Version before the rollback.
    type: int
    default: 120
extends_documentation_fragment:
  - kubenode.pullfix.attributes
  - kubenode.pullfix.attributes.platform
  - kubenode.pullfix.attributes.idempotent
attributes:
  check_mode:
    support: full
    details: Gathers, plans, validates the candidate files on the node and reports what would change; writes nothing.
  diff_mode:
    support: full
    details: Shows a diff per file; files holding credentials show none.
  idempotent:
    support: full
    details: A second run plans no change and makes one call on the node, the gathering.
seealso:
  - module: kubenode.pullfix.node_evidence
  - module: kubenode.pullfix.diagnose
  - module: kubenode.pullfix.remediate
  - module: kubenode.pullfix.apply_changes
"""

EXAMPLES = r"""
- name: Gather, diagnose, fix and verify
  kubenode.pullfix.fix_host:
    verify_images: [registry.k8s.io/pause:3.10]
    settings:
      registry_mirrors:
        docker.io:
          endpoints: [https://mirror.example.com]
  register: pullfix_remediation
"""

RETURN = r"""
diagnosis:
  description:
    - The host's last diagnosis, as M(kubenode.pullfix.diagnose) returns it (runtime, findings, counts, routes,
      verify); after a change, the diagnosis of the node as the change left it, the findings it fixed marked C(fixed).
  returned: always
  type: dict
rollback:
  description: The rollback after a runtime that did not come back (C(msg) says why).
  returned: when this run's files were put back
  type: dict
wait:
  description: Whether the runtime answered after the restart (C(ok), C(error)).
  returned: after a change
  type: dict

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
