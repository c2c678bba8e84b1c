"""A real boot with QEMU's virtio-crypto device: every driver and data path
verifies its ciphertext and decryption, the driver actually used is the one
asked for, and the crypto bad-input matrix gives its errnos."""

import pytest

from kdio.model import config
from kdio.paths import pathdef
from kdio.run import bench

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def crypto_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("crypto")
    return bench.run(bench.Options(suite="crypto-smoke", results_dir=out, run_id="crypto"),
                     log=print)


def test_every_driver_and_path_verified(crypto_run):
    doc, _ = crypto_run
    assert doc["status"] == "ok", doc["failure"]
    assert len(doc["results"]) == len(config.load_suite("crypto-smoke").cases)
    for r in doc["results"]:
        assert r["status"] == "ok", (r["case"], r["message"])
        assert r["metrics"]["verified"] == [1, 1, 1]
        p = r["params"]
        assert r["message"] == f"driver {pathdef.CRYPTO_DRIVERS[(p['alg'], p['driver'])]}"


def test_crypto_bad_inputs(crypto_run, summary):
    doc, _ = crypto_run
    check = next(c for c in doc["checks"] if c["name"] == "crypto-badinput")
    assert check["ok"], check["detail"]
    summary.append(f"crypto: {len(doc['results'])} verified cases; "
                   f"bad-input checks {check['detail']}")
