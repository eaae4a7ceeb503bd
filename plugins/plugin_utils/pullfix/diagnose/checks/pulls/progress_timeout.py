# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-pull-progress-timeout-ignored, containerd-pull-progress-timeout-invalid,
containerd-pull-progress-timeout-short, containerd-pull-progress-cut: catalogue entries and user text, the check
and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts import pull_timeouts
from ...catalogue import MANUAL, case, finding
from . import config_docs, duration_text, effective_progress_timeout

# Below this, a large layer on a slow link is cut although it moves (containerd counts progress per
# pull, kubernetes#131521 shows 1m0s cutting real pulls); 1.7.0-1.7.9 shipped 1m as the default.
SHORT_SECONDS = 60.0

_APPLIES = ('containerd 1.7.0+ (1.7.0-1.7.9 default 1m, 1.7.10+ and 2.x default 5m; 1.6 has no such timeout); read at the top of '
            'the CRI table of the file\'s version (facts/pull_timeouts.py)')

FINDINGS = {
    'containerd-pull-progress-timeout-ignored': finding(
        'warning', 'image_pull_progress_timeout is written where this config version does not read it',
        MANUAL, 'pull', applies_to=_APPLIES,
        doc="""`image_pull_progress_timeout` is set under a table containerd does not read for this file's `version` (version 3: \
`[plugins."io.containerd.cri.v1.images"]`; version 2: `[plugins."io.containerd.grpc.v1.cri"]`; version 1: `[plugins.cri]`), so the \
default applies (1m on 1.7.0-1.7.9, 5m on 1.7.10+ and 2.x). containerd ignores the unknown key without an error. Next step: move the key \
to the table the file's version reads (v2.3.4 internal/cri/config/config.go; facts/pull_timeouts.py).
""",
        error_text='(none at start; later, on a slow link: cancel pulling image <ref> because of no progress in 5m0s)',
        example='/etc/containerd/config.toml:4 image_pull_progress_timeout = "20m"'),
    'containerd-pull-progress-timeout-invalid': finding(
        'error', 'image_pull_progress_timeout has a value containerd cannot use: every CRI pull fails',
        MANUAL, 'pull', applies_to=_APPLIES,
        doc="""The value is not a Go duration: an empty string makes every pull fail (`failed to parse image_pull_progress_timeout ""`), \
another unparsable value stops the CRI plugin from loading (`invalid image pull progress timeout`). Next step: write a duration such as \
`"5m"`, or `"0"` to turn the watchdog off.
""",
        error_text='failed to parse image_pull_progress_timeout ""',
        example='/etc/containerd/config.toml:3 image_pull_progress_timeout = ""'),
    'containerd-pull-progress-timeout-short': finding(
        'warning', 'image_pull_progress_timeout is shorter than a minute: large layers on a slow link are cut',
        MANUAL, 'pull', applies_to=_APPLIES,
        doc="""containerd cancels a CRI pull when no bytes arrived for this long. Below a minute, a large layer behind a slow proxy or \
mirror is cut although it moves; kubelet then retries from the start with back-off. Next step: raise it (`"5m"`, the default since \
1.7.10) or set `"0"` to turn the watchdog off.
""",
        error_text='level=error msg="cancel pulling image <ref> because of no progress in 30s"',
        example='/etc/containerd/config.toml:3 image_pull_progress_timeout = "30s"'),
    'containerd-pull-progress-cut': finding(
        'warning', "containerd's log shows a pull cancelled for lack of progress",
        MANUAL, 'pull', applies_to=_APPLIES,
        causes=('containerd-pull-progress-timeout-short',),
        doc="""Since containerd last started, its journal says it cancelled a pull because no bytes arrived within \
`image_pull_progress_timeout` (kubernetes#131521). The pull that kubelet retries may succeed; the finding is a warning unless a \
verification pull fails the same way (`pull-progress-timeout`). Next step: find the slow hop (mirror, proxy, the upstream), or raise the \
timeout in the table the file's version reads.
""",
        error_text='level=error msg="cancel pulling image docker.io/library/big:1 because of no progress in 1m0s"',
        example='containerd journal: cancel pulling image docker.io/library/big:1 because of no progress in 1m0s (effective 1m0s from '
                '/etc/containerd/config.toml:3)'),
}


def journal_lines(ev):
    journal = ((ev.raw.get('runtime_view') or {}) if hasattr(ev, 'raw') else {}).get('journal') or {}
    return [str(x) for x in journal.get('lines') or ()]


def check(ctx, models):
    docs = config_docs(ctx)
    if not docs:
        return
    for path, data, index in docs:
        for keypath in pull_timeouts.containerd_misplaced(data):
            read = pull_timeouts.containerd_table(data.get('version') if isinstance(data.get('version'), int) else 1)
            ctx.findings.add('containerd-pull-progress-timeout-ignored', [ctx.cite_key(path, index, keypath)],
                             '%s is not read in a version %s file; containerd reads [%s] %s.' % (
                                 '.'.join(keypath), data.get('version') or 1, '.'.join('"%s"' % k if '.' in k else k for k in read),
                                 pull_timeouts.KEY))
    seconds, source, problem = effective_progress_timeout(ctx)
    if problem:
        ctx.findings.add('containerd-pull-progress-timeout-invalid', [source], '%s.' % problem)
    elif seconds and seconds < SHORT_SECONDS:
        ctx.findings.add('containerd-pull-progress-timeout-short', [source],
                         'containerd cancels a pull after %s without progress; large layers on a slow link are cut.' % duration_text(seconds))
    cut = pull_timeouts.progress_timeout_cut(journal_lines(ctx.ev))
    if cut:
        ctx.findings.add('containerd-pull-progress-cut', ['containerd journal: %s' % cut[:300]],
                         'containerd cancelled a pull for lack of progress (effective timeout %s, from %s).' % (
                             duration_text(seconds), source))


def _cfg(text, version='1.7.24'):
    def build(ev, h):
        h.set_containerd_version(ev, version)
        h.with_file(ev, '/etc/containerd/config.toml', text, 'containerd-config')
    return build


def _journal(line):
    def build(ev, h):
        ev['runtime_view'] = dict(ev.get('runtime_view') or {}, journal={
            'unit': 'containerd.service', 'lines': [line], 'matched': 1, 'truncated': False, 'rc': 0, 'error': None})
    return build


_V2 = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  image_pull_progress_timeout = "%s"\n'
_V3 = 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  image_pull_progress_timeout = "%s"\n'
CASES = {
    # A version 3 file with the key under the version-2 id vs under the images plugin.
    'containerd-pull-progress-timeout-ignored': (
        case(_cfg(_V2.replace('version = 2', 'version = 3') % '20m', '2.1.9')),
        case(_cfg(_V3 % '20m', '2.1.9'))),
    'containerd-pull-progress-timeout-invalid': (case(_cfg(_V2 % '')), case(_cfg(_V2 % '0'))),
    'containerd-pull-progress-timeout-short': (case(_cfg(_V2 % '30s')), case(_cfg(_V2 % '1m')),),
    'containerd-pull-progress-cut': (
        case(_journal('time="2026-04-30T10:00:00Z" level=error msg="cancel pulling image docker.io/library/big:1 because of no '
                      'progress in 1m0s"')),
        case(_journal('time="2026-04-30T10:00:00Z" level=error msg="PullImage \\"docker.io/library/big:1\\" failed" '
                      'error="not found"'))),
}
