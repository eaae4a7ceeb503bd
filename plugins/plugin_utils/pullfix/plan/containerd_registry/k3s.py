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

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - sanity import test environment
    yaml = None
    HAS_YAML = False

from ... import parse
from .. import PlanError, change, file_state, sha256_text, state_reason
from ..settings import SETTING
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


def plan_registries_yaml(ev, runtime, settings, mirrors, result):
    if not HAS_YAML:
        raise parse.MissingLibrary('PyYAML is required on the controller: pip install PyYAML')
    kind = runtime.get('name')
    check_k3s_settings(mirrors)
    path = facts.registries_yaml(kind)
    state, text = file_state(ev, path)
    if state not in ('missing', 'file'):
        result['errors'].append('%s: %s; not replaced' % (path, state_reason(ev, path, state)))
        return result
    if text is not None and facts.GENERATED_HEADER in text[:400]:
        result['errors'].append('%s:1: carries "%s"; it is generated, not the file k3s reads its settings from: '
                                'the file is left as it is' % (path, facts.GENERATED_HEADER))
        return result
    data = {}
    if text is not None:
        try:
            data = parse.load_yaml(text)[0]
        except parse.ParseError as exc:
            result['errors'].append('%s:%s: %s; the file is left as it is' % (path, exc.line or '?', exc.message))
            return result
        if data is None:
            data = {}
        if not isinstance(data, dict) or not isinstance(data.get('mirrors') or {}, dict) \
                or not isinstance(data.get('configs') or {}, dict):
            result['errors'].append('%s:1: expected a mapping with mirrors and configs mappings; the file is left as it is' % path)
            return result
        index = parse.load_yaml(text)[1]
        for section in ('mirrors', 'configs'):
            for key, value in (data.get(section) or {}).items():
                if value is not None and not isinstance(value, dict):
                    result['errors'].append('%s:%s: %s.%s is %s, expected a mapping; the file is left as it is' % (
                        path, index.get((section, key), '?'), section, key, type(value).__name__))
                elif section == 'mirrors' and value and value.get('endpoint') is not None \
                        and not isinstance(value.get('endpoint'), list):
                    result['errors'].append('%s:%s: mirrors.%s.endpoint is %s, expected a list of URLs; the file is '
                                            'left as it is' % (path, index.get((section, key, 'endpoint'), '?'), key,
                                                               type(value.get('endpoint')).__name__))
        if result['errors']:
            return result
    new = copy.deepcopy(data)
    reasons = []
    for registry in sorted(mirrors):
        spec = mirrors[registry]
        endpoints = list(spec['endpoints'])
        if spec['fallback'] and spec.get('server'):
            endpoints.append(spec['server'])
        entry = dict((new.get('mirrors') or {}).get(registry) or {})
        if entry.get('endpoint') != endpoints:
            entry['endpoint'] = endpoints
            new.setdefault('mirrors', {})
            if new['mirrors'] is None:
                new['mirrors'] = {}
            new['mirrors'][registry] = entry
            reasons.append('mirrors for %s' % registry)
        tls = _tls(spec)
        if tls:
            for url in spec['endpoints']:
                host = url.split('://', 1)[1].split('/', 1)[0]
                cfg = dict((new.get('configs') or {}).get(host) or {})
                if cfg.get('tls') != tls:
                    cfg['tls'] = tls
                    if not new.get('configs'):
                        new['configs'] = {}
                    new['configs'][host] = cfg
                    reasons.append('tls for %s' % host)
        if not spec['fallback'] and not _default_endpoint_disabled(ev, kind):
            result['notes'].append('%s: fallback false for %s: %s still tries the default endpoint last unless '
                                   '"disable-default-registry-endpoint: true" is set in /etc/rancher/%s/config.yaml '
                                   '(a global setting; not changed by kubenode.pullfix)' % (path, registry, kind, kind))

    version = runtime.get('version') or distro_version(ev.version_output(kind), kind)
    fixed_in = facts.wildcard_fixed_in(version)
    if fixed_in and '*' in (new.get('mirrors') or {}):
        wildcard = new['mirrors'].pop('*')
        for registry in _registries_in_use(new, settings):
            if registry not in new['mirrors']:
                new['mirrors'][registry] = copy.deepcopy(wildcard)
        reasons.append('"*" expanded into explicit registries (wildcard fallback broken in %s)' % version)
        result['notes'].append('%s %s: the "*" mirror does not work in this release and was expanded into explicit '
                               'registries; upgrade to %s is the real fix' % (kind, version, fixed_in))

    content = yaml.safe_dump(new, sort_keys=False, default_flow_style=False) if new else ''
    if text is not None and content == text:
        return result
    if text is None and not new:
        return result
    if text is not None and new == data:
        return result
    if text and any(line.lstrip().startswith('#') for line in text.splitlines()):
        result['notes'].append('%s: comments are not preserved (the file is written back with PyYAML)' % path)
    secret = any(isinstance(c, dict) and c.get('auth') for c in (new.get('configs') or {}).values())
    result['changes'].append(change(path, 'update' if text is not None else 'create', content,
                                    'registries.yaml: ' + '; '.join(reasons), 'containerd_registry', mode='0600',
                                    restart=kind, secret=secret, expect=sha256_text(text)))
    return result
