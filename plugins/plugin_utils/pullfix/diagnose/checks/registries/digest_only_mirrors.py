# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of registries-mirror-digest-only, registries-mirror-digest-only-bypassed,
registries-mirror-usage-rejected: containers-image mirrors that tag pulls never use
(facts/digest_mirrors.py; the route shows each skipped mirror with its file:line).
Unit-tested only for CRI-O (it does not run in this project's test nodes)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .... import route as routing
from ....facts import digest_mirrors as facts
from ....parse import line_of
from ...catalogue import MANUAL, case, finding
from ...models.containers_image import ordered_files

_APPLIES = """containers-image (CRI-O, podman): `mirror-by-digest-only` all versions; `pull-from-mirror` since containers/image 5.21.0
(CRI-O 1.25); read at v5.36.1 pkg/sysregistriesv2/system_registries_v2.go 137-169, 430-453. Unit-tested only."""

FINDINGS = {
    'registries-mirror-digest-only': finding(
        'warning', 'Tag pulls never use this registry\'s mirrors (digest-only)', MANUAL, 'pull',
        applies_to=_APPLIES,
        doc="""A `[[registry]]` has `mirror-by-digest-only = true`, or every mirror has `pull-from-mirror = "digest-only"`: containers-image
tries the mirrors only for `name@sha256:...` references. Every tag pull (`nginx:1.27`, what most manifests use) goes to the
registry itself: rate limits come back, and an air-gapped node fails with a dial error to the upstream while digest pulls
work. The route of each image shows the skipped mirror with its file and line. If tag pulls should use the mirror, set
`pull-from-mirror = "all"` on it (and drop `mirror-by-digest-only`): mirrors of tags can serve a stale tag, which is why
some sites choose digest-only.
""",
        error_text='(no error; on an air-gapped node: pinging container registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": '
                   'dial tcp ...: i/o timeout)',
        example="""/etc/containers/registries.conf.d/50-mirror.conf:3 mirror-by-digest-only = true
docker.io: mirror.example.com is used for digest pulls only"""),
    'registries-mirror-digest-only-bypassed': finding(
        'error', 'A verification tag pull failed at the registry while its mirror serves digests only', MANUAL, 'pull',
        applies_to=_APPLIES,
        doc="""A verification pull of a tag failed, and the registry's mirrors are digest-only, so the pull went to the registry itself (which
the node cannot reach, or which refused it). The mirror would have been tried for a digest reference. Set
`pull-from-mirror = "all"` on the mirror, or pull by digest.
""",
        error_text="""pinging container registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": dial tcp 54.0.0.1:443: i/o timeout""",
        example="""docker.io/library/busybox:1: ... dial tcp 54.0.0.1:443: i/o timeout
/etc/containers/registries.conf.d/50-mirror.conf:3 mirror-by-digest-only = true"""),
    'registries-mirror-usage-rejected': finding(
        'error', 'registries.conf sets mirror usage in a way containers-image rejects: every podman/CRI-O pull fails', MANUAL, 'pull',
        applies_to=_APPLIES,
        doc="""`pull-from-mirror` on the registry itself instead of on a `[[registry.mirror]]`, together with `mirror-by-digest-only = true`,
or with a value other than `all`, `digest-only`, `tag-only`: containers-image refuses the whole configuration and every
pull fails until the file is corrected.
""",
        error_text="""loading registries configuration "/etc/containers/registries.conf.d/50-mirror.conf": cannot set mirror usage mirror-by-digest-only \
for the registry ("docker.io") and pull-from-mirror for per-mirror ("mirror.example.com") at the same time""",
        example='/etc/containers/registries.conf.d/50-mirror.conf:1 [[registry]]'),
}

DIGEST_ONLY = ('[[registry]]\nprefix = "docker.io"\nlocation = "registry-1.docker.io"\nmirror-by-digest-only = true\n'
               '[[registry.mirror]]\nlocation = "mirror.example.com"\n')
PER_MIRROR = ('[[registry]]\nprefix = "docker.io"\nlocation = "registry-1.docker.io"\n'
              '[[registry.mirror]]\nlocation = "mirror.example.com"\npull-from-mirror = "%s"\n')
_TIMEOUT = ('pinging container registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": dial tcp 54.0.0.1:443: '
            'i/o timeout')


def _verify(error=None, image='docker.io/library/busybox:1'):
    return {'endpoint': 'unix:///var/run/crio/crio.sock',
            'results': [{'image': image, 'ok': error is None, 'error': error, 'error_kind': 'grpc' if error else None,
                         'grpc_status': 2 if error else None, 'image_ref': None if error else 'sha256:00'}]}


CASES = {
    'registries-mirror-digest-only': [(
        case(lambda ev, h: (h.crio(ev), h.regconf(ev, '50-mirror.conf', DIGEST_ONLY))),
        case(lambda ev, h: (h.crio(ev), h.regconf(ev, '50-mirror.conf', PER_MIRROR % 'all')))), (
        case(lambda ev, h: (h.crio(ev), h.regconf(ev, '50-mirror.conf', PER_MIRROR % 'digest-only'))),
        case(lambda ev, h: (h.crio(ev), h.regconf(ev, '50-mirror.conf', PER_MIRROR % 'tag-only'))))],
    'registries-mirror-digest-only-bypassed': (
        case(lambda ev, h: (h.crio(ev), h.regconf(ev, '50-mirror.conf', DIGEST_ONLY)),
             {'verify_images': ['docker.io/library/busybox:1'], '_verify': _verify(_TIMEOUT)}),
        # the same failure by digest: the mirror was tried, so the mirror is not bypassed
        case(lambda ev, h: (h.crio(ev), h.regconf(ev, '50-mirror.conf', DIGEST_ONLY)),
             {'verify_images': ['docker.io/library/busybox@sha256:' + '0' * 64],
              '_verify': _verify(_TIMEOUT, 'docker.io/library/busybox@sha256:' + '0' * 64)})),
    'registries-mirror-usage-rejected': (
        case(lambda ev, h: (h.crio(ev), h.regconf(ev, '50-mirror.conf', DIGEST_ONLY + 'pull-from-mirror = "all"\n'))),
        case(lambda ev, h: (h.crio(ev), h.regconf(ev, '50-mirror.conf', PER_MIRROR % 'digest-only')))),
}


def _rejected(ctx):
    for path in ordered_files(ctx.ev):
        loaded = ctx.ev.parsed(path, 'toml')
        if not loaded or loaded[2] is not None or not isinstance(loaded[0], dict):
            continue
        data, index, _err = loaded
        regs = data.get('registry') if isinstance(data.get('registry'), list) else []
        for n, reg in enumerate(regs):
            if not isinstance(reg, dict):
                continue
            for message in facts.problems(reg):
                ctx.findings.add('registries-mirror-usage-rejected', [
                    ctx.cite(path, line_of(index, ('registry', n)) or None, toml=True) + ' -- ' + message], (
                    'containers-image refuses %s: %s. Every podman and CRI-O pull fails until it is corrected: put '
                    'pull-from-mirror on each [[registry.mirror]] (all, digest-only or tag-only) and not together with '
                    'mirror-by-digest-only.' % (path, message)))


def check(ctx, models):
    if not ordered_files(ctx.ev):
        return
    _rejected(ctx)
    conf = routing.containers_conf(ctx, ordered_files(ctx.ev))
    bypassing = {}
    for prefix, reg in sorted(conf['registries'].items()):
        if not reg['mirrors'] or reg['blocked']:
            continue
        used = [m for m in reg['mirrors'] if facts.mirror_used({'mirror-by-digest-only': reg['digest_only']},
                                                               {'pull-from-mirror': m[2]}, False)]
        if used:
            continue
        bypassing[prefix] = reg
        why = [reg['digest_only_from']] if reg['digest_only'] else []
        ctx.findings.add('registries-mirror-digest-only', why + [
            '%s pull-from-mirror = "%s"' % (m[3], m[2]) if not reg['digest_only'] else m[3] for m in reg['mirrors']], (
            'Tag pulls of %s never use its mirrors (%s): containers-image tries them only for digest references, so a '
            'tag pull goes to %s itself. To use them for tags: pull-from-mirror = "all" on each mirror%s.' % (
                prefix, ', '.join(m[0] for m in reg['mirrors']), reg['location'],
                ' and no mirror-by-digest-only' if reg['digest_only'] else '')))
    if (ctx.runtime or {}).get('name') != 'crio' or not bypassing:
        return
    by_image = dict((r.get('image'), r) for r in models.runtime_routes or ())
    for result in (models.verify or {}).get('results') or ():
        if result.get('ok') or not result.get('error') or '@' in str(result.get('image')):
            continue
        r = by_image.get(result.get('image')) or {}
        skipped = [s for s in r.get('skipped') or () if 'not used for a tag pull' in s.get('why', '')]
        if skipped:
            ctx.findings.add('registries-mirror-digest-only-bypassed', [
                '%s: %s' % (result['image'], result['error'])] + ['%s skipped (%s)' % (s['url'], s['why']) for s in skipped], (
                'The tag pull of %s failed at the registry while its mirror %s serves digest pulls only. Set '
                'pull-from-mirror = "all" on the mirror, or pull by digest.' % (
                    result['image'], ', '.join(s['url'] for s in skipped))))
