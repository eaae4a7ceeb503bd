# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Facts about runtime sockets and their consumers, read by the socket checks and the
``runtime_socket`` planner alike: where each runtime listens, the mode and SELinux type a
socket should have, where the collection's own drop-ins live, and what a pod consumer sets.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

from . import containerd as containerd_facts
from .endpoints import DEFAULT_ENDPOINTS
from .k3s import SERVICES as K3S_SERVICES
from ..evidence import endpoint_path

# The path tools and pods expect when nobody told them otherwise (Spegel's containerdSock
# default, crictl's first default, kubeadm's containerd default).
CONVENTIONAL = '/run/containerd/containerd.sock'
# containerd creates its socket 0660 with owner/group from [grpc] uid/gid (v1.6.20
# sys/socket_unix.go:58, v1.7.24 line 57, v2.1.9 pkg/sys/socket_unix.go:57 os.Chmod(path, 0660)).
SOCKET_MODE = '0660'
# The type the container policy gives runtime socket directories (container-selinux,
# k3s-selinux: /var/run/k3s(/.*)? is container_var_run_t).
SELINUX_TYPE = 'container_var_run_t'
# What a pod needs to connect to the runtime socket under SELinux: container_t is denied
# connectto on container_runtime_t; spc_t (super privileged container) is allowed.
POD_SELINUX_TYPE = 'spc_t'

CRICTL = '/etc/crictl.yaml'
# The collection's own files: whole files, first line is the marker.
MARKER = '# Managed by kubenode.pullfix (runtime_socket). Changes here are overwritten.'
TMPFILES = '/etc/tmpfiles.d/pullfix-runtime-socket.conf'
DROPIN_NAME = '50-pullfix-runtime-socket.conf'
UNIT_DIR = '/etc/systemd/system'
GROUP_DB = '/etc/group'
# Seconds a consumer waits for the runtime socket before its start fails (systemd's default
# start timeout is 90 s, so the wait ends first and says why).
WAIT_SECONDS = 60

# A systemd unit name: what `systemctl` accepts, without a path.
UNIT_NAME_RE = re.compile(r'^[A-Za-z0-9:_.@\\-]{1,200}$')
UNIT_SUFFIXES = ('.service', '.socket', '.target', '.timer', '.path', '.mount')

# The units that serve each runtime's socket, in the order a node has them.
RUNTIME_UNITS = {
    'containerd': ('containerd.service',),
    'k3s': K3S_SERVICES['k3s'],
    'rke2': K3S_SERVICES['rke2'],
    'k0s': ('k0sworker.service', 'k0scontroller.service'),
    'crio': ('crio.service',),
    'docker': ('cri-docker.service', 'cri-dockerd.service', 'docker.service'),
}


def unit_name(name):
    """A consumer as a unit name ('spegel' -> 'spegel.service'), or None when it is not a unit name."""
    if not isinstance(name, str) or not UNIT_NAME_RE.match(name) or name.startswith('-'):
        return None
    return name if name.endswith(UNIT_SUFFIXES) else name + '.service'


def dropin_path(unit):
    return posixpath.join(UNIT_DIR, unit + '.d', DROPIN_NAME)


def runtime_socket(ev, runtime):
    """The socket the node's runtime itself listens on (None when the runtime is unknown).

    containerd: its config's `[grpc] address`, else the default; k3s/RKE2/k0s/CRI-O/docker:
    their fixed sockets; anything else: kubelet's runtime endpoint.
    """
    runtime = runtime or {}
    name = runtime.get('name')
    if name == 'containerd':
        return containerd_facts.socket_of(ev)
    if name in DEFAULT_ENDPOINTS:
        return DEFAULT_ENDPOINTS[name]
    return endpoint_path(runtime.get('endpoint'))


def runtime_units(ev, runtime):
    """The runtime's systemd units that exist on the node (the first known one when none is seen)."""
    names = RUNTIME_UNITS.get((runtime or {}).get('name')) or ()
    seen = [u for u in names if ev.unit(u)]
    active = [u for u in seen if ev.unit_active(u)]
    return active or seen or list(names[:1])


def socket_stat(ev, path):
    """The lstat dict of a socket path in the evidence ({} when not looked at)."""
    return (ev.socket(path) or {}).get('stat') or {}


def socket_kind(ev, path):
    """What is at ``path``: socket, symlink (to a socket), dangling (a link to nothing),
    missing, file, dir, other, or None (not in the evidence)."""
    entry = ev.socket(path)
    if entry is None:
        return None
    st = entry.get('stat') or {}
    kind = st.get('type')
    if kind in (None, 'missing'):
        return 'missing'
    if kind == 'symlink':
        resolved = st.get('resolved_type')
        if resolved == 'socket':
            return 'symlink'
        return 'dangling' if resolved in (None, 'missing') else resolved
    if kind in ('socket', 'file', 'dir'):
        return kind
    return 'other'


