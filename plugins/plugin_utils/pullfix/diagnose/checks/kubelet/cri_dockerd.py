# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of cri-dockerd-without-docker: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts.endpoints import CRI_DOCKERD_SOCKETS, CRI_DOCKERD_UNITS
from ...catalogue import NODE, case, finding

FINDINGS = {
    'cri-dockerd-without-docker': finding(
        'warning', 'cri-dockerd is present although the runtime is not docker',
        NODE, 'hygiene',
        applies_to='every runtime except docker',
        doc="""cri-dockerd (socket, `cri-docker.service`/`cri-docker.socket` active or enabled, or process) is present while the runtime is not \
Docker Engine. It is useless there and makes kubeadm see two CRI endpoints.
""",
        error_text="""get KubeBinary key cri-dockerd by pipeline cache failed
sync cri-dockerd binaries failed
Found multiple CRI endpoints on the host. Please define which one do you wish to use by setting the 'criSocket' field in the kubeadm configuration file""",
        example="""cri-docker.socket: ActiveState=active UnitFileState=enabled (/lib/systemd/system/cri-docker.socket)
/var/run/cri-dockerd.sock: socket present"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'cri-dockerd-without-docker': (
        case(lambda ev, h: h.with_unit(ev, 'cri-docker.socket', ActiveState='active')),
        case(lambda ev, h: h.with_unit(ev, 'cri-docker.socket', ActiveState='inactive', UnitFileState='disabled'))),
}


def check_cri_dockerd(ctx):
    ev = ctx.ev
    name = (ctx.runtime or {}).get('name')
    if name == 'docker':
        return
    lines = []
    for path in CRI_DOCKERD_SOCKETS:
        if ev.socket_is_present(path):
            lines.append('%s: socket present' % path)
    for unit in CRI_DOCKERD_UNITS:
        u = ev.unit(unit)
        if u and (ev.unit_active(unit) or ev.unit_enabled(unit)):
            lines.append('%s: ActiveState=%s UnitFileState=%s (%s)' % (
                unit, u.get('ActiveState'), u.get('UnitFileState'), u.get('FragmentPath')))
    for proc in ev.processes_named('cri-dockerd'):
        lines.append('process %s: %s' % (proc.get('pid'), ' '.join(proc.get('cmdline') or [])[:200]))
    if lines:
        ctx.findings.add('cri-dockerd-without-docker', lines, (
            'cri-dockerd is installed or running although the runtime is %s, not docker. It is only '
            'needed with Docker Engine; its socket makes kubeadm see several CRI endpoints.' % name))


def check(ctx, models):
    check_cri_dockerd(ctx)
