# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The base of the collection's action plugins: the Ansible side that pullfix/ (the pure core) leaves out."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.plugins.action import ActionBase


class PullfixAction(ActionBase):
    """An action that sends no file and supports check mode; ARGUMENT_SPEC: its arguments."""
    TRANSFERS_FILES = False
    _supports_check_mode = True
    ARGUMENT_SPEC = {}

    def _start(self, tmp, task_vars):
        """(result, args): ActionBase's result and the arguments validated against ARGUMENT_SPEC."""
        result = super(PullfixAction, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return result, args
