# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of crio-signature-policy-missing, crio-signature-policy-rejected, crio-signature-policy-rejects-all:
the containers signature policy (policy.json) CRI-O parses before every pull (facts/policy.py).
Unit-tested only: CRI-O does not run in this project's test nodes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ....facts import policy as facts
from ...catalogue import MANUAL, case, finding
from . import crio_layers, crio_present, crio_version

_APPLIES = """CRI-O, every version (it parses the policy on every pull, containers/image v5.36.1 signature/policy_config.go; the
keys each CRI-O minor accepts follow its containers/image, facts/policy.py CRIO_IMAGE_LIBRARY). podman reads the same
files for its own pulls. Unit-tested only (recorded evidence)."""

FINDINGS = {
    'crio-signature-policy-missing': finding(
        'error', 'No signature policy file where CRI-O looks for one', MANUAL, 'pull',
        applies_to=_APPLIES, runtimes=('crio',),
        doc="""CRI-O parses a containers signature policy before every pull: `<signature_policy_dir>/<namespace>.json` when that exists, else
the file `[crio.image] signature_policy` names, else the first of `/root/.config/containers/policy.json` and
`/etc/containers/policy.json`. None of them exists, so every pull fails. Packages ship the default in `containers-common`
(`{"default": [{"type": "insecureAcceptAnything"}]}`); a minimal image or a removed package leaves none. Which policy to
install is the owner's security decision: the collection never writes one.
""",
        error_text="""no policy.json file found at any of the following: "/root/.config/containers/policy.json", "/etc/containers/policy.json"
(or, with signature_policy set: open /etc/containers/policy.json: no such file or directory)""",
        example="""/etc/containers/policy.json: missing
/root/.config/containers/policy.json: missing"""),
    'crio-signature-policy-rejected': finding(
        'error', 'CRI-O\'s signature policy is rejected by its containers/image', MANUAL, 'pull',
        applies_to=_APPLIES, runtimes=('crio',),
        doc="""The policy file CRI-O applies is not valid JSON, or containers/image rejects it: strict objects (an unknown, duplicate or
missing key fails the whole file), an unknown requirement or identity type, an empty requirement list, or a key newer than
the containers/image this CRI-O is built with (e.g. `keyPaths` needs 5.22, CRI-O 1.25; cri-o#6197 and
kubernetes/website#40834: RHEL 8.7's containers-common with CRI-O 1.24). Every pull fails. Edit the file (file:line shown),
or upgrade CRI-O to a release whose containers/image knows the key.
""",
        error_text='invalid policy in "/etc/containers/policy.json": Unknown key "keyPaths"',
        example='/etc/containers/policy.json:7 Unknown key "keyPaths" (CRI-O 1.24.6, containers/image 5.17.0)'),
    'crio-signature-policy-rejects-all': finding(
        'warning', 'CRI-O\'s signature policy rejects every image by default', MANUAL, 'security',
        applies_to=_APPLIES,
        doc="""The policy's `default` is only `reject` and no transport scope accepts anything: every pull of an image without an accepted
signature fails. Intended on a locked-down node; a pull failure then names the policy. Never relaxed by the collection.
""",
        error_text='Source image rejected: Running image docker://docker.io/library/busybox:1 is rejected by policy.',
        example='/etc/containers/policy.json:1 default: [{"type": "reject"}]'),
}

DEFAULT_POLICY = '{\n    "default": [\n        {\n            "type": "insecureAcceptAnything"\n        }\n    ]\n}\n'
KEYPATHS_POLICY = ('{\n  "default": [{"type": "insecureAcceptAnything"}],\n  "transports": {\n    "docker": {\n'
                   '      "registry.example.com": [\n        {"type": "signedBy", "keyType": "GPGKeys",\n'
                   '         "keyPaths": ["/etc/pki/a.gpg", "/etc/pki/b.gpg"]}\n      ]\n    }\n  }\n}\n')


def _policy(ev, h, text, path=facts.SYSTEM_PATH):
    h.with_error(ev, '/root/.config/containers/policy.json', 'missing', 'signature-policy')
    if text is None:
        return h.with_error(ev, path, 'missing', 'signature-policy')
    return h.with_file(ev, path, text, 'signature-policy')


