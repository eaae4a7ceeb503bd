#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: apply_changes
short_description: Apply the file changes planned by the remediation roles, in one call (internal to the collection's roles)
version_added: 0.2.0
description:
  - Internal to the collection's roles (used by M(kubenode.pullfix.remediate) and the C(pipeline) role's handlers).
    Its options and results follow the roles and may change between releases. Use the C(kubenode.pullfix.fix_pull)
    and C(kubenode.pullfix.diagnose) playbooks or the roles instead.
  - Writes, replaces or removes the files of a plan made on the controller, all in one call.
  - Every file is first checked against the bytes the plan was made from (O(changes[].expect)), written to a
    temporary file next to it with its final owner, mode and SELinux label, and validated (O(changes[].validate)).
    Only when every change passes are the files backed up and moved into place; a failure before that leaves the
    node as it was.
  - Each file is replaced by an atomic rename, so it is always whole. A symbolic link is written through; the link
    stays and its target changes.
  - With O(restore), puts files back from the backups an earlier call made instead.
  - Usually called by the action plugin M(kubenode.pullfix.remediate), not directly.
author:
  - kubenode.pullfix maintainers (@kubenode)
options:
  changes:
    description:
      - The planned changes.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute, normalised path of the file.
        type: str
        required: true
      action:
        description: What to do with the file.
        type: str
        choices: [create, update, remove]
        required: true
      content:
        description: The whole new content (text), for V(create) and V(update).
        type: str
      mode:
        description: Octal mode; V(null) keeps the file's own mode (V(0644) for a new file).
        type: str
      validate:
        description: Command (argv list, no shell) run on the candidate file before it replaces anything; C(%s) is the
          candidate's path.
        type: list
        elements: str
      restart:
        description:
          - The service key whose restart makes the change take effect, or a list of keys (a unit drop-in needs
            V(systemd), a daemon-reload, and its unit's restart); returned in RV(restart) when it changed.
        type: raw
      expect:
        description: SHA-256 of the file's bytes when the plan was made; the file is not replaced when it changed since.
        type: str
      secret:
        description: The content holds credentials; it never appears in the diff.
        type: bool
        default: false
      remove_empty_parent:
        description: After V(remove), remove the parent directory when it is empty.
        type: bool
        default: false
      reason:
        description: Why the change is made (returned as is).
        type: str
      role:
        description: The role that planned it (returned as is).
        type: str
  secrets:
    description:
      - Strings that must never appear in the output (header values, passwords in the planned content).
    type: list
    elements: str
    default: []
  restore:
    description:
      - Instead of applying O(changes), put files back from backups made by an earlier call
        (entries with C(path) and C(backup); a null C(backup) removes a file the earlier call created).
    type: list
    elements: dict
  commands:
    description:
      - Node actions that are no file (a socket's mode or group, a link from a tmpfiles.d entry, an SELinux
        relabel), run in order after the files, never in check mode. The first that fails fails the call,
        naming it; the files written before it stay, with their backups in RV(changes).
    type: list
    elements: dict
    default: []
    suboptions:
      argv:
        description: The command and its arguments (no shell).
        type: list
        elements: str
        required: true
      reason:
        description: Why it runs, for the report.
        type: str
      role:
        description: The role that planned it.
        type: str
  daemon_reload:
    description:
      - After the files, run C(systemctl daemon-reload) (a unit file or drop-in changed).
    type: bool
    default: false
  restart_units:
    description:
      - After the files (and the daemon reload), restart these systemd units, in order. A unit that fails to
        restart is reported in RV(services); the call itself fails only with O(fail_msg).
    type: list
    elements: str
    default: []
  reload_units:
    description:
      - After the restarts, ask these systemd units to re-read their configuration (C(systemctl reload)).
    type: list
    elements: str
    default: []
  fail_msg:
    description:
      - When set, the call fails with this message after doing everything else (used to put files back and
        restart, then fail the host saying why).
    type: str
extends_documentation_fragment:
  - kubenode.pullfix.attributes
  - kubenode.pullfix.attributes.platform
  - kubenode.pullfix.attributes.idempotent
attributes:
  check_mode:
    support: full
    details: Reports what would change and runs the validators on temporary files; writes nothing else.
  diff_mode:
    support: full
    details: Returns a diff per file; files holding credentials show none.
  idempotent:
    support: full
    details: A second call with the same plan changes nothing.
notes:
  - Only the Python standard library is needed on the node.
seealso:
  - module: kubenode.pullfix.node_evidence
"""

EXAMPLES = r"""
- name: Point containerd at a mirror for docker.io
  kubenode.pullfix.apply_changes:
    changes:
      - path: /etc/containerd/certs.d/docker.io/hosts.toml
        action: create
        mode: "0644"
        content: |
          server = "https://registry-1.docker.io"

          [host."https://mirror.example.com"]
            capabilities = ["pull", "resolve"]
  register: applied

- name: Put the files of that call back from its backups, restart containerd and fail the host
  kubenode.pullfix.apply_changes:
    restore: "{{ applied.changes }}"   # each entry carries path and backup
    restart_units: [containerd.service]
    fail_msg: containerd did not come back with the new configuration; the old one is restored
"""

RETURN = r"""
changes:
  description: The files that changed (or would change in check mode), in plan order.
  returned: success
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
  description: The services whose restart the changed files need.
  returned: success
  type: list
  elements: str
  sample: [containerd]
commands:
  description: The O(commands), each with C(ran) (false in check mode) and, when it ran, C(rc) and C(stderr).
  returned: when O(commands) is not empty
  type: list
  elements: dict
  sample: [{"argv": ["chmod", "0660", "/run/containerd/containerd.sock"], "reason": "mode 0666", "ran": true, "rc": 0}]
services:
  description: What was done to systemd after the files (C(daemon-reload), C(restart <unit>), C(reload <unit>)), each with
    its exit status and error output.
  returned: when O(daemon_reload), O(restart_units) or O(reload_units) asked for something (not in check mode)
  type: list
  elements: dict
  sample: [{"action": "restart containerd.service", "rc": 0, "stderr": ""}]
restored:
  description: The paths put back, with O(restore).
  returned: when O(restore) is set
  type: list
  elements: str
  sample: [/etc/containerd/config.toml]
errors:
  description: Why a change or a restore could not be made; when not empty the module failed and names them in C(msg).
  returned: always
  type: list
  elements: str
  sample: []
diff:
  description: Before and after of every changed file (none for files holding credentials).
  returned: in diff mode
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubenode.pullfix.plugins.module_utils._apply import PENDING_RESTART, apply_changes, clear_pending, restore


def run_commands(module):
    """([{argv, reason, role, ran, rc, stderr}], the first that failed or None); nothing in check mode."""
    done = []
    for cmd in module.params["commands"]:
        entry = {"argv": list(cmd["argv"]), "reason": cmd.get("reason"), "role": cmd.get("role"), "ran": False}
        done.append(entry)
        if module.check_mode:
            continue
        rc, _out, err = module.run_command(entry["argv"])
        entry.update(ran=True, rc=rc, stderr=(err or "").strip()[-2000:])
        if rc != 0:
            return done, entry
    return done, None


def services(module):
    """daemon-reload, restarts and reloads asked for; [{action, rc, stderr}]. Never raises."""
    p = module.params
    if module.check_mode or not (p["daemon_reload"] or p["restart_units"] or p["reload_units"]):
        return None
    systemctl = module.get_bin_path("systemctl")
    if systemctl is None:
        return [{"action": "systemctl", "rc": None, "stderr": "systemctl not found"}]
    steps = [("daemon-reload", None)] if p["daemon_reload"] else []
    steps += [("restart", u) for u in p["restart_units"]] + [("reload", u) for u in p["reload_units"]]
    done = []
    for verb, unit in steps:
        rc, _out, err = module.run_command([systemctl, verb] + ([unit] if unit else []))
        done.append({"action": verb + (" " + unit if unit else ""), "rc": rc, "stderr": (err or "").strip()[-2000:]})
    if all(step["rc"] == 0 for step in done):
        # The restarts an applying call recorded as owed are done (see _apply.PENDING_RESTART).
        clear_pending()
    return done


def main():
    module = AnsibleModule(
        argument_spec=dict(
            changes=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="str", required=True),
                action=dict(type="str", required=True, choices=["create", "update", "remove"]),
                content=dict(type="str"),
                mode=dict(type="str"),
                validate=dict(type="list", elements="str"),
                restart=dict(type="raw"),
                expect=dict(type="str", no_log=False),
                secret=dict(type="bool", default=False, no_log=False),
                remove_empty_parent=dict(type="bool", default=False),
                reason=dict(type="str"),
                role=dict(type="str"),
            )),
            secrets=dict(type="list", elements="str", default=[], no_log=True),
            restore=dict(type="list", elements="dict"),
            commands=dict(type="list", elements="dict", default=[], options=dict(
                argv=dict(type="list", elements="str", required=True),
                reason=dict(type="str"),
                role=dict(type="str"),
            )),
            daemon_reload=dict(type="bool", default=False),
            restart_units=dict(type="list", elements="str", default=[]),
            reload_units=dict(type="list", elements="str", default=[]),
            fail_msg=dict(type="str"),
        ),
        mutually_exclusive=[("changes", "restore")],
        supports_check_mode=True,
    )
    if module.params["restore"] is not None:
        if module.check_mode:
            module.exit_json(changed=bool(module.params["restore"]), restored=[])
        result = restore(module.params["restore"])
        done = services(module)
        if done is not None:
            result["services"] = done
        if result["errors"]:
            module.fail_json(msg="could not restore: %s" % "; ".join(result["errors"]), **result)
        if module.params["fail_msg"]:
            module.fail_json(msg=module.params["fail_msg"], **result)
        module.exit_json(**result)
    result = apply_changes(module.params["changes"], check_mode=module.check_mode, diff=module._diff,
                           pending=PENDING_RESTART)
    if module._diff:
        result["diff"] = [c.pop("diff") for c in result["changes"] if "diff" in c]
    if result["errors"]:
        module.fail_json(msg="; ".join(result["errors"]), **result)
    if module.params["commands"]:
        result["commands"], failed = run_commands(module)
        result["changed"] = True
        if failed:
            module.fail_json(msg="%s exited with %s: %s" % (" ".join(failed["argv"]), failed["rc"], failed["stderr"]),
                             **result)
    done = services(module)
    if done is not None:
        result["services"] = done
        result["changed"] = True
    if module.params["fail_msg"]:
        module.fail_json(msg=module.params["fail_msg"], **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
