# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""k3s / RKE2 part of the containerd_registry planner: ``/etc/rancher/<kind>/registries.yaml``.

The generated ``<data-dir>/agent/etc/containerd/certs.d`` is never planned: k3s rewrites it at start.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import io

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - sanity import test environment
    yaml = None
    HAS_YAML = False

try:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    HAS_RUAMEL = True
except ImportError:  # pragma: no cover - sanity import test environment
    YAML = None
    CommentedMap = dict
    HAS_RUAMEL = False

from ... import parse
from .. import PlanError, change, file_state, sha256_text, state_reason
from ..settings import SETTING, describe
from ...evidence import distro_version, image_registry
from ...facts import k3s as facts

# Registries a "*" mirror is expanded into on releases where the wildcard is broken.
COMMON_REGISTRIES = ('docker.io', 'registry.k8s.io', 'quay.io', 'ghcr.io')


def check_k3s_settings(mirrors):
    """Raise PlanError for settings registries.yaml cannot express."""
    for registry in sorted(mirrors):
        spec = mirrors[registry]
        if spec.get('headers'):
            raise PlanError("%s[%r].headers: k3s/RKE2 registries.yaml cannot set HTTP headers "
                            "(use configs.<registry>.auth for credentials, or remove the headers)" % (SETTING, registry))
        if isinstance(spec.get('ca'), list) and len(spec['ca']) != 1:
            raise PlanError('%s[%r].ca: k3s/RKE2 registries.yaml takes a single CA file (ca_file)' % (SETTING, registry))


def _tls(spec):
    tls = {}
    ca = spec.get('ca')
    if ca:
        tls['ca_file'] = ca[0] if isinstance(ca, list) else ca
    client = spec.get('client')
    if client:
        cert, key = (client, client) if isinstance(client, str) else (client[0], client[1])
        tls['cert_file'] = cert
        tls['key_file'] = key
    if spec.get('skip_verify'):
        tls['insecure_skip_verify'] = True
    return tls


def _registries_in_use(data, settings):
    found = set(COMMON_REGISTRIES)
    found.update(k for k in (data.get('mirrors') or {}) if k != '*')
    for image in list(settings.get('verify_images') or []) + [settings.get('sandbox_image')]:
        if image:
            found.add(image_registry(image))
    return sorted(found)


def _default_endpoint_disabled(ev, kind):
    for path in ev.paths_by_why('%s-config' % kind):
        text = ev.text(path) or ''
        for line in text.splitlines():
            if line.split('#', 1)[0].replace(' ', '').replace('"', '').lower() == 'disable-default-registry-endpoint:true':
                return True
    return False


# A registries.yaml holding more values than this once aliases are expanded is refused (an
# alias bomb would otherwise cost memory and time without bound); real files hold dozens.
MAX_YAML_VALUES = 100000
AUTH_SECRET_KEYS = ('password', 'auth', 'identity_token', 'token')


def _round_trip():
    """ruamel.yaml in round-trip mode: comments, quotes and key order kept."""
    rt = YAML(typ='rt')
    rt.preserve_quotes = True
    rt.width = 4096
    return rt


def _indent_style(text):
    """(mapping indent, sequence indent, dash offset) the file already uses (PyYAML's style by default)."""
    lines = text.splitlines()
    mapping = None
    for i, line in enumerate(lines[:-1]):
        stripped = line.lstrip(' ')
        if not stripped or stripped.startswith('#') or not stripped.rstrip().endswith(':'):
            continue
        nxt = lines[i + 1]
        inner = nxt.lstrip(' ')
        if not inner or inner.startswith('#'):
            continue
        depth = len(line) - len(stripped)
        step = len(nxt) - len(inner) - depth
        if inner.startswith('- '):
            if step >= 0:
                return (mapping or 2, step + 2, step)
        elif step > 0 and mapping is None:
            mapping = step
    return (mapping or 2, (mapping or 2), 0) if mapping and mapping != 2 else (2, 2, 0)


