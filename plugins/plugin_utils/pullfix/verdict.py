# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Whether a run fails a host, and why, after its report is written (``pullfix_fail_on``).

A rollout stops on a failed host, so a host fails for what the run is responsible for: a
change that failed or was rolled back, a plan that refused, a verification pull that failed,
or an error that a remediation of this run should have fixed and did not: its role ran and
changed the file the finding cites, and the finding is still there. An error no remediation
of this run covers (left for a person, a role not selected with --tags, a file the role
leaves alone because nobody declared it) is reported, and fails the host only with
``pullfix_fail_on: error``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

FAIL_ON = ('responsible', 'error', 'never')
DEFAULT_FAIL_ON = 'responsible'
PREFIX = 'kubenode.pullfix.'
# Findings the play adds about the run itself (plugins/action/report.py).
RUN_FINDINGS = ('remediation-rolled-back', 'remediation-failed', 'remediation-refused', 'host-not-diagnosed',
                'host-not-reached')


def check_fail_on(value):
    """The fail_on setting as given, or ValueError naming what is expected."""
    value = DEFAULT_FAIL_ON if value is None or value == '' else value
    if value not in FAIL_ON:
        raise ValueError('pullfix_fail_on: expected one of %s, got %r' % (', '.join(FAIL_ON), value))
    return value


def role_of(finding):
    """The remediation role named by a finding (``containerd_registry``), or None (``manual``)."""
    name = str(finding.get('remediation') or '')
    return name[len(PREFIX):] if name.startswith(PREFIX) else None


def open_errors(host):
    return [f for f in host.get('findings') or () if f.get('severity') == 'error' and not f.get('fixed')]


def cites(finding, paths):
    """True when one of the finding's evidence lines is about one of ``paths`` (``/etc/x:3 ...``)."""
    for line in finding.get('evidence') or ():
        line = str(line)
        for path in paths:
            if line == path or line.startswith((path + ':', path + ' ')):
                return True
    return False


def responsible_for(finding, remediations, changed_paths=None):
    """True when a remediation that ran on the host in this run covers the finding and, when
    ``changed_paths`` is given, changed a file the finding cites."""
    role = role_of(finding)
    if not role or role not in (remediations or ()):
        return False
    return changed_paths is None or cites(finding, changed_paths)


def _first_sentence(text):
    text = ' '.join(str(text).split())
    return text.split('. ', 1)[0].rstrip('.')


def unfinished(host):
    """True when this run's change did not complete (rolled back, failed, refused): its open
    errors are then the change's failure, not errors its remediation left."""
    return any(f.get('id') in ('remediation-rolled-back', 'remediation-failed', 'remediation-refused')
               for f in host.get('findings') or ())


def responsible_errors(host, remediations):
    """Open errors a remediation of this run should have fixed: its role ran and changed a file
    the finding cites (empty when the change did not complete: that is reported as such)."""
    if unfinished(host):
        return []
    changed = [str(c.get('path')) for c in host.get('changes') or () if c.get('path')]
    return [f for f in open_errors(host) if f.get('id') not in RUN_FINDINGS and responsible_for(f, remediations, changed)]


def judge(host, remediations=None, fail_on=DEFAULT_FAIL_ON, check_mode=False):
    """[(short, detail)]: why the run fails the host, empty when it does not.

    ``remediations`` are the roles the run planned on the host (None: no remediation step ran,
    as in the doctor). In check mode nothing was meant to be fixed and nothing was pulled, so
    only what the dry run itself found wrong counts (a refusal, a candidate that failed
    validation)."""
    fail_on = check_fail_on(fail_on)
    if fail_on == 'never':
        return []
    reasons = []
    findings = dict((f.get('id'), f) for f in host.get('findings') or ())
    rolled = findings.get('remediation-rolled-back')
    if rolled:
        reasons.append(('its change was rolled back', 'Rolled back: %s' % _first_sentence(
            (rolled.get('evidence') or ['the runtime did not come back'])[0])))
    failed = findings.get('remediation-failed')
    if failed:
        reasons.append(('applying its changes failed', 'applying the changes failed: %s' % '; '.join(
            failed.get('evidence') or ['see the play output'])))
    refused = findings.get('remediation-refused')
    if refused:
        reasons.append(('a remediation refused, nothing was written', 'Nothing was written, a remediation refused: %s'
                        % ' | '.join(refused.get('evidence') or [])))
    if not check_mode:
        bad = [v for v in host.get('verify') or () if not v.get('ok')]
        if bad:
            images = ', '.join(str(v.get('image')) for v in bad)
            reasons.append(('verification pull failed (%s)' % images, 'verification pull failed: %s' % ', '.join(
                '%s (%s)' % (v.get('image'), v.get('error_kind') or _first_sentence(v.get('error') or 'error'))
                for v in bad)))
        left = [str(f.get('id')) for f in responsible_errors(host, remediations)]
        if left:
            text = 'still open after its remediation changed the file: %s' % ', '.join(left)
            reasons.append((text, text))
    if fail_on == 'error':
        mine = set(str(f.get('id')) for f in responsible_errors(host, remediations)) if not check_mode else set()
        others = [str(f.get('id')) for f in open_errors(host) if f.get('id') not in RUN_FINDINGS and f.get('id') not in mine]
        if others:
            text = 'open error%s (pullfix_fail_on: error): %s' % ('s' if len(others) > 1 else '', ', '.join(others))
            reasons.append((text, text))
    return reasons


def verdict(host, remediations=None, fail_on=DEFAULT_FAIL_ON, check_mode=False):
    """(fail, reasons): whether the run fails the host, and each reason in full."""
    reasons = [detail for _short, detail in judge(host, remediations, fail_on, check_mode)]
    return bool(reasons), reasons


def fail_message(host_name, host, remediations, fail_on, check_mode, report_hint):
    """The one line a failed host prints: what failed, and where to look."""
    shorts = [short for short, _detail in judge(host, remediations, fail_on, check_mode)]
    return '%s: %s. Why and what next: "Failing" and "Open errors" in the summary above; full report: %s' % (
        host_name, '; '.join(shorts), report_hint)