def link_target(ev, path):
    """Where the symlink at ``path`` points, made absolute (None when it is no symlink)."""
    st = socket_stat(ev, path)
    if st.get('type') != 'symlink' or not st.get('target'):
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), st['target']))


def mode_of(st):
    try:
        return int(str(st.get('mode')), 8)
    except (TypeError, ValueError):
        return None


def groups(ev):
    """{name: gid} from the node's /etc/group (empty when it was not read)."""
    text = ev.text(GROUP_DB) or ''
    out = {}
    for line in text.splitlines():
        parts = line.split(':')
        if len(parts) >= 3 and parts[0] and parts[2].isdigit() and not line.startswith('#'):
            out.setdefault(parts[0], int(parts[2]))
    return out


def group_gid(ev, group):
    """(gid, None) for a group name or number, or (None, why) when the node has no such group."""
    if isinstance(group, bool):
        return None, '%r is not a group name or number' % (group,)
    if isinstance(group, int) or (isinstance(group, str) and group.isdigit()):
        return int(group), None
    if not isinstance(group, str) or not group:
        return None, '%r is not a group name or number' % (group,)
    table = groups(ev)
    if not table:
        return None, '%s was not read, so the group %r cannot be resolved to a gid' % (GROUP_DB, group)
    if group not in table:
        return None, 'no group %r in %s on this node' % (group, GROUP_DB)
    return table[group], None


def selinux_type(label):
    parts = str(label or '').split(':')
    return parts[2] if len(parts) >= 3 else None


def fcontext_rule(socket_path):
    """The semanage file-context pattern for a socket's directory (that directory only)."""
    directory = posixpath.dirname(socket_path)
    return '%s(/.*)?' % re.sub(r'([.^$*+?{}\[\]\\|()])', r'\\\1', directory)


def selinux_commands(socket_path):
    """argv lists that give the socket's directory its policy type: a persistent rule (added, or
    modified when one exists), then a relabel of that directory and the socket only (no -R,
    never -F on the runtime trees)."""
    rule = fcontext_rule(socket_path)
    return [
        ['/bin/sh', '-c', 'semanage fcontext -a -t "$1" "$2" 2>/dev/null || semanage fcontext -m -t "$1" "$2"',
         'semanage', SELINUX_TYPE, rule],
        ['restorecon', '-v', posixpath.dirname(socket_path), socket_path],
    ]


def pod_values(socket_path, certs_dir):
    """What a pod consumer (Spegel's Helm values) sets to reach this runtime."""
    return {
        'containerdSock': socket_path,
        'containerdRegistryConfigPath': certs_dir,
        'seLinuxOptions': {'type': POD_SELINUX_TYPE},
    }


def wait_command(socket_path, seconds=WAIT_SECONDS):
    """ExecStartPre= value that waits (bounded) for the runtime socket; `$$` and `%%` are systemd escapes."""
    path = socket_path.replace('%', '%%')
    return ("/bin/sh -c 'i=0; while [ ! -S %s ]; do i=$$((i+1)); if [ $$i -gt %d ]; then "
            "echo kubenode.pullfix: %s did not appear within %d s >&2; exit 1; fi; sleep 1; done'"
            % (path, seconds, path, seconds))


def verify_dropin_argv(unit):
    """Validator (argv with %s) for a drop-in candidate: `systemd-analyze verify` of the unit with the
    candidate in place of the drop-in, failing also when systemd complains about the drop-in itself."""
    script = ('d=$(mktemp -d) || exit 1; trap \'rm -rf "$d"\' EXIT; mkdir "$d/$1.d" && cp "$0" "$d/$1.d/$2" || exit 1; '
              'out=$(SYSTEMD_UNIT_PATH="$d:" systemd-analyze verify "$1" 2>&1); rc=$?; '
              '[ -n "$out" ] && echo "$out" >&2; [ $rc -eq 0 ] || exit $rc; '
              'case "$out" in *"$1.d/$2"*) exit 1;; esac')
    return ['/bin/sh', '-c', script, '%s', unit, DROPIN_NAME]


def certs_dir(ev, runtime):
    """The certs.d directory the runtime reads (its config_path), where a pod such as Spegel writes mirrors."""
    name = (runtime or {}).get('name')
    if name in ('k3s', 'rke2'):
        return '/var/lib/rancher/%s/agent/etc/containerd/certs.d' % name
    from .. import parse  # read as containerd reads it
    text = ev.text(containerd_facts.config_file(ev))
    data = {}
    if text:
        try:
            data = parse.load_toml(text.lstrip('\ufeff'))[0]
        except parse.ParseError:
            data = {}
    plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
    for uri in (containerd_facts.IMAGES_V3, containerd_facts.CRI_V2):
        registry = (plugins.get(uri) or {}).get('registry') if isinstance(plugins.get(uri), dict) else None
        value = registry.get('config_path') if isinstance(registry, dict) else None
        if isinstance(value, str) and value.startswith('/'):
            return value.split(':')[0]
    return containerd_facts.CERTS_D
