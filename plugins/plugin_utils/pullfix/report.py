# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure rendering of the reports: per-host JSON, summary table, summary.md and junit.xml.

Output is deterministic (no timestamps, sorted hosts), so an unchanged fleet
rewrites no file.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
import xml.etree.ElementTree as ET

from .evidence import redact_prose, redact_url
from .findings import CATALOGUE, DOC_BASE, cause_summary, counts, root_first
from .verdict import DEFAULT_FAIL_ON, open_errors, responsible_errors, role_of, unfinished, verdict

SUMMARY_HEADER = ('host', 'runtime', 'version', 'errors', 'warnings', 'causes', 'fixed', 'verify ok/total', 'CRI Version',
                  'outcome')
_UNSAFE_NAME_RE = re.compile(r'[^A-Za-z0-9._@-]')


def host_filename(host):
    """File name for a host's JSON report (no path separators, no leading dot)."""
    name = _UNSAFE_NAME_RE.sub('_', str(host or 'unknown'))
    if name.startswith('.'):
        name = '_' + name[1:]
    return name + '.json'


def normalize_host(entry):
    entry = entry or {}
    runtime = entry.get('runtime') or {}
    findings = []
    for f in entry.get('findings') or []:
        f = dict(f)
        # Findings are redacted when collected; what the play adds (a rollback's message, a
        # planner's note) is redacted here, so no report line quotes a credential.
        f['evidence'] = [redact_url(str(e)) for e in f.get('evidence') or []]
        if f.get('explanation'):
            f['explanation'] = redact_prose(str(f['explanation']))
        if f.get('next_step'):
            f['next_step'] = redact_prose(str(f['next_step']))
        known = CATALOGUE.get(f.get('id')) or {}
        f.setdefault('category', known.get('category'))
        f.setdefault('caused_by', None)
        findings.append(f)
    # root causes first, each followed by the symptoms it explains
    findings = [f for f, _depth in root_first(findings)]
    out = {
        'host': str(entry.get('host') or 'unknown'),
        'runtime': dict(runtime),
        'findings': findings,
        'changes': [dict(c) for c in entry.get('changes') or []],
        'commands': [dict(c) for c in entry.get('commands') or []],
        'notes': [redact_url(str(n)) for n in entry.get('notes') or []],
        'verify': [dict(v, error=redact_url(str(v['error']))) if v.get('error') else dict(v)
                   for v in entry.get('verify') or []],
        'routes': [dict(r) for r in entry.get('routes') or []],
        'version_check': dict(entry.get('version_check') or {}),
    }
    out['outcome'] = str(entry.get('outcome') or '') or outcome(out)
    return out


def outcome(h):
    """What the run did to a host, in a word or two (the report's last column), unless the play said."""
    open_errors = [f for f in h['findings'] if f.get('severity') == 'error' and not f.get('fixed')]
    pulls_ok = all(v.get('ok') for v in h['verify'])
    if h['changes'] or any(c.get('ran') for c in h['commands']):
        return 'fixed' if not open_errors and pulls_ok else 'changed, still broken'
    return 'ok' if not open_errors and pulls_ok else 'broken'


def normalize_hosts(hosts):
    return sorted((normalize_host(h) for h in hosts or []), key=lambda h: h['host'])


def render_host_json(entry):
    return json.dumps(normalize_host(entry), indent=2, sort_keys=True, ensure_ascii=False) + '\n'


def summary_row(entry):
    h = normalize_host(entry)
    c = counts(f for f in h['findings'] if not f.get('fixed'))  # open ones; fixed has its own column
    fixed = sum(1 for f in h['findings'] if f.get('fixed'))
    vc = h['version_check']
    return (h['host'], h['runtime'].get('name') or '-', h['runtime'].get('version') or '-',
            str(c['error']), str(c['warning']), cause_summary(h['findings']), str(fixed), verify_cell(h['verify']),
            ('ok' if vc.get('ok') else 'FAILED (%s)' % vc.get('outcome')) if vc else '-', h['outcome'])


def looked_up_only(v):
    """A check-mode verification: ImageStatus answered, nothing was pulled."""
    return bool(v.get('ok')) and v.get('pulled') is False


