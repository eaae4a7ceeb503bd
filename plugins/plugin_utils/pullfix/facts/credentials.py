# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which credentials reach a registry mirror, and where containerd reads registry credentials.

containerd, CRI PullImage (read at v2.3.4, the same code at v1.6.0, v1.7.0, v2.0.0, v2.1.0):
- The credentials callback asks per host. When kubelet sent an AuthConfig with the request, that
  one is used for every host; only when kubelet sent none does containerd look up
  `registry.configs.<host>.auth` for the host being contacted (v2.3.4
  internal/cri/server/images/image_pull.go 105-114 `if hostauth == nil`; v1.6.0
  pkg/cri/server/image_pull.go 338; v1.7.0 same file 390; v2.0.0 internal/cri/server/images/
  image_pull.go 104; v2.1.0 107).
- ParseAuth hands kubelet's credentials to a host only when the AuthConfig's server_address is
  empty or its URL host equals the host contacted (v2.3.4 image_pull.go 341-354 `if host !=
  u.Host { return "", "", nil }`; v1.6.0 pkg/cri/server/image_pull.go 176-186; v1.7.0 227-237;
  v2.0.0 256-266; v2.1.0 335-345). A mirror under another name therefore gets no credentials, or,
  with an empty server_address, the upstream registry's.
- kubelet sends the credentials it finds for the IMAGE's registry (imagePullSecrets, the
  credential provider, the node's config.json), one PullImage per credential, or none
  (kubernetes pkg/kubelet/kuberuntime/kuberuntime_image.go PullImage). A pull secret keyed by
  the mirror's name matches no image of the upstream registry.