CASES = {
    'crio-signature-policy-missing': (
        case(lambda ev, h: (h.crio(ev), _policy(ev, h, None))),
        # the same node with the packaged default
        case(lambda ev, h: (h.crio(ev), _policy(ev, h, DEFAULT_POLICY)))),
    'crio-signature-policy-missing-runtime-unused': (
        case(lambda ev, h: (h.with_file(ev, '/etc/crio/crio.conf', '[crio.image]\n', 'crio-config'), _policy(ev, h, None))),
        # a containerd node without any CRI-O file: CRI-O's policy is none of its business
        case(lambda ev, h: _policy(ev, h, None))),
    'crio-signature-policy-rejected': [(
        case(lambda ev, h: (h.crio(ev, '1.24.6'), _policy(ev, h, KEYPATHS_POLICY))),
        # keyPaths is known to the containers/image of CRI-O 1.25 (5.22)
        case(lambda ev, h: (h.crio(ev, '1.25.0'), _policy(ev, h, KEYPATHS_POLICY)))), (
        # the file signature_policy names wins over /etc/containers/policy.json
        case(lambda ev, h: (h.crio(ev), _policy(ev, h, DEFAULT_POLICY),
                            h.with_file(ev, '/etc/crio/crio.conf.d/10-policy.conf',
                                        '[crio.image]\nsignature_policy = "/etc/crio/policy.json"\n', 'crio-config'),
                            h.with_file(ev, '/etc/crio/policy.json', '{"default": []}', 'signature-policy'))),
        case(lambda ev, h: (h.crio(ev), _policy(ev, h, '{"default": []}'),
                            h.with_file(ev, '/etc/crio/crio.conf.d/10-policy.conf',
                                        '[crio.image]\nsignature_policy = "/etc/crio/policy.json"\n', 'crio-config'),
                            h.with_file(ev, '/etc/crio/policy.json', DEFAULT_POLICY, 'signature-policy'))))],
    'crio-signature-policy-rejected-runtime-unused': (
        case(lambda ev, h: (h.with_file(ev, '/etc/crio/crio.conf', '[crio.image]\n', 'crio-config'),
                            _policy(ev, h, '{"default": [{"type": "accept"}]}'))),
        case(lambda ev, h: (h.with_file(ev, '/etc/crio/crio.conf', '[crio.image]\n', 'crio-config'),
                            _policy(ev, h, DEFAULT_POLICY)))),
    'crio-signature-policy-rejects-all': (
        case(lambda ev, h: (h.crio(ev), _policy(ev, h, '{"default": [{"type": "reject"}]}'))),
        case(lambda ev, h: (h.crio(ev), _policy(ev, h, '{"default": [{"type": "reject"}], "transports": {"docker": '
                                                       '{"registry.example.com": [{"type": "insecureAcceptAnything"}]}}}')))),
}


def _gathered(ev):
    """The gather read the policy files (evidence recorded before it did cannot tell)."""
    return bool(ev.paths_by_why('signature-policy'))


def check(ctx, models):
    ev = ctx.ev
    if not _gathered(ev) or not crio_present(ctx):
        return
    layers = crio_layers(ctx)
    existing = set(p for p in ev.paths_by_why('signature-policy') if ev.text(p) is not None)
    path, error = facts.effective_path([(p, d) for p, d, _i in layers], existing)
    version = crio_version(ctx)
    library = facts.image_library_for_crio(version)
    named = [ctx.cite_key(p, i, ('crio', 'image', 'signature_policy')) for p, d, i in layers
             if isinstance((d.get('crio') or {}).get('image'), dict) and 'signature_policy' in d['crio']['image']]
    if error:
        candidates = facts.candidate_paths(signature_policy=facts.crio_image_setting(
            [(p, d) for p, d, _i in layers], 'signature_policy') or '')
        ctx.findings.add('crio-signature-policy-missing', named + ['%s: missing' % c for c in candidates], (
            'CRI-O finds no signature policy, so every pull fails with "%s". Install the policy your site uses (the '
            'packaged default of containers-common accepts any image), or point [crio.image] signature_policy at '
            'it. The collection never writes a security policy.' % error))
    # The file every pull without a namespace file uses, and every per-namespace file (pulls of that namespace).
    policy_dir = facts.crio_image_setting([(p, d) for p, d, _i in layers], 'signature_policy_dir') or facts.CRIO_POLICY_DIR
    judged = ([path] if path else []) + sorted(p for p in existing if posixpath.dirname(p) == policy_dir.rstrip('/'))
    for policy_path in judged:
        ctx.needed_paths.add(policy_path)
        text = ev.text(policy_path)
        problems = facts.validate(text, library)
        if problems:
            where = 'CRI-O %s (containers/image %s)' % (version, '.'.join(str(n) for n in library)) if library else \
                'CRI-O %s' % (version or 'of unknown version')
            ctx.findings.add('crio-signature-policy-rejected', [
                ctx.cite(policy_path, line) + ' -- ' + message for line, message in problems[:5]] + [where], (
                'containers/image rejects %s, so every pull %sfails with invalid policy in "%s": %s. Correct the '
                'file at the line shown%s.' % (
                    policy_path, 'of that namespace ' if posixpath.dirname(policy_path) == policy_dir.rstrip('/') else '',
                    policy_path, problems[0][1],
                    ', or upgrade CRI-O to a release whose containers/image knows the key' if any(
                        'needs containers/image' in m for _l, m in problems) else '')))
        elif facts.rejects_everything(text):
            ctx.findings.add('crio-signature-policy-rejects-all', [ctx.cite(policy_path, 1)], (
                '%s rejects every image by default and accepts none by transport scope: only images with an accepted '
                'signature can be pulled.' % policy_path))
