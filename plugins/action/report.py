# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin kubenode.pullfix.report: writes the fleet report on the controller."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.action import ActionBase

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.report import render_all, summary_lines

ARGUMENT_SPEC = {
    'hosts': {'type': 'list', 'elements': 'dict', 'required': True},
    'report_dir': {'type': 'path'},
}


def write_if_changed(path, data, check_mode=False):
    """Write bytes atomically (temp file in the same directory + os.replace) when they differ.

    Returns True when the file's bytes changed (or would change in check mode).
    """
    try:
        with open(path, 'rb') as f:
            if f.read() == data:
                return False
    except (IOError, OSError):
        pass
    if check_mode:
        return True
    directory = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.pullfix-', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        hosts = args['hosts']
        report_dir = args.get('report_dir')
        result['summary'] = summary_lines(hosts)
        result['files'] = []
        result['changed_files'] = []
        result['changed'] = False
        if not report_dir:
            return result
        check_mode = bool(self._task.check_mode)
        try:
            if not os.path.isdir(report_dir):
                if not check_mode:
                    os.makedirs(report_dir, 0o755)
            for name, text in sorted(render_all(hosts).items()):
                path = os.path.join(report_dir, name)
                result['files'].append(path)
                if write_if_changed(path, to_bytes(text, errors='surrogate_or_strict'), check_mode):
                    result['changed_files'].append(path)
        except (IOError, OSError) as exc:
            raise AnsibleActionFail('cannot write the report in %s: %s' % (report_dir, to_native(exc)))
        result['changed'] = bool(result['changed_files'])
        return result
