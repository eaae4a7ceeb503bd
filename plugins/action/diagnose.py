# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin kubenode.pullfix.diagnose: controller-side, runs nothing on the node."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.action import PullfixAction
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import redact_url
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.parse import MissingLibrary
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.pipeline import (
    ansible_input, diagnosis_result, first_diagnosis, pulled_results)

ARGUMENT_SPEC = {
    'evidence': {'type': 'dict', 'required': True},
    'settings': {'type': 'dict', 'default': {}},
    # An earlier diagnosis of the same host (before a fix): its findings that are
    # gone now are kept in the result with fixed=true.
    'previous': {'type': 'dict'},
    # What node_evidence pulled (its `verify` result): kept when it went through the image
    # endpoint this diagnosis finds for kubelet, else `verify_pending` asks for another pull.
    'verify': {'type': 'dict'},
    # The images to pull again, through kubelet's image endpoint, when `verify` went through
    # another one (the node guessed before the diagnosis knew): one more node call, only then.
    'verify_images': {'type': 'list', 'elements': 'str', 'default': []},
}
PULL_MODULE = 'kubenode.pullfix.cri_pull'


class ActionModule(PullfixAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self._start(tmp, task_vars)
        try:
            args = ansible_input(args)
            diagnosis, kept, pull = first_diagnosis(args)
            if pull:
                pulled = self._execute_module(module_name=PULL_MODULE, module_args=pull, task_vars=task_vars)
                kept = pulled_results(pull, pulled)
            result.update(diagnosis_result(args, diagnosis, kept))
        except (MissingLibrary, PlanError) as exc:
            raise AnsibleActionFail(redact_url(str(exc)))
        return result