- Static credentials that always reach a mirror: a header in its hosts.toml
  (`[host."https://mirror".header] Authorization = "Basic ..."`, v2.3.4 core/remotes/docker/
  config/hosts.go 204-205 and 234, parsed at 521), sent with every request to that host; or `configs."<mirror>".auth`, used only when
  kubelet sent nothing. containerd keeps no credential alias for mirrors (containerd#10540 open,
  #10996 open; PR #10612 closed unmerged, #13949 closed).
- 2.1+: any non-empty `registry.configs` forces the local pull path instead of the transfer
  service (v2.3.4 internal/cri/config/config.go 593-594, CheckLocalImagePullConfigs).
- containers-image (CRI-O, podman) drops the credentials of the logical registry when a mirror
  on another domain is tried (docker/docker_image_src.go, containers/image#2949, cri-o#4941).

Where containerd reads `registry.configs.<host>.auth`, by the config file's `version`:
1 (no key) `plugins.cri`, 2 `plugins."io.containerd.grpc.v1.cri"`, 3
`plugins."io.containerd.cri.v1.images"`. containerd 2.x migrates version 1 and 2 files
(v2.1.0 plugins/cri/images/plugin.go 164-204); in a version 3 file the old plugin id is the CRI
gRPC plugin (plugins/cri/cri.go 47-48, config ServerConfig) which has no `registry` field: the
table is ignored without an error.

kubespray: from v2.28.0, with containerd >= 2.0 the role renders config.toml.j2 (version 3), which
has no registry auth at all; `containerd_registry_auth` is only rendered by config-v1.toml.j2
(containerd 1.x): v2.28.0 roles/container-engine/containerd/tasks/main.yml 69,
templates/config-v1.toml.j2 75-77 (same at v2.29.0, v2.31.0). kubespray#12296, #12575, #12664.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ..evidence import parse_version
from .containerd import CRI_V2, IMAGES_V3

# Credentials in a file make it 0600 (HOUSE_STYLE rule 8).
SECRET_MODE = 0o600
KUBESPRAY_AUTH_DROPPED_SINCE = (2, 28, 0)
CONTAINERD_V3_SINCE = (2, 0, 0)

_PLUGIN_FOR_VERSION = {1: 'cri', 2: CRI_V2, 3: IMAGES_V3}


def go_url_host(text):
    """The Host Go's url.Parse gives ``text``: only a URL with "//" has one ("docker.io" -> "")."""
    text = text or ''
    scheme, sep, rest = text.partition('://')
    if not sep:
        if not text.startswith('//'):
            return ''
        rest = text[2:]
    for stop in '/?#':
        rest = rest.split(stop, 1)[0]
    return rest.rpartition('@')[2]


def parse_auth_reaches(server_address, host):
    """True when containerd's ParseAuth hands an AuthConfig with this server_address to ``host``."""
    if not server_address:
        return True
    return go_url_host(server_address) == host


def mirror_auth_reaches(host, kubelet_auth=None, config_auths=None, header_hosts=()):
    """(credentials, source) containerd uses on ``host`` (host[:port] of the endpoint contacted).

    kubelet_auth: None when kubelet sent no credentials, else {'server_address': str} (the
    secret itself is never needed); config_auths: hosts that have `registry.configs.<host>.auth`
    in the config the running containerd reads; header_hosts: hosts whose hosts.toml [host] table
    sets an Authorization header. credentials is 'header', 'kubelet', 'config' or None (anonymous).
    """
    if host in header_hosts:
        return 'header', 'Authorization header in hosts.toml, sent on every request to %s' % host
    if kubelet_auth is None:
        if host in (config_auths or ()):
            return 'config', 'registry.configs."%s".auth (kubelet sent no credentials)' % host
        return None, 'no credentials: kubelet sent none and no registry.configs."%s".auth' % host
    server = kubelet_auth.get('server_address') or ''
    if parse_auth_reaches(server, host):
        if server:
            return 'kubelet', 'credentials kubelet sent for %s' % server
        return 'kubelet', 'credentials kubelet sent (no server address: given to every host, %s too)' % host
    return None, ('no credentials: kubelet sent credentials for %s, containerd drops them for %s and does not '
                  'read registry.configs."%s".auth because kubelet sent some' % (server, host, host))


def readable_plugin(config_version):
    """Plugin id whose `registry` table containerd reads in a file of this `version` (1 when absent)."""
    return _PLUGIN_FOR_VERSION.get(config_version if config_version in _PLUGIN_FOR_VERSION else 1)


def auth_tables(config):
    """[(key path, host)] of every `registry.configs.<host>.auth` table in a parsed config.toml."""
    out = []
    plugins = config.get('plugins') if isinstance(config, dict) else None
    if not isinstance(plugins, dict):
        return out
    for plugin, table in plugins.items():
        configs = table.get('registry', {}).get('configs') if isinstance(table, dict) and isinstance(
            table.get('registry'), dict) else None
        if not isinstance(configs, dict):
            continue
        for host, entry in configs.items():
            if isinstance(entry, dict) and isinstance(entry.get('auth'), dict):
                out.append((('plugins', plugin, 'registry', 'configs', host, 'auth'), host))
    return out


def misplaced_auth(config):
    """[(key path, host, expected plugin)] of registry auth tables the file's version never reads."""
    version = config.get('version') if isinstance(config, dict) else None
    version = version if isinstance(version, int) and not isinstance(version, bool) else 1
    want = readable_plugin(version)
    return [(path, host, want) for path, host in auth_tables(config) if path[1] != want]


def read_auth_hosts(config):
    """Hosts whose `registry.configs.<host>.auth` containerd reads from this parsed config.toml."""
    return sorted(set(host for path, host in auth_tables(config)) - set(h for _p, h, _w in misplaced_auth(config)))


def kubespray_drops_auth(kubespray_version, containerd_version):
    """True when kubespray renders a containerd config that leaves `containerd_registry_auth` out."""
    kv = parse_version(kubespray_version) if isinstance(kubespray_version, str) else kubespray_version
    cv = parse_version(containerd_version) if isinstance(containerd_version, str) else containerd_version
    if kv is None or cv is None:
        return False
    return kv >= KUBESPRAY_AUTH_DROPPED_SINCE and cv >= CONTAINERD_V3_SINCE


def secret_file_mode_ok(mode):
    """True when a file holding credentials is readable by its owner only (no group/other bits)."""
    if isinstance(mode, str):
        mode = int(mode, 8)
    return mode & 0o077 == 0


def hosts_toml_auth_header(host_url, basic_value):
    """The hosts.toml lines that send a static Authorization header to one mirror (file mode 0600)."""
    return '[host."%s".header]\n  Authorization = "Basic %s"\n' % (host_url, basic_value)


# Characters Go's url.Parse accepts in a host (net/url shouldEscape, mode encodeHost); any other,
# e.g. a space, fails with `invalid character " " in host name`.
_HOST_OK = re.compile(r'''^[A-Za-z0-9._~!$&'()*+,;=:\[\]<>"%-]*$''')


def host_key_error(key):
    """Why containerd cannot parse a `[host."<key>"]` of hosts.toml, or None.

    parseHostConfig prefixes "https://" when the key does not start with "http" and url.Parse()s
    it (v2.3.4 core/remotes/docker/config/hosts.go 430-437); on an error loadHostDir logs
    `failed to decode <dir>/hosts.toml` and ignores the whole file, mirrors and headers included
    (lines 327-332).
    """
    server = key if key.startswith('http') else 'https://' + key
    host = go_url_host(server)
    if not _HOST_OK.match(host):
        bad = next(c for c in host if not _HOST_OK.match(c))
        return 'unable to parse server %s: parse "%s": invalid character "%s" in host name' % (server, server, bad)
    return None


def header_problems(hosts_toml):
    """[(host key, message)] about the Authorization headers of a parsed hosts.toml."""
    hosts = hosts_toml.get('host') if isinstance(hosts_toml, dict) else None
    if not isinstance(hosts, dict):
        return []
    out = []
    for key, table in hosts.items():
        error = host_key_error(key)
        if error:
            out.append((key, '%s: containerd ignores this whole hosts.toml ("failed to decode")' % error))
            continue
        if isinstance(table, dict) and isinstance(table.get('header'), dict) and 'capabilities' not in table:
            others = [k for k, t in hosts.items() if k != key and isinstance(t, dict) and 'capabilities' in t]
            if others:
                out.append((key, 'the header is on a [host] of its own, not on %s; containerd tries it as one more '
                                 'mirror with pull, resolve and push' % ', '.join(others)))
    return out
