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
  - It writes C(<report_dir>/<host>.json), C(summary.md) (fleet table and findings with evidence
    and remediation) and C(junit.xml) (a test suite per host, a test case per finding id and per verified image;
    unfixed error findings and failed verifications are failures).
  - Files are written atomically (temporary file and rename) and only when their bytes change; the output holds no
    timestamps, so a steady-state run reports no change.
  - Returns RV(console), what the play prints at the end (M(ansible.builtin.debug) with C(msg)), and RV(verdicts),
    which hosts the run fails under O(fail_on) and why.
  - Every evidence line, explanation, note and pull error is redacted by shape before it is written or returned
    (URL userinfo, C(token=), C(password=), C(sig=) and other secret-named query, flag and JSON values,
    C(Authorization) headers, bearer tokens).
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
      - A dict has the keys C(host), C(runtime), C(findings), C(changes) (C(path), C(action), C(backup)), C(notes),
        C(verify) (C(image), C(ok), C(pulled), C(present_before), C(image_ref), C(error)) and C(remediations) (the roles
        planned on the host in this run; null when no remediation step ran).
    type: list
    elements: raw
    required: true
  report_dir:
    description:
      - Controller directory for the report files; created when missing.
      - When null, C(pullfix-report) in the directory ansible-playbook runs in.
    type: path
  fail_on:
    description:
      - What fails a host in RV(verdicts). V(responsible) - a change that failed or was rolled back, a plan that
        refused, a verification pull that failed (not in check mode), or an open error in a file the finding's
        remediation changed in this run. V(error) - also every other open error. V(never) - no host.
    type: str
    choices: [responsible, error, never]
    default: responsible
    version_added: 0.5.0
  judge:
    description:
      - Whether the play fails hosts after the report. V(false) (the doctor) - RV(verdicts) fail no host and the
        console has no "Failing" section.
    type: bool
    default: true
    version_added: 0.5.0
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
    fail_on: responsible
  run_once: true
  delegate_to: localhost
  register: pullfix_report

- name: Print the summary, one line per line
  ansible.builtin.debug:
    msg: "{{ pullfix_report.console }}"
  run_once: true
"""

RETURN = r"""
console:
  description:
    - "What the play prints at the end, one string per line: the fleet table; each open error with its first
      evidence (file:line) and next step; what was changed, with backups; the remediations' notes; the failing hosts
      and why; where the reports are."
  returned: always
  type: list
  elements: str
  sample:
    - "host  | runtime    | version | errors | warnings | causes                    | fixed | verify ok/total | CRI Version | outcome"
    - "Open errors (1):"
    - "  node1  kubelet-config-unparsable"
    - "      at:   /var/lib/kubelet/config.yaml:3 ..."
    - "      next: left for a person because no remediation of the collection covers it: ..."
console_text:
  description: RV(console) joined with newlines (printed as a block by the yaml result format).
  returned: always
  type: str
report_dir:
  description: The absolute directory the reports were written to.
  returned: always
  type: str
  sample: /home/ops/pullfix-report
verdicts:
  description: Per host, whether the run fails it (O(fail_on)), the reasons, and the one-line message to fail it with.
  returned: always
  type: dict
  sample:
    node1:
      fail: true
      reasons: ["verification pull failed: docker.io/library/a:1 (unauthorized)"]
      msg: "node1: verification pull failed (docker.io/library/a:1). Why and what next: ..."
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