def verify_word(v):
    """What a verification entry proves: pulled, or (check mode) present / absent, not pulled."""
    if not v.get('ok'):
        return 'FAILED'
    if looked_up_only(v):
        return 'present, not pulled' if v.get('present_before') else 'absent, not pulled'
    return 'pulled'


def verify_cell(verify):
    if not verify:
        return '-'
    if all(looked_up_only(v) for v in verify):
        return 'not pulled (%d/%d present)' % (sum(1 for v in verify if v.get('present_before')), len(verify))
    return '%d/%d' % (sum(1 for v in verify if v.get('ok')), len(verify))


def summary_lines(hosts):
    """The per-host table as aligned text lines (for ``debug: var=...``)."""
    rows = [SUMMARY_HEADER] + [summary_row(h) for h in normalize_hosts(hosts)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(SUMMARY_HEADER))]

    def fmt(row):
        return ' | '.join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
    lines = [fmt(rows[0]), '-+-'.join('-' * w for w in widths)]
    lines.extend(fmt(r) for r in rows[1:])
    return lines


def _open(findings):
    return [f for f in findings if f.get('severity') in ('error', 'warning') and not f.get('fixed')]


def change_lines(hosts):
    """What this run wrote on each host (with the backup to restore from) and what it wants known."""
    lines = []
    for h in normalize_hosts(hosts):
        for c in h['changes']:
            lines.append('%s: %s %s%s' % (h['host'], c.get('action') or 'changed', c.get('path'),
                                          ' (backup %s)' % c['backup'] if c.get('backup') else ''))
        for c in h['commands']:
            lines.append('%s: %s %s%s' % (h['host'], 'ran' if c.get('ran') else 'would run', ' '.join(c.get('argv') or ()),
                                          ' (%s)' % c['reason'] if c.get('reason') else ''))
        lines.extend('%s: note: %s' % (h['host'], n) for n in h['notes'])
    return lines


def finding_lines(hosts):
    """One line per open error or warning, host by host, root causes first and their symptoms
    indented under them: what to look at first."""
    lines = []
    for h in normalize_hosts(hosts):
        for f, depth in root_first(_open(h['findings'])):
            if depth:
                lines.append('%s:   %-7s %s - %s (caused by %s)' % (
                    h['host'], f['severity'].upper(), f.get('id'), f.get('title', ''), f.get('caused_by')))
            else:
                lines.append('%s: %-7s %s - %s' % (h['host'], f['severity'].upper(), f.get('id'), f.get('title', '')))
    return lines


