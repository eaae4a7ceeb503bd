# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The containers signature policy (policy.json) as containers/image parses it before every CRI-O pull.

Read at containers/image v5.36.1 (signature/policy_config.go, policy_config_sigstore.go,
policy_types.go, internal/json.go, policy_paths_common.go):
- Where: `signature_policy` in crio.conf, else containers/image's default: the first of
  $HOME/.config/containers/policy.json (HOME of CRI-O, root: /root) and /etc/containers/policy.json
  (policy_config.go 72-87; policy_paths_common.go 7); a namespace file
  <signature_policy_dir>/<namespace>.json wins when it exists (cri-o v1.33.0 pkg/config/config.go
  556-564). CRI-O reads the policy on every pull (cri-o v1.33.0 internal/storage/image.go 512, 866).
- Missing file: `no policy.json file found at any of the following: "/root/.config/containers/policy.json",
  "/etc/containers/policy.json"` (policy_config.go 86); a named file that is missing fails with
  the open error, e.g. `open /etc/containers/policy.json: no such file or directory` (90-94).
- Parse errors are `invalid policy in "<file>": <reason>` (policy_config.go 97) and every pull fails.
- Strict JSON objects everywhere (internal/json.go 25-71): a duplicate key (`Duplicate key "x"`), an
  unknown key (`Unknown key "x"`) or a missing required key (`Key "x" missing in a JSON object`)
  rejects the whole file.
- Top level: only `default` (required: "Default policy is missing") and `transports`
  (policy_config.go 116-135). Requirement lists must not be empty (228).
- Requirement types (policy_config.go 243-262, policy_types.go 45-49): insecureAcceptAnything,
  reject (only "type"), signedBy (keyType, exactly one of keyPath/keyPaths/keyData,
  signedIdentity optional: 394-450; keyType one of GPGKeys, signedByGPGKeys, X509Certificates,
  signedByX509CAs: 459-482), signedBaseLayer (type, baseLayerIdentity: 506-520), sigstoreSigned
  (exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki; policy_config_sigstore.go
  177, 245-287). Any other type: `Unknown policy requirement type "x"` (261).
- Identity match types (policy_types.go 209-214, policy_config.go 534-555): matchExact,
  matchRepoDigestOrExact, matchRepository, exactReference (dockerReference with a tag or digest,
  653-660), exactRepository (dockerRepository), remapIdentity (prefix, signedPrefix).
- Transport names are not checked (an unknown one is kept); the docker transport accepts every
  scope (docker/docker_transport.go 42-47).
