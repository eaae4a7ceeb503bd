# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which requests a Go runtime (containerd, k3s, RKE2, CRI-O) sends through its proxy.

The rules of golang.org/x/net/http/httpproxy (net/http ProxyFromEnvironment), read from its
source (proxy.go: FromEnvironment, useProxy, config.init, ipMatch, cidrMatch, domainMatch):
- HTTP_PROXY / HTTPS_PROXY / NO_PROXY, each upper case first, the lower case name when the upper
  case one is empty; https URLs use HTTPS_PROXY, http URLs HTTP_PROXY.
- never proxied: "localhost" and loopback IPs (127.0.0.0/8, ::1), whatever NO_PROXY says.
- NO_PROXY is a comma list, trimmed and lower-cased: "*" bypasses everything; a CIDR matches
  the IPs it contains; an IP (optionally ip:port, [v6]:port) matches that IP (and port); a name
  "foo.com" matches foo.com and every subdomain, ".foo.com" and "*.foo.com" only subdomains;
  a port on a name entry must equal the request's port (443/80 when the URL has none).
- IP entries match only IP hosts and name entries only by name: 10.0.0.5 in NO_PROXY does not
  cover a mirror named by a host name that resolves to it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

VARIABLES = ('HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY')


def lookup(env, name):
    """Value Go reads for ``name`` (upper case first, then lower case), or ''."""
    return env.get(name) or env.get(name.lower()) or ''


def _ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _split_host_port(addr):
    if addr.startswith('['):
        host, _sep, rest = addr[1:].partition(']')
        return host, rest.lstrip(':')
    if addr.count(':') == 1:
        return tuple(addr.split(':', 1))
    return addr, ''


def proxy_for(env, scheme):
    """The proxy URL a request of ``scheme`` uses, or ''."""
    return lookup(env, 'HTTPS_PROXY' if scheme == 'https' else 'HTTP_PROXY')


def bypasses(no_proxy, hostport, scheme):
    """The NO_PROXY entry (or rule) that keeps a request to ``hostport`` off the proxy, or None."""
    host, port = _split_host_port(hostport)
    host = host.lower().strip()
    port = port or ('443' if scheme == 'https' else '80')
    ip = _ip(host)
    if host == 'localhost' or (ip is not None and ip.is_loopback):
        return 'loopback (Go never proxies it)'
    for raw in (no_proxy or '').split(','):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == '*':
            return entry
        if '/' in entry:
            try:
                net = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if ip is not None and ip.version == net.version and ip in net:
                return entry
            continue
        ehost, eport = entry, ''
        if entry.startswith('[') or entry.count(':') == 1:
            ehost, eport = _split_host_port(entry)
            if not ehost:
                continue
        eip = _ip(ehost)
        if eip is not None:
            if ip is not None and eip == ip and (not eport or eport == port):
                return entry
            continue
        if ehost.startswith('*.'):
            ehost = ehost[1:]
        match_host = not ehost.startswith('.')
        suffix = ehost if ehost.startswith('.') else '.' + ehost
        if (host.endswith(suffix) or (match_host and host == suffix[1:])) and (not eport or eport == port):
            return entry
    return None


def no_proxy_entry(hostport):
    """The NO_PROXY entry that covers exactly ``hostport``'s host (any port)."""
    host, _port = _split_host_port(hostport)
    return host.lower()