def _md(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


def render_summary_md(hosts):
    hosts = normalize_hosts(hosts)
    out = ['# kubenode.pullfix report', '']
    out.append('| ' + ' | '.join(SUMMARY_HEADER) + ' |')
    out.append('|' + '|'.join('---' for _col in SUMMARY_HEADER) + '|')
    for h in hosts:
        out.append('| ' + ' | '.join(_md(c) for c in summary_row(h)) + ' |')
    for h in hosts:
        rt = h['runtime']
        out.extend(['', '## %s' % h['host'], ''])
        out.append('Runtime: %s %s, endpoint `%s`' % (rt.get('name') or 'unknown', rt.get('version') or '',
                                                      rt.get('endpoint') or '-'))
        out.append('')
        if not h['findings']:
            out.append('No findings.')
        else:
            out.append('Open findings: %s.' % cause_summary(h['findings']))
            out.append('')
        for f, depth in root_first(h['findings']):
            out.append('%s %s `%s`%s%s' % ('####' if depth else '###', f.get('severity', '').upper(), f.get('id'),
                                           ' (fixed)' if f.get('fixed') else '',
                                           ', caused by `%s`' % f['caused_by'] if depth else ''))
            out.append('')
            out.append('%s (category: %s)' % (f.get('title', ''), f.get('category') or '-'))
            out.append('')
            if f.get('evidence'):
                out.append('```')
                out.extend(str(e) for e in f['evidence'])
                out.append('```')
                out.append('')
            if f.get('explanation'):
                out.append(str(f['explanation']))
                out.append('')
            out.append('Remediation: `%s`' % f.get('remediation', 'manual'))
            out.append('')
        if h['changes']:
            out.extend(['', '### Changes', ''])
            for c in h['changes']:
                out.append('- %s `%s`%s' % (c.get('action'), c.get('path'),
                                            ' (backup `%s`)' % c['backup'] if c.get('backup') else ''))
        vc = h['version_check']
        if vc or h['verify']:
            out.extend(['', '### Verify', ''])
        if vc:
            answer = (': %s %s' % (vc.get('runtime_name'), vc.get('runtime_version')) if vc.get('ok')
                      else ': %s' % _md(vc.get('outcome')))
            out.append('- %s CRI Version on `%s`%s' % ('ok' if vc.get('ok') else 'FAILED', vc.get('endpoint') or '-', answer))
        if h['verify']:
            for v in h['verify']:
                out.append('- %s `%s`%s' % (verify_md_word(v), v.get('image'),
                                            ': %s' % _md(v['error']) if v.get('error') else
                                            (' %s' % v['image_ref'] if v.get('image_ref') else '')))
        if h['routes']:
            out.extend(['', '### Routes', ''])
            for r in h['routes']:
                out.extend(_md(line) for line in route_lines(r))
                out.append('')
    return '\n'.join(out).rstrip('\n') + '\n'


def verify_md_word(v):
    word = verify_word(v)
    return 'ok' if word == 'pulled' else word


def route_lines(route):
    """A route as text lines: the image, then each endpoint tried, in order, with its source."""
    lines = ['%s (%s, %s)%s' % (route.get('image'), route.get('name') or '-', route.get('runtime') or '-',
                                ': %s' % route['error'] if route.get('error') else '')]
    for step in route.get('lookup') or ():
        lines.append('  lookup: %s' % step)
    for i, ep in enumerate(route.get('endpoints') or (), 1):
        extra = []
        if ep.get('repository'):
            extra.append('repository %s' % ep['repository'])
        if ep.get('https_first'):
            extra.append('https first, then http')
        if ep.get('insecure'):
            extra.append('insecure: http allowed')
        lines.append('  %d. %s%s  <- %s' % (i, ep.get('url'), ' [%s]' % ', '.join(extra) if extra else '', ep.get('from')))
    for ep in route.get('skipped') or ():
        lines.append('  -  %s skipped (%s)  <- %s' % (ep.get('url'), ep.get('why'), ep.get('from')))
    for note in route.get('notes') or ():
        lines.append('  note: %s' % note)
    return lines


def render_junit(hosts):
    """JUnit XML: a testsuite per host, a testcase per finding id and per verified image.

    Error findings that are not fixed, and failed verifications, are failures.
    """
    hosts = normalize_hosts(hosts)
    root = ET.Element('testsuites', {'name': 'kubenode.pullfix'})
    total_tests = total_failures = 0
    for h in hosts:
        cases = []
        failures = 0
        for f in h['findings']:
            case = ET.Element('testcase', {'classname': '%s.findings' % h['host'], 'name': str(f.get('id'))})
            text = '\n'.join([str(f.get('title', ''))] + [str(e) for e in f.get('evidence') or []] +
                             [str(f.get('explanation', '')), 'remediation: %s' % f.get('remediation'),
                              'category: %s' % f.get('category')] +
                             (['caused by: %s' % f['caused_by']] if f.get('caused_by') else []))
            if f.get('severity') == 'error' and not f.get('fixed'):
                failures += 1
                fail = ET.SubElement(case, 'failure', {'message': str(f.get('title', '')), 'type': 'error'})
                fail.text = text
            else:
                out = ET.SubElement(case, 'system-out')
                out.text = '%s%s\n%s' % (f.get('severity'), ' (fixed)' if f.get('fixed') else '', text)
            cases.append(case)
        vc = h['version_check']
        if vc:
            case = ET.Element('testcase', {'classname': '%s.verify' % h['host'], 'name': 'CRI Version %s' % vc.get('endpoint')})
            if not vc.get('ok'):
                failures += 1
                ET.SubElement(case, 'failure', {'message': 'CRI Version: %s' % vc.get('outcome'), 'type': 'verify'})
            cases.append(case)
        for v in h['verify']:
            case = ET.Element('testcase', {'classname': '%s.verify' % h['host'], 'name': str(v.get('image'))})
            if not v.get('ok'):
                failures += 1
                fail = ET.SubElement(case, 'failure', {'message': str(v.get('error') or 'pull failed'),
                                                       'type': 'verify'})
                fail.text = str(v.get('error') or '')
            elif looked_up_only(v):
                ET.SubElement(case, 'system-out').text = '%s (check mode: ImageStatus only)%s' % (
                    verify_word(v), ' %s' % v['image_ref'] if v.get('image_ref') else '')
            elif v.get('image_ref'):
                ET.SubElement(case, 'system-out').text = str(v['image_ref'])
            cases.append(case)
        suite = ET.SubElement(root, 'testsuite', {
            'name': h['host'], 'tests': str(len(cases)), 'failures': str(failures), 'errors': '0', 'skipped': '0'})
        props = ET.SubElement(suite, 'properties')
        for key in ('name', 'version', 'endpoint'):
            ET.SubElement(props, 'property', {'name': 'runtime.%s' % key, 'value': str(h['runtime'].get(key) or '')})
        suite.extend(cases)
        total_tests += len(cases)
        total_failures += failures
    root.set('tests', str(total_tests))
    root.set('failures', str(total_failures))
    root.set('errors', '0')
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


def render_all(hosts):
    """{relative file name: text} for every report file."""
    files = {}
    for h in normalize_hosts(hosts):
        files[host_filename(h['host'])] = render_host_json(h)
    files['summary.md'] = render_summary_md(hosts)
    files['junit.xml'] = render_junit(hosts)
    return files


# ---------------------------------------------------------------- console

EVIDENCE_WIDTH = 160


def _short(text, width=EVIDENCE_WIDTH):
    text = ' '.join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + '...'


def _first_sentence(text):
    text = ' '.join(str(text or '').split())
    for end in ('. ', '; '):
        if end in text:
            text = text.split(end, 1)[0]
    return text.rstrip('.')


_RUN_STEPS = {
    'host-not-reached': 'run again once the batch that stopped the rollout is fixed: nothing ran on this host',
    'host-not-diagnosed': 'read this host\'s failed task or unreachable message above, then run again',
    'remediation-rolled-back': 'read the runtime\'s journal on the node (journalctl -u <unit> named above); the files '
                               'were put back from the backups listed under "Changed"',
    'remediation-failed': 'fix what the message names on the node and run again; no file was left half written',
    'remediation-refused': 'the evidence names the setting or the file that stops the plan; nothing was written',
}


def _cited_path(finding):
    first = str((finding.get('evidence') or [''])[0])
    path = first.split(' ', 1)[0].split(':', 1)[0]
    return path if path.startswith('/') else None


def next_step(finding, remediations=None, notes=(), changed_paths=None, undone=False):
    """What to do about an open finding: its own ``next_step`` when it carries one; else a
    setting to give, a command to run, or why it is left for a person.

    ``remediations``: the roles this run planned on the host; None when no remediation step
    ran (the doctor). ``changed_paths``: the files this run changed on the host; ``undone``:
    this run's change was rolled back, failed or refused."""
    if finding.get('next_step'):
        return str(finding['next_step'])
    fid = finding.get('id')
    if fid in _RUN_STEPS:
        return _RUN_STEPS[fid]
    role = role_of(finding)
    doc = DOC_BASE + str(fid)
    if role is None:
        why = _first_sentence(finding.get('explanation')) or finding.get('title') or 'no remediation covers it'
        return 'left for a person because no remediation of the collection covers it: %s (%s)' % (_short(why, 200), doc)
    if remediations is None:
        return 'run ansible-playbook kubenode.pullfix.fix_pull: %s%s fixes it (%s)' % ('kubenode.pullfix.', role, doc)
    if role not in remediations:
        return ('this run did not select kubenode.pullfix.%s (--tags/--skip-tags): run fix_pull with --tags %s' % (role, role))
    if undone:
        return ('this run\'s change for it did not take effect (rolled back, failed or refused: see that error); '
                'fix that, then run again')
    said = [n.split(': ', 1)[1] for n in notes or () if n.startswith(role + ': ')]
    path = _cited_path(finding)
    if path and changed_paths is not None and path in changed_paths:
        return 'kubenode.pullfix.%s changed %s and it is still wrong: read the diff and the notes (%s)' % (role, path, doc)
    if said:
        return 'kubenode.pullfix.%s ran and left it open: %s' % (role, _short(said[0], 200))
    why = _first_sentence(finding.get('explanation'))
    return 'left for a person: kubenode.pullfix.%s ran and leaves %s as it is%s (%s)' % (
        role, path or 'it', ': ' + _short(why, 200) if why else '', doc)


SELF_CHECK_ID = 'runtime-model-disagrees'


def self_check_lines(hosts):
    """The summary's count of hosts where the model of containerd's files and containerd's own view
    disagreed (nothing when none did)."""
    hit = [h['host'] for h in hosts
           if any(f.get('id') == SELF_CHECK_ID and not f.get('fixed') for f in h['findings'])]
    if not hit:
        return []
    plural = '' if len(hit) == 1 else 's'
    return ['Self-check: on %d host%s the model of containerd\'s files disagreed with containerd itself (%s; '
            'containerd\'s word was used): %s' % (len(hit), plural, SELF_CHECK_ID, ', '.join(hit))]


def console_lines(entries, report_dir=None, fail_on=DEFAULT_FAIL_ON, check_mode=False, judge=True):
    """What the play prints at the end, one string per line: the fleet table; each open error
    with its first evidence and next step; what was changed, with backups; the hosts this run
    fails and why; where the full reports are.

    ``entries`` are report entries as the report action builds them (``remediations`` is read
    from them, the roles planned on each host). ``judge``: the play fails hosts after this
    (fix_pull); the doctor does not."""
    runs = dict((str(e.get('host') or 'unknown'), e.get('remediations')) for e in entries or ())
    hosts = normalize_hosts(entries)
    lines = summary_lines(entries)
    errors = []
    warnings = []
    for h in hosts:
        ran = runs.get(h['host'])
        mine = set(f.get('id') for f in responsible_errors(h, ran)) if judge and not check_mode else set()
        for f, depth in root_first(open_errors(h)):
            evidence = f.get('evidence') or []
            errors.append('%s  %s%s%s' % (h['host'], f.get('id'), ' (caused by %s)' % f['caused_by'] if depth else '',
                                          '  [its remediation changed the file: this run fails the host]' if f.get('id') in mine else ''))
            errors.append('    %s' % _short(f.get('title', '')))
            if evidence:
                errors.append('    at:   %s' % _short(evidence[0]))
            step = next_step(f, ran, h['notes'], [c.get('path') for c in h['changes']], unfinished(h))
            errors.append('    next: %s' % _short(step, 400))
        opened = [f.get('id') for f in h['findings'] if f.get('severity') == 'warning' and not f.get('fixed')]
        if opened:
            warnings.append('%s  %s' % (h['host'], ', '.join(opened)))
    lines.append('')
    if errors:
        lines.append('Open errors (%d):' % sum(1 for line in errors if not line.startswith(' ')))
        lines.extend('  ' + line for line in errors)
    else:
        lines.append('Open errors: none.')
    if warnings:
        lines.append('Open warnings (details in the reports):')
        lines.extend('  ' + line for line in warnings)
    lines.extend(self_check_lines(hosts))
    changed = [line for line in change_lines(entries) if ': note: ' not in line]
    notes = ['%s: %s' % (h['host'], n) for h in hosts for n in h['notes']]
    lines.append('')
    if changed:
        lines.append('%s (backups to restore from in parentheses):' % ('Would change (check mode)' if check_mode else 'Changed'))
        lines.extend('  ' + line for line in changed)
    else:
        lines.append('Changed: nothing.')
    if notes:
        lines.append('Notes from the remediations:')
        lines.extend('  ' + line for line in notes)
    failing = []
    for h in hosts if judge else ():
        fail, reasons = verdict(h, runs.get(h['host']), fail_on, check_mode)
        if fail:
            failing.append('  %s: %s' % (h['host'], '; '.join(reasons)))
    if judge:
        lines.append('')
        if failing:
            lines.append('Failing (pullfix_fail_on: %s):' % fail_on)
            lines.extend(failing)
        else:
            lines.append('No host fails (pullfix_fail_on: %s).' % fail_on)
    if report_dir:
        lines.append('Full reports: %s/ (summary.md, junit.xml, <host>.json)' % str(report_dir).rstrip('/'))
    return lines
