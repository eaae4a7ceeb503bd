# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of crio-pull-progress-timeout-short, crio-pull-progress-timeout-invalid,
crio-pull-progress-timeout-misplaced, crio-pull-progress-cut: CRI-O's pull progress watchdog
(facts/pull_timeouts.py). The containerd side of the same idea lives with the containerd checks.
Unit-tested only: CRI-O does not run in this project's test nodes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import parse_version
from ....facts import go_duration
from ....facts import pull_timeouts as facts
from ...catalogue import MANUAL, case, finding
from . import crio_layers, crio_present, crio_version

# Below this a pull of a large layer from a slow or busy registry is cut (kubespray#12554 on the 10 s default).
SHORT = 60.0
DROPIN = '/etc/crio/crio.conf.d/99-pullfix.conf'
_VERSIONS = """CRI-O 1.30.0-1.30.10 and 1.31.0-1.31.2: fixed 10 s, not configurable; 1.30.11+, 1.31.3+, 1.32: `[crio.image]
pull_progress_timeout`, default 10s; 1.33 and later: default 0 (off); before 1.30: no watchdog (cri-o#8760, #8764, PR #8765;
facts/pull_timeouts.py). Unit-tested only (recorded evidence)."""
CUT_TEXT = 'copying config: context canceled'

FINDINGS = {
    'crio-pull-progress-timeout-short': finding(
        'warning', 'CRI-O cancels a pull that shows no progress for a short time', MANUAL, 'pull',
        applies_to=_VERSIONS,
        doc="""CRI-O's pull progress watchdog cancels a pull when no bytes arrive for the timeout (10 s by default on 1.30-1.32, and fixed at
10 s on 1.30.0-1.30.10 and 1.31.0-1.31.2). A large layer behind a slow registry, a proxy that buffers, or a mirror that
fetches from its upstream first stays silent longer than that, and the pull ends `context canceled`. Set a longer timeout in
a drop-in that sorts last (CRI-O reads crio.conf, then crio.conf.d in lexical order), or upgrade where it is fixed.
""",
        error_text="""pulling image: rpc error: code = Canceled desc = copying system image from manifest list: copying config: context canceled
(journal: Timed out on waiting up to 10s for image pull progress updates)""",
        example="""CRI-O 1.32.3: pull_progress_timeout 10s (default of CRI-O 1.32.3)"""),
    'crio-pull-progress-timeout-invalid': finding(
        'warning', 'CRI-O pull_progress_timeout is not a Go duration', MANUAL, 'hygiene',
        applies_to=_VERSIONS,
        doc="""`[crio.image] pull_progress_timeout` is not a duration string Go parses (e.g. `"5 m"`, a bare number, `"5min"`). CRI-O decodes
it as a duration when it loads its configuration; a value that does not parse stops the configuration from loading
(the socket checks then show CRI-O down). Write a Go duration: `"5m"`, `"300s"`, `"0"` to disable.
""",
        error_text='time: unknown unit "min" in duration "5min"',
        example='/etc/crio/crio.conf.d/10-timeout.conf:2 pull_progress_timeout = "5min"'),
    'crio-pull-progress-timeout-misplaced': finding(
        'warning', 'CRI-O pull_progress_timeout is written outside [crio.image]', MANUAL, 'hygiene',
        applies_to=_VERSIONS,
        doc="""The key is only read in the `[crio.image]` table; under `[crio]`, `[crio.runtime]` or a misspelled table it is ignored and the
default applies.
""",
        error_text='(no error: the default timeout applies)',
        example='/etc/crio/crio.conf.d/10-timeout.conf:2 pull_progress_timeout = "5m" (in [crio.runtime])'),
    'crio-pull-progress-cut': finding(
        'error', 'A verification pull through CRI-O was cancelled by its pull progress watchdog', MANUAL, 'pull',
        applies_to=_VERSIONS,
        doc="""A verification pull through CRI-O ended `context canceled` while copying, on a CRI-O whose progress watchdog is on: the
pull was cut for lack of progress, not refused by the registry. Raise `pull_progress_timeout` (1.30.11+, 1.31.3+, 1.32+) or
upgrade from 1.30.0-1.30.10 / 1.31.0-1.31.2, where it is fixed at 10 s. The pull failure is also shown under its class
(`pull-failed`).
""",
        error_text="""pulling image: rpc error: code = Canceled desc = copying system image from manifest list: copying config: context canceled""",
        example="""docker.io/library/busybox:1: copying system image from manifest list: copying config: context canceled
CRI-O 1.31.1: pull_progress_timeout 10s (fixed 10s in CRI-O 1.31.1 (not configurable))"""),
}


def _conf(ev, h, text, name='10-timeout.conf'):
    return h.with_file(ev, '/etc/crio/crio.conf.d/' + name, text, 'crio-config')


