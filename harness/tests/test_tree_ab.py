"""A/B of two builds of one tree that differ in one option, through the gate.

A is linux-source-6.1 on tinyconfig with kdio's fragment (the tree smoke's
build); B is the same with CONFIG_CRYPTO_STATS=y, which makes every crypto
request count itself (two atomic updates and a reference taken and dropped
around each encrypt and decrypt). B is built from a copy of A: only the
objects that read the option are rebuilt. `kdio regress --kernel B
--base-kernel A` on the counted gate must flag the crypto paths where that
per-request work is a visible share of a message's cost (64-byte messages)
and must not flag storage, the channels or memcpy, which make no crypto
request; it exits 1. Both runs are profiled, and the differential profile
of a flagged 64-byte case puts its change on the crypto statistics."""

import json
from pathlib import Path

import pytest

from kdio import cli
from kdio.profile import diff
from kdio.report import profile as profile_report
from kdio.kernel import kbuild, kconfig
from kdio.model import config

pytestmark = pytest.mark.integration

SOURCE = Path("/usr/src/linux-source-6.1.tar.xz")
SETTING = "CONFIG_CRYPTO_STATS=y"
SMALL = "crypto.zerocopy/alg=cbc/driver={}/key=128/msg=64/count=500/qd=1"


@pytest.fixture(scope="module")
def pair():
    if not SOURCE.is_file():
        pytest.fail(f"{SOURCE} is missing: install linux-source-6.1 (ci/bootstrap.sh does)")
    a = kbuild.build(kbuild.plan(SOURCE, base="tinyconfig", log=print), log=print)
    b = kbuild.build(kbuild.plan(SOURCE, base="tinyconfig", settings=[SETTING], log=print),
                     log=print)
    return a, b


@pytest.fixture(scope="module")
def ab(pair, tmp_path_factory):
    a, b = pair
    out = tmp_path_factory.mktemp("ab")
    rc = cli.main(["regress", "--suite", "ci", "--kernel", str(b), "--base-kernel", str(a),
                   "--results-dir", str(out), "--run-id", "ab", "--profile"])
    return rc, json.loads((out / "ab-new" / "compare.json").read_text()), out


def _stamp_objects(tree):
    lines = (tree / kbuild.STAMP).read_text().splitlines()
    return int(next(ln.split()[1] for ln in lines if ln.startswith("objects ")))


def test_b_is_a_with_that_one_option_rebuilt_from_a(pair):
    a, b = pair
    config_a = kconfig.read_config(a / ".config")
    config_b = kconfig.read_config(b / ".config")
    changed = {k for k in config_a.keys() | config_b.keys() if config_a.get(k) != config_b.get(k)}
    assert changed == {"CONFIG_CRYPTO_STATS"}
    assert f"set {SETTING}\n" in (b / kbuild.STAMP).read_text()
    # a copy of A, of which kbuild remade only what reads the option: a
    # tenth of the objects at most (A has about 1,400)
    assert 0 < _stamp_objects(b) < _stamp_objects(a) / 10


def test_the_gate_flags_crypto_requests_and_nothing_else(ab):
    rc, result, _ = ab
    print("\n".join(f"{c['case']}: {c['change']:+.4f}" for c in result["cases"]))
    assert len(result["cases"]) == len(config.load_suite("ci").cases)
    assert rc == 1
    flagged = result["regressions"]
    assert SMALL.format("aesni") in flagged and SMALL.format("generic") in flagged
    unrelated = [c for c in flagged if not c.startswith(("crypto.", "base.afalg/"))]
    assert unrelated == [], "storage, channels and memcpy make no crypto request"
    assert result["improvements"] == []


def test_the_flag_is_put_on_the_crypto_statistics(ab):
    """CRYPTO_STATS adds crypto_stats_* calls around each request: the
    differential profile of the 64-byte AES-NI case names one of them among
    its top changes, and the crypto API's functions (the layer "crypto")
    account for most of the change."""
    _, _, out = ab
    d = diff.explain(diff.home(out / "ab-base"), diff.home(out / "ab-new"), SMALL.format("aesni"))
    print(profile_report.render_explain(d))
    assert d["delta"] > 0
    assert any(c.symbol.startswith("crypto_stats") for c in d["changes"]), d["changes"]
    crypto = sum(c.delta for c in d["changes"] if c.layer == "crypto")
    assert crypto >= 0.5 * d["delta"], (crypto, d["delta"])
