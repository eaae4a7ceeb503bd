"""Fixtures every scenario's testinfra tests share (pytest loads this for molecule/*/tests/)."""
import pytest


class Witness:
    """What a unit (a registry) logged after this point: a journal cursor, not wall time."""

    def __init__(self, host, unit):
        self.host, self.unit = host, unit
        out = host.check_output("journalctl -u %s -n 0 --show-cursor --no-pager" % unit)
        self.cursor = out.strip().rsplit("cursor: ", 1)[-1]

    def saw(self, path):
        log = self.host.check_output("journalctl -u %s --after-cursor '%s' --no-pager -o cat" % (self.unit, self.cursor))
        return path in log


@pytest.fixture(scope="module")
def witness(host):
    """witness(unit) starts watching what that unit logs from now on; .saw(text) asks."""
    return lambda unit: Witness(host, unit)