def _cut(image='docker.io/library/busybox:1'):
    return {'endpoint': 'unix:///var/run/crio/crio.sock',
            'results': [{'image': image, 'ok': False, 'error_kind': 'grpc', 'grpc_status': 1, 'image_ref': None,
                         'error': 'pulling image: rpc error: code = Canceled desc = copying system image from manifest '
                                  'list: %s' % CUT_TEXT}]}


CASES = {
    'crio-pull-progress-timeout-short': [(
        case(lambda ev, h: h.crio(ev, '1.32.3')),
        # the same version with a drop-in that raises it
        case(lambda ev, h: (h.crio(ev, '1.32.3'), _conf(ev, h, '[crio.image]\npull_progress_timeout = "5m"\n')))), (
        case(lambda ev, h: h.crio(ev, '1.31.1')),
        # 1.33 and later: off by default
        case(lambda ev, h: h.crio(ev, '1.33.0')))],
    'crio-pull-progress-timeout-invalid': (
        case(lambda ev, h: (h.crio(ev, '1.32.3'), _conf(ev, h, '[crio.image]\npull_progress_timeout = "5min"\n'))),
        case(lambda ev, h: (h.crio(ev, '1.32.3'), _conf(ev, h, '[crio.image]\npull_progress_timeout = "5m"\n')))),
    'crio-pull-progress-timeout-misplaced': (
        case(lambda ev, h: (h.crio(ev, '1.34.1'), _conf(ev, h, '[crio.runtime]\npull_progress_timeout = "5m"\n'))),
        case(lambda ev, h: (h.crio(ev, '1.34.1'), _conf(ev, h, '[crio.image]\npull_progress_timeout = "5m"\n')))),
    'crio-pull-progress-cut': (
        case(lambda ev, h: h.crio(ev, '1.31.1'), {'verify_images': ['docker.io/library/busybox:1'], '_verify': _cut()}),
        # the same failure on a CRI-O without a watchdog: not this cause
        case(lambda ev, h: h.crio(ev, '1.29.4'), {'verify_images': ['docker.io/library/busybox:1'], '_verify': _cut()})),
}


def _human(seconds):
    return go_duration.format_seconds(seconds)


def check(ctx, models):
    if not crio_present(ctx):
        return
    version = crio_version(ctx)
    layers = crio_layers(ctx)
    for path, keys in facts.crio_misplaced([(p, d) for p, d, _i in layers]):
        index = dict((p, i) for p, _d, i in layers)[path]
        ctx.findings.add('crio-pull-progress-timeout-misplaced', [ctx.cite_key(path, index, keys)], (
            '%s sets %s under [%s], where CRI-O never reads it: the default applies. Move it into [crio.image].' % (
                path, facts.CRIO_KEY, '.'.join(str(k) for k in keys[:-1]) or 'the top level')))
    if parse_version(version) is None:
        return
    seconds, source = facts.crio_pull_progress_timeout(version, [(p, d) for p, d, _i in layers])
    cite = source
    for path, data, index in layers:
        if source.startswith(path + ' '):
            cite = ctx.cite_key(path, index, facts.CRIO_TABLE + (facts.CRIO_KEY,))
    if seconds is None and facts.crio_configurable(version) and source.startswith('/'):
        ctx.findings.add('crio-pull-progress-timeout-invalid', [cite], (
            '%s. Write a Go duration such as "5m" (or "0" to turn the watchdog off).' % source))
        return
    if not seconds:
        return
    said = 'CRI-O %s: pull_progress_timeout %s (%s)' % (version, _human(seconds), cite)
    fix = ('upgrade CRI-O to 1.30.11+ / 1.31.3+ (configurable) or 1.33+ (off by default): no setting helps on this version'
           if not facts.crio_configurable(version) else
           'set [crio.image] pull_progress_timeout = "5m" in a drop-in that sorts last, e.g. %s' % DROPIN)
    if _cut_pulls(ctx, models.verify, said, fix):
        return
    if seconds < SHORT:
        ctx.findings.add('crio-pull-progress-timeout-short', [said], (
            'CRI-O cancels a pull that receives nothing for %s; a large layer behind a slow registry or mirror is cut '
            '("copying config: context canceled"). To allow more: %s.' % (_human(seconds), fix)))


def _cut_pulls(ctx, verify, said, fix):
    if (ctx.runtime or {}).get('name') != 'crio':
        return False
    cut = [r for r in (verify or {}).get('results') or () if not r.get('ok') and CUT_TEXT in str(r.get('error') or '')]
    for result in cut:
        ctx.findings.add('crio-pull-progress-cut', ['%s: %s' % (result.get('image'), result.get('error')), said], (
            'CRI-O cut the pull of %s for lack of progress. To allow more: %s.' % (result.get('image'), fix)))
    return bool(cut)
