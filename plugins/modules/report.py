#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: report
short_description: Write the per-host and fleet report of a pullfix run (internal to the collection's roles)
version_added: 0.1.0
description:
  - Internal to the collection's roles (used by the C(pipeline) role). Its options and results follow the roles and
    may change between releases. Use the C(kubenode.pullfix.fix_pull) and C(kubenode.pullfix.diagnose) playbooks or
    the roles instead.
  - Runs on the controller only (action plugin). Renders what each host had wrong, what was changed and what the
    verification pulled.
  - With O(report_dir) it writes C(<report_dir>/<host>.json), C(summary.md) (fleet table and findings with evidence
    and remediation) and C(junit.xml) (a test suite per host, a test case per finding id and per verified image;
    unfixed error findings and failed verifications are failures).
  - Files are written atomically (temporary file and rename) and only when their bytes change; the output holds no
    timestamps, so a steady-state run reports no change.
  - Always returns RV(summary), a per-host table to print with M(ansible.builtin.debug).
author:
  - kubenode.pullfix maintainers (@kubenode)
options:
  hosts:
    description:
      - One entry per host, either a host name or a dict.
      - A host name is looked up in C(hostvars) - C(pullfix_diagnosis) (registered from M(kubenode.pullfix.diagnose),
        its C(verify) included) and C(pullfix_remediation) (registered from M(kubenode.pullfix.remediate) - changes,
        notes, refusals). A host without a diagnosis (unreachable, or failed earlier) is reported with the finding
        C(host-not-diagnosed).
      - A dict has the keys C(host), C(runtime), C(findings), C(changes) (C(path), C(action), C(backup)), C(notes) and
        C(verify) (C(image), C(ok), C(image_ref), C(error)).
    type: list
    elements: raw
    required: true
  report_dir:
    description:
      - Controller directory for the report files; created when missing.
      - When null, nothing is written and only RV(summary) is returned.
    type: path
extends_documentation_fragment:
  - kubenode.pullfix.attributes
  - kubenode.pullfix.attributes.platform
attributes:
  check_mode:
    details: The report is written in check mode too (it is output on the controller, not state of a node); a host
      whose files would change has the outcome C(would change).
    support: full
  diff_mode:
    details: No diff is produced.
    support: none
seealso:
  - module: kubenode.pullfix.diagnose
"""

EXAMPLES = r"""
- name: Write the fleet report
  kubenode.pullfix.report:
    hosts: "{{ ansible_play_hosts_all }}"
    report_dir: "{{ pullfix_report_dir }}"
  run_once: true
  register: pullfix_report

- name: Print the summary table
  ansible.builtin.debug:
    var: pullfix_report.summary
  run_once: true
"""

RETURN = r"""
changes:
  description: "What the run wrote, host by host, with the backup to restore from, then the planners' notes."
  returned: always
  type: list
  elements: str
  sample:
    - "node1: updated /etc/containerd/config.toml (backup /etc/containerd/config.toml.20261122T031500-4242.pullfix~)"
open_findings:
  description: "One line per open error or warning finding, host by host: C(host: SEVERITY id - title)."
  returned: always
  type: list
  elements: str
  sample:
    - "node1: ERROR   cri-endpoint-missing - Kubelet's CRI endpoint socket does not exist"
summary:
  description:
    - "Per-host table lines: host | runtime | version | errors | warnings | causes | fixed | verify ok/total |
      CRI Version | outcome."
    - C(causes) names the root causes of the open findings; C(CRI Version) is V(ok) or V(FAILED (<outcome>)) for
      C(Version) on kubelet's runtime endpoint; C(outcome) is empty, or V(would change), V(refused), V(apply failed),
      V(rolled back), V(not diagnosed) or V(not reached).
  returned: always
  type: list
  elements: str
  sample:
    - "host  | runtime    | version | errors | warnings | causes | fixed | verify ok/total | CRI Version | outcome"
    - "------+------------+---------+--------+----------+--------+-------+-----------------+-------------+--------"
    - "node1 | containerd | 1.6.20  | 0      | 0        | -      | 2     | 2/2             | ok          |"
files:
  description: Every report file for this run (written now or already up to date).
  returned: always
  type: list
  elements: str
  sample: ["/tmp/pullfix/node1.json", "/tmp/pullfix/junit.xml", "/tmp/pullfix/summary.md"]
changed_files:
  description: The report files whose bytes changed.
  returned: always
  type: list
  elements: str
"""
