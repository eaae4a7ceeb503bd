# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""STAND-IN FOR SPEGEL, used only by the runtime_socket Molecule scenario.

Spegel cannot be installed on the offline test nodes. Like Spegel's containerd client, this
consumer dials the runtime socket at the conventional path (Spegel's default containerdSock,
/run/containerd/containerd.sock) and makes a real CRI call (RuntimeService/Version) with
kubenode.pullfix's own standard-library CRI client, then asks again every few seconds. It
exits 1 on the first failure, as a consumer that cannot reach the runtime does, so systemd
and the journal show the error ("no such file or directory", "permission denied").
"""
import sys
import time

sys.path.insert(0, "/usr/local/lib/spegel-standin")
from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri  # noqa: E402

ENDPOINT = "unix:///run/containerd/containerd.sock"


def main(argv):
    endpoint = next((a for a in argv if a.startswith("unix://")), ENDPOINT)
    once = "--once" in argv
    while True:
        try:
            answer = _cri.version(endpoint, timeout=5)
        except _cri.CriError as exc:
            print("spegel-standin: CRI Version failed at %s: %s (%s)" % (endpoint, exc.message, exc.kind), flush=True)
            return 1
        print("spegel-standin: CRI Version answered at %s: %s %s" % (
            endpoint, answer.get("runtime_name"), answer.get("runtime_version")), flush=True)
        if once:
            return 0
        time.sleep(5)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