- Newer keys an older CRI-O rejects as unknown (first containers/image tag holding them, found
  with `git log -S`): sigstoreSigned v5.22.0, fulcio v5.24.0, keyPaths/keyDatas/
  rekorPublicKeyPaths/rekorPublicKeyDatas in sigstoreSigned v5.33.0, pki v5.35.0; keyPaths in
  signedBy v5.22.0 (cri-o#6197: CRI-O 1.24 with RHEL 8.7's containers-common policy).
  CRI-O -> containers/image (go.mod at the tag): 1.22.0 5.15.2, 1.23.0 5.16.1, 1.24.0 5.17.0,
  1.25.0 5.22.0, 1.26.0 5.23.1-pre, 1.27.0 5.25.0, 1.28.0 5.27.0,
  1.29.0 5.29.0, 1.30.0 5.29.3-pre, 1.31.0 5.32.2, 1.32.0 5.33.0, 1.33.0 5.35.0, 1.34.0 5.36.2,
  1.35.0 and 1.36.0 go.podman.io/image 5.38.0.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ..evidence import parse_version

SYSTEM_PATH = '/etc/containers/policy.json'
USER_PATH = '.config/containers/policy.json'

REQUIREMENT_TYPES = ('insecureAcceptAnything', 'reject', 'signedBy', 'signedBaseLayer', 'sigstoreSigned')
KEY_TYPES = ('GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs')
IDENTITY_FIELDS = {
    'matchExact': ('type',),
    'matchRepoDigestOrExact': ('type',),
    'matchRepository': ('type',),
    'exactReference': ('type', 'dockerReference'),
    'exactRepository': ('type', 'dockerRepository'),
    'remapIdentity': ('type', 'prefix', 'signedPrefix'),
}
SIGNED_BY_KEYS = ('type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity')
SIGSTORE_KEYS = ('type', 'keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'rekorPublicKeyPath',
                 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas', 'pki', 'signedIdentity')
SIGSTORE_SOURCES = ('keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki')
# First containers/image version that accepts a requirement type or a sigstoreSigned key.
SINCE = {
    'sigstoreSigned': (5, 22, 0),
    'fulcio': (5, 24, 0),
    'keyPaths': (5, 33, 0), 'keyDatas': (5, 33, 0),
    'rekorPublicKeyPaths': (5, 33, 0), 'rekorPublicKeyDatas': (5, 33, 0),
    'pki': (5, 35, 0),
}
# signedBy keys: keyPaths since v5.22.0 (CRI-O 1.24 and older answer `invalid policy in
# "/etc/containers/policy.json": Unknown key "keyPaths"` to the containers-common policy of RHEL 8.7:
# cri-o#6197, kubernetes/website#40834).
SIGNED_BY_SINCE = {'keyPaths': (5, 22, 0)}
# containers/image used by each CRI-O minor release (go.mod at vX.Y.0).
CRIO_IMAGE_LIBRARY = {
    (1, 22): (5, 15, 2), (1, 23): (5, 16, 1), (1, 24): (5, 17, 0), (1, 25): (5, 22, 0),
    (1, 26): (5, 23, 1), (1, 27): (5, 25, 0), (1, 28): (5, 27, 0), (1, 29): (5, 29, 0),
    (1, 30): (5, 29, 3), (1, 31): (5, 32, 2), (1, 32): (5, 33, 0), (1, 33): (5, 35, 0),
    (1, 34): (5, 36, 2), (1, 35): (5, 38, 0), (1, 36): (5, 38, 0),
}


def candidate_paths(home='/root', signature_policy=''):
    """Files containers/image tries, in order, for CRI-O's policy (the first that exists is used)."""
    if signature_policy:
        return [signature_policy]
    return ['%s/%s' % (home.rstrip('/'), USER_PATH), SYSTEM_PATH]


def missing_error(home='/root', signature_policy=''):
    """The error every pull fails with when no policy file exists."""
    if signature_policy:
        return 'open %s: no such file or directory' % signature_policy
    user, system = candidate_paths(home)
    return 'no policy.json file found at any of the following: "%s", "%s"' % (user, system)


def image_library_for_crio(version):
    v = parse_version(version) if isinstance(version, str) else version
    return CRIO_IMAGE_LIBRARY.get(v[:2]) if v else None


# A JSON reader that keeps line numbers: nodes are (kind, line, value); objects keep key order
# and duplicates, as a list of (key, key line, node).
class _JSONError(ValueError):
    def __init__(self, line, message):
        ValueError.__init__(self, message)
        self.line = line


_NUMBER = re.compile(r'-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')
_WS = ' \t\r\n'


class _Reader(object):
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def line(self, pos=None):
        return self.text.count('\n', 0, self.pos if pos is None else pos) + 1

    def skip(self):
        while self.pos < len(self.text) and self.text[self.pos] in _WS:
            self.pos += 1

    def fail(self, message):
        raise _JSONError(self.line(), message)

    def value(self):
        self.skip()
        if self.pos >= len(self.text):
            self.fail('unexpected end of JSON input')
        ch = self.text[self.pos]
        line = self.line()
        if ch == '{':
            return self.obj(line)
        if ch == '[':
            return self.arr(line)
        if ch == '"':
            return ('str', line, self.string())
        for word, val in (('true', True), ('false', False), ('null', None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return ('bool' if val is not None else 'null', line, val)
        m = _NUMBER.match(self.text, self.pos)
        if m and m.end() > self.pos:
            self.pos = m.end()
            return ('num', line, m.group(0))
        self.fail('invalid character %r looking for beginning of value' % ch)

    def string(self):
        start = self.pos
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == '"':
                self.pos += 1
                return ''.join(out)
            if ch == '\\':
                nxt = self.text[self.pos + 1:self.pos + 2]
                simple = {'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}
                if nxt in simple:
                    out.append(simple[nxt])
                    self.pos += 2
                    continue
                if nxt == 'u' and re.match(r'[0-9a-fA-F]{4}', self.text[self.pos + 2:self.pos + 6]):
                    out.append(chr(int(self.text[self.pos + 2:self.pos + 6], 16)))
                    self.pos += 6
                    continue
                self.fail('invalid escape in string literal')
            if ch == '\n':
                self.fail('invalid character in string literal')
            out.append(ch)
            self.pos += 1
        self.pos = start
        self.fail('unexpected end of JSON input')

    def obj(self, line):
        self.pos += 1
        items = []
        self.skip()
        if self.text[self.pos:self.pos + 1] == '}':
            self.pos += 1
            return ('obj', line, items)
        while True:
            self.skip()
            if self.text[self.pos:self.pos + 1] != '"':
                self.fail('invalid character looking for beginning of object key string')
            kline = self.line()
            key = self.string()
            self.skip()
            if self.text[self.pos:self.pos + 1] != ':':
                self.fail('invalid character after object key')
            self.pos += 1
            items.append((key, kline, self.value()))
            self.skip()
            ch = self.text[self.pos:self.pos + 1]
            self.pos += 1
            if ch == '}':
                return ('obj', line, items)
            if ch == '':
                self.fail('unexpected end of JSON input')
            if ch != ',':
                self.pos -= 1
                self.fail('invalid character after object key:value pair')

    def arr(self, line):
        self.pos += 1
        items = []
        self.skip()
        if self.text[self.pos:self.pos + 1] == ']':
            self.pos += 1
            return ('arr', line, items)
        while True:
            items.append(self.value())
            self.skip()
            ch = self.text[self.pos:self.pos + 1]
            self.pos += 1
            if ch == ']':
                return ('arr', line, items)
            if ch == '':
                self.fail('unexpected end of JSON input')
            if ch != ',':
                self.pos -= 1
                self.fail('invalid character after array element')


def _parse(text):
    reader = _Reader(text)
    node = reader.value()
    reader.skip()
    if reader.pos != len(text):
        reader.fail('invalid character after top-level value')
    return node


def _fields(node, allowed, problems, what, required=()):
    """{key: (line, node)} of a strict object; unknown, duplicate and missing keys as problems."""
    if node[0] != 'obj':
        problems.append((node[1], '%s: JSON object expected' % what))
        return None
    out = {}
    for key, line, value in node[2]:
        if key in out:
            problems.append((line, 'Duplicate key "%s"' % key))
            continue
        if key not in allowed:
            problems.append((line, 'Unknown key "%s"' % key))
            continue
        out[key] = (line, value)
    for key in required:
        if key not in out:
            problems.append((node[1], 'Key "%s" missing in a JSON object' % key))
    return out


def _library_too_old(key, line, library, problems, table=None):
    since = (SINCE if table is None else table).get(key)
    if library and since and library < since:
        problems.append((line, '"%s" needs containers/image %d.%d.%d or later (this runtime has %d.%d.%d): '
                               'the policy is rejected' % ((key,) + since + library)))
        return True
    return False


def _identity(node, problems):
    if node[0] != 'obj':
        problems.append((node[1], 'signedIdentity: JSON object expected'))
        return
    kind = dict((k, v) for k, _l, v in node[2]).get('type')
    kind = kind[2] if kind and kind[0] == 'str' else ''
    if kind not in IDENTITY_FIELDS:
        problems.append((node[1], 'Unknown policy reference match type "%s"' % kind))
        return
    fields = _fields(node, IDENTITY_FIELDS[kind], problems, kind, required=IDENTITY_FIELDS[kind])
    if fields and 'dockerReference' in fields:
        ref = fields['dockerReference'][1][2]
        if isinstance(ref, str) and ':' not in ref.rsplit('/', 1)[-1] and '@' not in ref:
            problems.append((fields['dockerReference'][0],
                             'dockerReference "%s" contains neither a tag nor digest' % ref))


def _requirement(node, problems, library):
    if node[0] != 'obj':
        problems.append((node[1], 'policy requirement: JSON object expected'))
        return
    kinds = [v for k, _l, v in node[2] if k == 'type']
    kind = kinds[0][2] if kinds and kinds[0][0] == 'str' else ''
    if kind not in REQUIREMENT_TYPES:
        problems.append((node[1], 'Unknown policy requirement type "%s"' % kind))
        return
    if _library_too_old(kind, node[1], library, problems):
        return
    if kind in ('insecureAcceptAnything', 'reject'):
        _fields(node, ('type',), problems, kind, required=('type',))
    elif kind == 'signedBaseLayer':
        fields = _fields(node, ('type', 'baseLayerIdentity'), problems, kind, required=('type', 'baseLayerIdentity'))
        if fields and 'baseLayerIdentity' in fields:
            _identity(fields['baseLayerIdentity'][1], problems)
    elif kind == 'signedBy':
        for key, line, _value in node[2]:
            if _library_too_old(key, line, library, problems, SIGNED_BY_SINCE):
                return
        fields = _fields(node, SIGNED_BY_KEYS, problems, kind)
        if fields is None:
            return
        key_type = fields.get('keyType')
        if key_type is None:
            problems.append((node[1], 'invalid keyType ""'))
        elif key_type[1][2] not in KEY_TYPES:
            problems.append((key_type[0], 'Unrecognized keyType value "%s"' % key_type[1][2]))
        sources = [k for k in ('keyPath', 'keyPaths', 'keyData') if k in fields]
        if not sources:
            problems.append((node[1], 'Exactly one of keyPath, keyPaths and keyData must be specified, '
                                      'none of them present'))
        elif len(sources) > 1:
            problems.append((node[1], 'Exactly one of keyPath, keyPaths and keyData must be specified, '
                                      'more than one present'))
        if 'signedIdentity' in fields:
            _identity(fields['signedIdentity'][1], problems)
    else:
        for key, line, _value in node[2]:
            if key in SINCE and _library_too_old(key, line, library, problems):
                return
        fields = _fields(node, SIGSTORE_KEYS, problems, kind)
        if fields is None:
            return
        if len([k for k in SIGSTORE_SOURCES if k in fields]) != 1:
            problems.append((node[1], 'exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki '
                                      'must be specified'))
        if 'signedIdentity' in fields:
            _identity(fields['signedIdentity'][1], problems)


def _requirements(node, problems, library):
    if node[0] != 'arr':
        problems.append((node[1], 'list of policy requirements expected'))
        return
    if not node[2]:
        problems.append((node[1], 'List of verification policy requirements must not be empty'))
    for item in node[2]:
        _requirement(item, problems, library)


def validate(text, library=None):
    """[(line, message)] of what makes containers/image reject this policy.json ([] = accepted).

    ``library`` is the containers/image version tuple of the runtime (see image_library_for_crio);
    None checks against the newest rules.
    """
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    try:
        root = _parse(text)
    except _JSONError as exc:
        return [(exc.line, str(exc))]
    problems = []
    fields = _fields(root, ('default', 'transports'), problems, 'policy')
    if fields is None:
        return problems
    if 'default' not in fields:
        problems.append((root[1], 'Default policy is missing'))
    else:
        _requirements(fields['default'][1], problems, library)
    if 'transports' in fields:
        transports = fields['transports'][1]
        if transports[0] != 'obj':
            problems.append((transports[1], 'transports: JSON object expected'))
        else:
            seen = set()
            for name, line, scopes in transports[2]:
                if name in seen:
                    problems.append((line, 'Duplicate key "%s"' % name))
                    continue
                seen.add(name)
                if scopes[0] != 'obj':
                    problems.append((scopes[1], 'transport %s: JSON object expected' % name))
                    continue
                seen_scopes = set()
                for scope, sline, reqs in scopes[2]:
                    if scope in seen_scopes:
                        problems.append((sline, 'Duplicate key "%s"' % scope))
                        continue
                    seen_scopes.add(scope)
                    _requirements(reqs, problems, library)
    return sorted(problems, key=lambda p: p[0])


def rejects_everything(text):
    """True when a valid policy's default is only `reject` and no transport scope accepts anything."""
    try:
        root = _parse(text)
    except _JSONError:
        return False
    if root[0] != 'obj':
        return False
    top = dict((k, v) for k, _l, v in root[2])
    default = top.get('default')
    requirements = default[2] if default and default[0] == 'arr' else []
    kinds = [dict((k, v[2]) for k, _l, v in r[2]).get('type') for r in requirements if r[0] == 'obj']
    return bool(kinds) and all(k == 'reject' for k in kinds) and 'transports' not in top


# CRI-O: [crio.image] signature_policy (a file) and signature_policy_dir (default /etc/crio/policies
# since 1.28: cri-o v1.28.0 pkg/config/config.go 869, v1.33.0 943); for a pull with a pod namespace
# <dir>/<namespace>.json wins when it exists (v1.33.0 server/image_pull.go 150-157).
CRIO_POLICY_DIR = '/etc/crio/policies'


def crio_image_setting(layers, key):
    value = None
    for _path, data in layers or ():
        image = (data.get('crio') or {}).get('image') if isinstance(data, dict) else None
        if isinstance(image, dict) and isinstance(image.get(key), str):
            value = image[key]
    return value


def effective_path(crio_layers, existing, namespace='', home='/root'):
    """(path, error) of the policy CRI-O applies to a pull: the file it will parse, or the error every
    such pull fails with. ``crio_layers``: [(path, parsed TOML)] of crio.conf and crio.conf.d in
    order; ``existing``: the paths of the candidate files that exist on the node."""
    policy_dir = crio_image_setting(crio_layers, 'signature_policy_dir') or CRIO_POLICY_DIR
    if namespace:
        per_ns = '%s/%s.json' % (policy_dir.rstrip('/'), namespace)
        if per_ns in existing:
            return per_ns, None
    named = crio_image_setting(crio_layers, 'signature_policy') or ''
    if named:
        return (named, None) if named in existing else (None, missing_error(signature_policy=named))
    for path in candidate_paths(home):
        if path in existing:
            return path, None
    return None, missing_error(home)
