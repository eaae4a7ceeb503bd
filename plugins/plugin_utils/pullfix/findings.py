# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The findings catalogue (id -> severity, title, remediation, doc) and the collector.

Ids are stable: they are part of the public contract (docs/findings.md, reports,
JUnit test case names). Each id appears at most once per host; repeated
occurrences add evidence lines to the same finding.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .evidence import redact_url

SEVERITIES = ('error', 'warning', 'info')
SEVERITY_RANK = {'error': 0, 'warning': 1, 'info': 2}

_P = 'kubenode.pullfix.'
CONTAINERD = _P + 'containerd_registry'
REGISTRIES = _P + 'registries_conf'
SOCKET = _P + 'runtime_socket'
SHIM = _P + 'cri_shim'
NODE = _P + 'node_runtime'
MANUAL = 'manual'
DOC_BASE = 'docs/findings.md#'

# id: (severity, title, remediation)
_CATALOGUE = {
    # kubelet and CRI endpoints
    'cri-endpoint-missing': ('error', "Kubelet's CRI endpoint socket does not exist", SOCKET),
    'cri-endpoint-refused': ('error', "Kubelet's CRI endpoint refuses connections (stale socket, nothing listening)", SOCKET),
    'cri-endpoint-not-socket': ('error', "Kubelet's CRI endpoint path is not a socket", SOCKET),
    'cri-endpoint-permission-denied': ('error', "Kubelet's CRI endpoint denies the connection (permission denied)", SOCKET),
    'cri-endpoint-timeout': ('error', "Kubelet's CRI endpoint accepts connections but does not answer", MANUAL),
    'cri-endpoint-image-only': ('error', 'The runtime endpoint is an image-only proxy (unknown service runtime.v1.RuntimeService)', SHIM),
    'cri-endpoint-no-cri-service': ('error', 'The runtime answers but serves no CRI service (CRI plugin not loaded)', CONTAINERD),
    'multiple-cri-endpoints': ('error', 'More than one CRI socket among kubeadm\'s known defaults', NODE),
    'cri-dockerd-without-docker': ('warning', 'cri-dockerd is present although the runtime is not docker', NODE),
    'kubelet-config-unparsable': ('error', 'Kubelet configuration file cannot be parsed', MANUAL),
    # containerd config.toml
    'containerd-config-unparsable': ('error', 'containerd config.toml cannot be parsed', MANUAL),
    'containerd-cri-disabled': ('error', "containerd's CRI plugin is disabled (disabled_plugins)", CONTAINERD),
    'containerd-mirrors-with-config-path': ('error', 'Deprecated registry mirrors (or configs.tls) combined with config_path: the CRI plugin fails to load',
                                            CONTAINERD),
    'containerd-deprecated-mirrors': ('warning', 'Deprecated registry.mirrors used instead of config_path and hosts.toml', CONTAINERD),
    'containerd-config-path-unset': ('error', 'containerd registry config_path is not set: certs.d/hosts.toml are ignored', CONTAINERD),
    'containerd-config-path-missing': ('warning', 'containerd registry config_path names a directory that does not exist', CONTAINERD),
    'containerd-config-path-not-directory': ('error', 'containerd registry config_path is not a directory', CONTAINERD),
    'containerd-config-path-list': ('error', 'containerd >= 2.1 does not split a colon-separated config_path', CONTAINERD),
    'containerd-config-version-missing': ('error', 'containerd config uses version 2 plugin names without "version = 2": silently ignored', CONTAINERD),
    'containerd-config-version-mismatch': ('error', 'containerd config version or plugin table names do not match the containerd version', CONTAINERD),
    # certs.d / hosts.toml
    'hosts-toml-unparsable': ('error', 'hosts.toml cannot be parsed: its mirrors are silently dropped', CONTAINERD),
    'hosts-toml-no-host-table': ('error', 'hosts.toml has no [host] table: containerd ignores the whole file', CONTAINERD),
    'hosts-toml-unknown-key': ('warning', 'hosts.toml has keys containerd does not know (silently ignored)', CONTAINERD),
    'hosts-toml-no-scheme': ('warning', 'hosts.toml server/host URL has no scheme (https is assumed)', CONTAINERD),
    'hosts-toml-trailing-slash': ('error', 'hosts.toml URL ends with a slash: the /v2 API path is built wrongly', CONTAINERD),
    'hosts-toml-path-without-override': ('warning', 'hosts.toml URL has a path but no override_path: /v2 is appended after it', CONTAINERD),
    'hosts-toml-relative-ca': ('warning', 'hosts.toml ca/client path is relative', CONTAINERD),
    'hosts-toml-skip-verify': ('warning', 'hosts.toml disables TLS verification although it was not requested', CONTAINERD),
    'certs-d-dir-never-matches': ('error', 'A certs.d directory name can never match an image registry', CONTAINERD),
    'certs-d-default-unsupported': ('error', 'certs.d/_default is not supported by this containerd version (< 1.6.17)', CONTAINERD),
    'sandbox-image-not-local': ('error', 'The sandbox (pause) image comes from another registry than the local one', CONTAINERD),
    # k3s / RKE2
    'k3s-wildcard-mirror-broken': ('error', 'Wildcard "*" mirror breaks default-endpoint fallback on this k3s/RKE2 version', CONTAINERD),
    'k3s-mirror-key-invalid': ('error', 'registries.yaml mirror key is not a bare registry host[:port]', CONTAINERD),
    'k3s-endpoint-no-scheme': ('warning', 'registries.yaml mirror endpoint has no scheme', CONTAINERD),
    'k3s-generated-certs-d-edited': ('warning', "A hosts.toml in k3s/RKE2's generated certs.d was edited by hand", CONTAINERD),
    'k3s-registries-unparsable': ('error', 'k3s/RKE2 registries.yaml cannot be parsed', CONTAINERD),
    'k3s-config-unparsable': ('error', 'k3s/RKE2 config.yaml cannot be parsed', MANUAL),
    # containers-image / CRI-O
    'search-registries-effective': ('info', 'Effective unqualified-search-registries', REGISTRIES),
    'search-registries-overridden': ('warning', 'unqualified-search-registries of a file is replaced by a later file', REGISTRIES),
    'search-registries-mismatch': ('error', 'Effective unqualified-search-registries differ from pullfix_search_registries', REGISTRIES),
    'registries-conf-v1-format': ('warning', 'registries.conf uses the deprecated v1 format', REGISTRIES),
    'registries-conf-mixed-versions': ('error', 'registries.conf mixes v1 and v2 formats', REGISTRIES),
    'registries-conf-unparsable': ('error', 'registries.conf (or a drop-in) cannot be parsed', MANUAL),
    'short-name-ambiguous-enforcing': ('error', 'Short names are ambiguous (several search registries) and short-name mode is enforcing', REGISTRIES),
    'crio-config-unparsable': ('error', 'CRI-O configuration cannot be parsed', MANUAL),
    # sockets
    'socket-world-accessible': ('error', 'A runtime socket is writable by everyone', SOCKET),
    'socket-group-mismatch': ('warning', 'A runtime socket is not group-accessible to pullfix_socket_group', SOCKET),
    'var-run-not-run': ('warning', '/var/run is not a symlink to /run and a socket exists under only one of them', SOCKET),
    'socket-selinux-label': ('warning', 'A runtime socket has the wrong SELinux label (expected container_var_run_t)', SOCKET),
    # Sealos image-cri-shim
    'shim-unit-unordered': ('warning', 'image-cri-shim.service is not ordered after containerd and the registry', SHIM),
    'shim-cri-socket-missing': ('error', "image-cri-shim's cri socket does not exist", SHIM),
    'shim-config-unparsable': ('error', '/etc/image-cri-shim.yaml cannot be parsed', MANUAL),
    'kubeadm-image-repository-not-local': ('error', 'kubeadm imageRepository is not the local registry', SHIM),
    'kubeadm-config-unparsable': ('warning', 'kubeadm configuration file cannot be parsed', MANUAL),
    # evidence problems
    'evidence-read-error': ('warning', 'A file the diagnosis needs could not be read', MANUAL),
    'evidence-truncated': ('warning', 'A file was larger than the gathering cap and was truncated', MANUAL),
    'host-not-diagnosed': ('error', 'No evidence from this host: it was unreachable or failed before the diagnosis', MANUAL),
}

