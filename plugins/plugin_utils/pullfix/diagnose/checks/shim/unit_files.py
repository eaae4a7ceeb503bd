# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of shim-unit-unparsable, shim-config-missing: catalogue entries and user text, the check and
the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts.shim import SHIM_CONFIG, SHIM_UNIT
from ....systemd_unit import unit_file_problems
from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'shim-unit-unparsable': finding(
        'warning', "A line of image-cri-shim's unit file or drop-ins that systemd ignores",
        MANUAL, 'hygiene',
        applies_to='Sealos image-cri-shim',
        doc="""A line of `image-cri-shim.service` or one of its drop-ins is neither a `[Section]` header nor
`Key=Value`, or a key comes before the first section. systemd skips it, so the unit may not do
what its author meant; `kubenode.pullfix.cri_shim` does not add its drop-in to a unit it cannot
read and refuses the host until the line is fixed.
""",
        error_text="/etc/systemd/system/image-cri-shim.service:7: Missing '=', ignoring line.",
        example='/etc/systemd/system/image-cri-shim.service:7 RestartSec 10'),
    'shim-config-missing': finding(
        'error', 'image-cri-shim.service is installed but /etc/image-cri-shim.yaml does not exist',
        MANUAL, 'pull',
        applies_to='Sealos image-cri-shim',
        doc="""The shim's unit is installed but its configuration is not there: the shim does not start, and
kubelet, when it uses the shim, cannot pull. `kubenode.pullfix.cri_shim` does not invent one
(its `auth` and `registries` are the site's); restore it from the Sealos installation.
""",
        error_text='dial unix /var/run/image-cri-shim.sock: connect: no such file or directory',
        example="""/etc/image-cri-shim.yaml: missing
/etc/systemd/system/image-cri-shim.service: /usr/bin/image-cri-shim -f /etc/image-cri-shim.yaml"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'shim-unit-unparsable': (
        case(lambda ev, h: (h.with_unit(ev, 'image-cri-shim.service'),
                            h.with_file(ev, '/etc/systemd/system/image-cri-shim.service',
                                        '[Unit]\nDescription=x\n[Service]\nRestartSec 10\n', 'unit-file'))),
        case(lambda ev, h: (h.with_unit(ev, 'image-cri-shim.service'),
                            h.with_file(ev, '/etc/systemd/system/image-cri-shim.service',
                                        '# c\n[Unit]\nDescription=x\n[Service]\nExecStart=/bin/a \\\n  -f x\n', 'unit-file')))),
    'shim-config-missing': (
        case(lambda ev, h: (h.with_unit(ev, 'image-cri-shim.service'), ev['files'].update({h.SHIM_CFG: {
            'stat': {'type': 'missing'}, 'content': None, 'truncated': False,
            'error': {'kind': 'missing', 'message': 'No such file or directory'}, 'why': ['shim-config']}}))),
        case(lambda ev, h: (h.with_unit(ev, 'image-cri-shim.service'), h.shim(ev)))),
}


def check_unit_files(ctx):
    """Lines of the shim's unit file and drop-ins that systemd ignores (the cri_shim role does
    not change a unit it cannot read), and a missing configuration file."""
    u = ctx.ev.unit(SHIM_UNIT)
    if not u:
        return
    for path in [u.get('FragmentPath')] + list(u.get('DropInPaths') or []):
        text = ctx.ev.text(path) if path else None
        if text is None:
            continue
        ctx.needed_paths.add(path)
        problems = unit_file_problems(text, path)
        if problems:
            ctx.findings.add('shim-unit-unparsable', [ctx.cite(path, no) for no, _words in problems], (
                '%s: systemd ignores %s (%s); kubenode.pullfix.cri_shim leaves this unit alone until it is '
                'fixed by hand.' % (path, 'this line' if len(problems) == 1 else 'these lines', problems[0][1])))
    if ctx.ev.file(SHIM_CONFIG) and not ctx.ev.exists(SHIM_CONFIG):
        ctx.findings.add('shim-config-missing', ['%s: missing' % SHIM_CONFIG, '%s: %s' % (
            u.get('FragmentPath') or SHIM_UNIT, u.get('ExecStart') or '')], (
            '%s is installed but %s does not exist: the shim does not start and kubelet gets "dial unix '
            '/var/run/image-cri-shim.sock: connect: no such file or directory".' % (SHIM_UNIT, SHIM_CONFIG)))


def check(ctx, models):
    check_unit_files(ctx)