def _plain(value):
    """Plain data of a ruamel tree (bounded: the graph was checked before loading)."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _unshared(parent, key):
    """parent[key] as a mapping of its own: an anchored one (aliases elsewhere share it) is copied first."""
    value = parent.get(key)
    if value is None:
        value = CommentedMap()
        parent[key] = value
    elif getattr(getattr(value, 'anchor', None), 'value', None):
        copied = CommentedMap()
        copied.update(value)
        parent[key] = value = copied
    return value


def _auth_secrets(data):
    out = []
    for cfg in (data.get('configs') or {}).values():
        auth = cfg.get('auth') if isinstance(cfg, dict) else None
        if isinstance(auth, dict):
            out.extend(str(auth[k]) for k in AUTH_SECRET_KEYS if isinstance(auth.get(k), str) and auth.get(k))
    return out


def _load(ev, path, text, result):
    """(ruamel document, plain data) of registries.yaml, or None after an error."""
    if text is None:
        return CommentedMap(), {}
    if facts.GENERATED_HEADER in text[:400]:
        result['errors'].append('%s:1: carries "%s"; it is generated, not the file k3s reads its settings from: '
                                'the file is left as it is' % (path, facts.GENERATED_HEADER))
        return None
    source = text.lstrip('\ufeff').replace('\r\n', '\n')
    try:
        problem = parse.yaml_graph_problem(source, MAX_YAML_VALUES)
        docs = parse.load_yaml_all(source) if problem is None else None
    except parse.ParseError as exc:
        result['errors'].append('%s:%s: %s; the file is left as it is' % (path, exc.line or '?', exc.message))
        return None
    if problem:
        result['errors'].append('%s:%d: %s; the file is left as it is' % ((path,) + problem))
        return None
    if len(docs) > 1:
        result['errors'].append('%s: holds %d YAML documents (expected one); the file is left as it is' % (path, len(docs)))
        return None
    data, index = docs[0] if docs else (None, {})
    if data is None:
        return CommentedMap(), {}

    def where(*keypath):
        return '%s:%s' % (path, parse.line_of(index, keypath) or '?')
    for keypath, value, expected in facts.registries_shape_problems(data):
        if keypath[-1:] == ('endpoint',):
            continue  # replaced when the user declared that registry, refused below when not
        result['errors'].append('%s: %s is %s, expected %s; the file is left as it is' % (
            where(*keypath), '.'.join(str(k) for k in keypath) or 'the document', describe(value), expected))
    if result['errors']:
        return None
    try:
        doc = _round_trip().load(source)
    except Exception as exc:  # pylint: disable=broad-except
        # PyYAML read it and ruamel.yaml did not: an error, never a traceback.
        mark = getattr(exc, 'problem_mark', None)
        result['errors'].append('%s:%s: %s; the file is left as it is' % (
            path, mark.line + 1 if mark is not None else '?', getattr(exc, 'problem', None) or exc.__class__.__name__))
        return None
    return doc, index


def _set_mirrors(ev, doc, before, index, path, kind, mirrors, result):
    """The mirrors (and their tls) of the settings into ``doc``; returns the reasons."""
    reasons = []
    for registry in sorted(mirrors):
        spec = mirrors[registry]
        endpoints = list(spec['endpoints'])
        if spec['fallback'] and spec.get('server'):
            endpoints.append(spec['server'])
        old = (before.get('mirrors') or {}).get(registry) or {}
        if old.get('endpoint') != endpoints:
            if doc.get('mirrors') is None:
                doc['mirrors'] = CommentedMap()
            entry = _unshared(doc['mirrors'], registry)
            entry['endpoint'] = endpoints
            reasons.append('mirrors for %s' % registry)
            if old.get('endpoint') is not None and not isinstance(old.get('endpoint'), list):
                result['notes'].append('%s:%s: mirrors.%s.endpoint was %s (k3s expects a list); replaced by the list '
                                       'of pullfix_registry_mirrors' % (
                                           path, parse.line_of(index, ('mirrors', registry, 'endpoint')) or '?',
                                           registry, describe(old.get('endpoint'))))
            if old.get('rewrite'):
                result['notes'].append('%s:%s: mirrors.%s.rewrite (%d rule%s) now applies to %s: k3s rewrites the '
                                       'image name for every endpoint of the mirror; check the rules fit them' % (
                                           path, parse.line_of(index, ('mirrors', registry, 'rewrite')) or '?', registry,
                                           len(old['rewrite']), '' if len(old['rewrite']) == 1 else 's',
                                           ', '.join(endpoints)))
        tls = _tls(spec)
        if tls:
            for url in spec['endpoints']:
                host = url.split('://', 1)[1].split('/', 1)[0]
                if ((before.get('configs') or {}).get(host) or {}).get('tls') != tls:
                    if doc.get('configs') is None:
                        doc['configs'] = CommentedMap()
                    _unshared(doc['configs'], host)['tls'] = tls
                    reasons.append('tls for %s' % host)
        if not spec['fallback'] and not _default_endpoint_disabled(ev, kind):
            result['notes'].append('%s: fallback false for %s: %s still tries the default endpoint last unless '
                                   '"disable-default-registry-endpoint: true" is set in /etc/rancher/%s/config.yaml '
                                   '(a global setting; not changed by kubenode.pullfix)' % (path, registry, kind, kind))
    return reasons


def plan_registries_yaml(ev, runtime, settings, mirrors, result):
    if not HAS_YAML or not HAS_RUAMEL:
        raise parse.MissingLibrary('PyYAML and ruamel.yaml are required on the controller: pip install PyYAML ruamel.yaml')
    kind = runtime.get('name')
    check_k3s_settings(mirrors)
    path = facts.registries_yaml(kind)
    state, text = file_state(ev, path)
    if state not in ('missing', 'file'):
        result['errors'].append('%s: %s; not replaced' % (path, state_reason(ev, path, state)))
        return result
    loaded = _load(ev, path, text, result)
    if loaded is None:
        return result
    doc, index = loaded
    before = _plain(doc)
    result['secrets'].extend(_auth_secrets(before))
    reasons = _set_mirrors(ev, doc, before, index, path, kind, mirrors, result)
    # An endpoint k3s cannot load (a string) in an entry the user did not declare: not ours to fix.
    for key, entry in sorted((before.get('mirrors') or {}).items()):
        current = _plain(((doc.get('mirrors') or {}).get(key) or {}).get('endpoint'))
        if current is not None and not isinstance(current, list):
            result['errors'].append('%s:%s: mirrors.%s.endpoint is %s, expected a list of URLs; the file is left as it '
                                    'is' % (path, parse.line_of(index, ('mirrors', key, 'endpoint')) or '?', key,
                                            describe(current)))
    if result['errors']:
        return result

    version = runtime.get('version') or distro_version(ev.version_output(kind), kind)
    fixed_in = facts.wildcard_fixed_in(version)
    if fixed_in and '*' in (doc.get('mirrors') or {}):
        wildcard = _plain(doc['mirrors'].pop('*'))
        for registry in _registries_in_use(_plain(doc), settings):
            if registry not in doc['mirrors']:
                doc['mirrors'][registry] = copy.deepcopy(wildcard)
        reasons.append('"*" expanded into explicit registries (wildcard fallback broken in %s)' % version)
        result['notes'].append('%s %s: the "*" mirror does not work in this release and was expanded into explicit '
                               'registries; upgrade to %s is the real fix' % (kind, version, fixed_in))

    after = _plain(doc)
    if after == before:
        return result
    content = _dump(doc, text)
    result['secrets'].extend(_auth_secrets(after))
    secret = bool(_auth_secrets(after) or _auth_secrets(before))
    result['changes'].append(change(path, 'update' if text is not None else 'create', content,
                                    'registries.yaml: ' + '; '.join(reasons), 'containerd_registry', mode='0600',
                                    restart=kind, secret=secret, expect=sha256_text(text)))
    return result


def _dump(doc, text):
    """YAML text of ``doc`` in the file's own indentation, byte order mark and line endings.

    A file with comments is written back by ruamel.yaml's round trip, which keeps them (and
    quotes, flow style, anchors). Without comments, libyaml's emitter writes the plain data:
    the same values, some 20 times faster for a thousand registries.
    """
    source = (text or '').lstrip('\ufeff')
    if '#' in source:
        rt = _round_trip()
        mapping, sequence, offset = _indent_style(source.replace('\r\n', '\n'))
        rt.indent(mapping=mapping, sequence=sequence, offset=offset)
        buf = io.StringIO()
        rt.dump(doc, buf)
        out = buf.getvalue()
    else:
        out = yaml.dump(_plain(doc), Dumper=getattr(yaml, 'CSafeDumper', yaml.SafeDumper), sort_keys=False,
                        default_flow_style=False, allow_unicode=True, width=4096) if doc else ''
    if text and '\r\n' in text:
        out = out.replace('\r\n', '\n').replace('\n', '\r\n')
    if text and text.startswith('\ufeff'):
        out = '\ufeff' + out
    return out