# Ids the report adds itself (the diagnosis never produces them).
REPORT_ONLY = frozenset(['host-not-diagnosed'])


def catalogue():
    """The catalogue as {id: {severity, title, remediation, doc}} (a fresh copy)."""
    return dict((fid, {'severity': sev, 'title': title, 'remediation': rem, 'doc': DOC_BASE + fid})
                for fid, (sev, title, rem) in _CATALOGUE.items())


CATALOGUE = catalogue()


class Findings(object):
    """Collects findings; one per id, evidence lines accumulated in order, deduplicated."""

    def __init__(self):
        self._by_id = {}

    def add(self, fid, evidence=(), explanation=''):
        if fid not in _CATALOGUE:
            raise KeyError('unknown finding id %r' % fid)
        f = self._by_id.get(fid)
        if f is None:
            sev, title, rem = _CATALOGUE[fid]
            f = self._by_id[fid] = {
                'id': fid, 'severity': sev, 'title': title, 'evidence': [],
                'explanation': [], 'remediation': rem, 'fixed': False,
            }
        if isinstance(evidence, str):
            evidence = [evidence]
        for line in evidence:
            line = redact_url(str(line))
            if line not in f['evidence']:
                f['evidence'].append(line)
        if explanation:
            explanation = redact_url(explanation)
            if explanation not in f['explanation']:
                f['explanation'].append(explanation)
        return f

    def ids(self):
        return sorted(self._by_id)

    def __contains__(self, fid):
        return fid in self._by_id

    def result(self):
        out = []
        for f in self._by_id.values():
            g = dict(f)
            g['evidence'] = list(f['evidence'])
            g['explanation'] = ' '.join(f['explanation'])
            out.append(g)
        out.sort(key=sort_key)
        return out


def sort_key(finding):
    """The order of every findings list: errors first, then by id."""
    return (SEVERITY_RANK.get(finding.get('severity'), 9), finding.get('id') or '')


def counts(findings):
    c = {'error': 0, 'warning': 0, 'info': 0}
    for f in findings or ():
        sev = f.get('severity')
        if sev in c:
            c[sev] += 1
    return c
