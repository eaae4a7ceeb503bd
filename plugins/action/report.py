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

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.action import PullfixAction
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import catalogue
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.report import (change_lines, console_lines, finding_lines,
                                                                                      normalize_host, render_all, summary_lines)
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.verdict import FAIL_ON, fail_message, verdict

ARGUMENT_SPEC = {
    # Each entry is a host's report dict, or a host name whose pullfix_diagnosis and
    # pullfix_remediation are read from hostvars.
    'hosts': {'type': 'list', 'elements': 'raw', 'required': True},
    # Null: ./pullfix-report, relative to the directory ansible-playbook runs in.
    'report_dir': {'type': 'path'},
    # What fails a host after the report (fix_pull.yml's last task reads `verdicts`).
    'fail_on': {'type': 'str', 'default': 'responsible', 'choices': list(FAIL_ON)},
    # False: the play fails no host after the report (the doctor); no verdict is printed.
    'judge': {'type': 'bool', 'default': True},
}
DEFAULT_REPORT_DIR = 'pullfix-report'


def host_entry(name, hostvars, check_mode=False):
    """A host's report dict from the variables the collection's roles register."""
    hv = hostvars.get(name) or {}
    # fix_pull.yml's one task (kubenode.pullfix.fix_host) registers only pullfix_remediation, with
    # the host's last diagnosis and its rollback in it; the roles register each on its own.
    folded = hv.get('pullfix_remediation') or {}
    diagnosis = folded.get('diagnosis') or hv.get('pullfix_diagnosis') or {}
    if not diagnosis.get('findings') and not diagnosis.get('runtime'):
        if 'pullfix_evidence' not in hv and 'pullfix_diagnosis' not in hv and 'pullfix_remediation' not in hv:
            # No task of the play ran on it: a serial rollout stopped (or has not yet come) before its batch.
            return {'host': name, 'runtime': {'name': 'unknown'}, 'outcome': 'not reached', 'findings': [report_finding(
                'host-not-reached', ['%s: the rollout stopped before its batch' % name],
                'Nothing ran on this host in this run; its files are as they were.')]}
        return {'host': name, 'runtime': {'name': 'unknown'}, 'findings': [not_diagnosed(name)],
                'outcome': 'not diagnosed'}
    findings = list(diagnosis.get('findings') or [])
    remediation = hv.get('pullfix_remediation') or {}
    refused = remediation.get('errors') or []
    outcome = None
    rollback = remediation.get('rollback') or hv.get('pullfix_rollback') or {}
    if rollback and not rollback.get('skipped'):
        findings.insert(0, report_finding('remediation-rolled-back', [rollback.get('msg') or 'rolled back'] + [
            '%s restored from %s' % (c.get('path'), c.get('backup') or 'nothing (it was created: removed)')
            for c in remediation.get('changes') or []],
            'The services were restarted with the restored files; the verification below is of that state.'))
        outcome = 'rolled back'
    elif remediation.get('apply_error'):
        findings.insert(0, report_finding('remediation-failed', [remediation['apply_error']],
                                          'Files are whole: old, or new where listed under changes.'))
        outcome = 'apply failed'
    elif refused:
        findings.insert(0, report_finding('remediation-refused', list(refused),
                                          'Nothing of any remediation was written on this host; see the evidence.'))
        outcome = 'refused'
    elif check_mode and (remediation.get('changes') or remediation.get('commands')):
        outcome = 'would change'
    return {
        # The roles planned on the host in this run; None when no remediation step ran (the doctor).
        'remediations': sorted(remediation.get('roles') or ()) if 'pullfix_remediation' in hv else None,
        'outcome': outcome,
        'version_check': diagnosis.get('version_check') or {},
        'host': name,
        'runtime': diagnosis.get('runtime') or {},
        'findings': findings,
        'changes': [dict((k, c.get(k)) for k in ('path', 'action', 'backup', 'role', 'reason'))
                    for c in (hv.get('pullfix_remediation') or {}).get('changes') or []],
        'commands': [dict((k, c.get(k)) for k in ('argv', 'reason', 'role', 'ran', 'rc'))
                     for c in (hv.get('pullfix_remediation') or {}).get('commands') or []],
        'notes': list((hv.get('pullfix_remediation') or {}).get('notes') or []),
        'verify': (diagnosis.get('verify') or {}).get('results') or [],
        'routes': list(diagnosis.get('routes') or []),
    }


def report_finding(fid, evidence, explanation):
    info = catalogue()[fid]
    return {'id': fid, 'severity': info['severity'], 'title': info['title'], 'evidence': evidence,
            'explanation': explanation, 'remediation': info['remediation'], 'fixed': False,
            'category': info.get('category'), 'caused_by': None}


def not_diagnosed(name):
    return report_finding('host-not-diagnosed', ['%s: no diagnosis recorded in this play' % name],
                          'The host was unreachable, or a task failed before its diagnosis; see the play output.')


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


class ActionModule(PullfixAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result, args = self._start(tmp, task_vars)
        hostvars = (task_vars or {}).get('hostvars', {})
        hosts = [host_entry(h, hostvars, bool(self._task.check_mode)) if isinstance(h, str) else h for h in args['hosts']]
        report_dir = os.path.abspath(args.get('report_dir') or DEFAULT_REPORT_DIR)
        check_mode = bool(self._task.check_mode)
        result['summary'] = summary_lines(hosts)
        result['open_findings'] = finding_lines(hosts)
        result['changes'] = change_lines(hosts)
        result['report_dir'] = report_dir
        result['console'] = console_lines(hosts, report_dir, args['fail_on'], check_mode, args['judge'])
        result['console_text'] = '\n'.join(result['console'])
        result['verdicts'] = {}
        for entry in hosts:
            name = str(entry.get('host') or 'unknown')
            host = normalize_host(entry)
            fail, reasons = verdict(host, entry.get('remediations'), args['fail_on'], check_mode)
            if not args['judge']:
                fail, reasons = False, []
            result['verdicts'][name] = {'fail': fail, 'reasons': reasons, 'msg': fail_message(
                name, host, entry.get('remediations'), args['fail_on'], check_mode,
                os.path.join(report_dir, 'summary.md')) if fail else ''}
        result['files'] = []
        result['changed_files'] = []
        result['changed'] = False
        # The report is written in check mode too: it is output on the controller, not state of
        # the fleet, and a dry run's report (outcome "would change") is what its user reads.
        try:
            if not os.path.isdir(report_dir):
                os.makedirs(report_dir, 0o755)
            for name, text in sorted(render_all(hosts).items()):
                path = os.path.join(report_dir, name)
                result['files'].append(path)
                if write_if_changed(path, to_bytes(text, errors='surrogate_or_strict')):
                    result['changed_files'].append(path)
        except (IOError, OSError) as exc:
            raise AnsibleActionFail('cannot write the report in %s: %s' % (report_dir, to_native(exc)))
        result['changed'] = bool(result['changed_files'])
        return result
