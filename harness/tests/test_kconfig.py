"""The kernel config fragment (harness/kconfig/fragment.toml) and the checks
of .config files against it, on small fake .config files."""

import tomllib

import pytest

from kdio.kernel import kconfig
from kdio.model import backends, config
from kdio.paths import paths
from kdio.errors import ConfigError, KconfigError

FIXED_NEEDS = {"guest", "kdio modules", "crypto device", "fragment"}

SMALL_FRAGMENT = '''
guest_modules = ["virtio_blk"]
[[option]]
name = "CONFIG_VIRTIO_BLK"
value = "y"
accept = ["y", "m"]
needed_by = "guest"
[[option]]
name = "CONFIG_BLK_DEV_RAM"
value = "m"
needed_by = "backend brd"
why = "sized by module parameters"
[[option]]
name = "CONFIG_BLK_DEV_RAM"
value = "m"
needed_by = "backend ext4-brd"
[[option]]
name = "CONFIG_CRYPTO_AEAD2"
value = "y"
set_by = "CONFIG_CRYPTO_AEAD=y"
needed_by = "kdio modules"
[[option]]
name = "CONFIG_IO_URING"
value = "y"
needed_by = "path fio.io_uring"
'''


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "fragment.toml"
    path.write_text(SMALL_FRAGMENT)
    return kconfig.load_fragment(path)


def test_parse_config_reads_set_unset_and_strings():
    text = ("# comment\nCONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\n"
            'CONFIG_D="-kdio"\nCONFIG_E=0x10\nCONFIG_C=y\n# CONFIG_A is not set\n')
    assert kconfig.parse_config(text) == {"CONFIG_B": "m", 'CONFIG_D': '"-kdio"',
                                          "CONFIG_E": "0x10", "CONFIG_C": "y"}


def test_accept_defaults_to_the_value_alone(small):
    virtio, brd = small.options[0], small.options[1]
    assert virtio.satisfied_by({"CONFIG_VIRTIO_BLK": "m"})
    assert brd.satisfied_by({"CONFIG_BLK_DEV_RAM": "m"})
    assert not brd.satisfied_by({"CONFIG_BLK_DEV_RAM": "y"})
    assert not brd.satisfied_by({})


def test_hidden_symbol_is_checked_by_name_and_added_by_its_setter(small):
    aead = small.options[3]
    assert aead.line == "CONFIG_CRYPTO_AEAD=y"
    assert aead.satisfied_by({"CONFIG_CRYPTO_AEAD2": "y", "CONFIG_CRYPTO_AEAD": "m"})
    assert not aead.satisfied_by({"CONFIG_CRYPTO_AEAD": "m", "CONFIG_CRYPTO_AEAD2": "m"})


def test_lacking_lists_each_line_once_with_everyone_who_needs_it(small):
    lacks = kconfig.lacking({"CONFIG_BLK_DEV_RAM": "y"}, small.options)
    assert [lack.describe() for lack in lacks] == [
        "CONFIG_VIRTIO_BLK=y needed by guest (not set)",
        "CONFIG_BLK_DEV_RAM=m needed by backend brd, backend ext4-brd "
        "(now CONFIG_BLK_DEV_RAM=y)",
        "CONFIG_CRYPTO_AEAD=y needed by kdio modules (not set)",
        "CONFIG_IO_URING=y needed by path fio.io_uring (not set)"]


def test_lacking_keeps_to_the_needs_asked(small):
    lacks = kconfig.lacking({}, small.options, {"guest"})
    assert [lack.line for lack in lacks] == ["CONFIG_VIRTIO_BLK=y"]


def suite(name):
    return config.load_suite(name)


def test_needs_of_a_suite_follow_its_backends_paths_and_device():
    smoke = kconfig.needs_of(suite("smoke"))
    assert {"guest", "kdio modules", "backend ext4", "path fio.psync"} <= smoke
    assert "backend brd" not in smoke and "crypto device" not in smoke
    assert "crypto device" in kconfig.needs_of(suite("crypto"))
    assert "path fio.io_uring" in kconfig.needs_of(suite("dio-full"))


def test_tree_check_names_every_missing_option_with_its_line(tmp_path):
    cfg = tmp_path / ".config"
    cfg.write_text("CONFIG_64BIT=y\nCONFIG_MODULES=y\nCONFIG_BLK_DEV_RAM=y\n")
    with pytest.raises(KconfigError) as e:
        kconfig.check_tree_config(kconfig.read_config(cfg), kconfig.load_fragment(),
                                  suite("dio-full"), cfg)
    msg = str(e.value)
    assert f"{cfg} lacks" in msg and "suite dio-full needs" in msg
    assert "CONFIG_BLK_DEV_RAM=m needed by backend brd" in msg
    assert "CONFIG_PVH=y needed by guest (not set)" in msg
    assert "CONFIG_RELAY=y needed by kdio modules" in msg
    assert "CONFIG_64BIT" not in msg and "CONFIG_MODULES=" not in msg
    assert "make olddefconfig" in e.value.hint and "kdio kernel config" in e.value.hint


def test_a_crypto_option_is_not_asked_of_a_suite_without_the_device(tmp_path, fixtures):
    lines = (fixtures / "kconfig/debian-6.1.config").read_text()
    cfg = tmp_path / ".config"
    cfg.write_text(lines.replace("CONFIG_CRYPTO_DEV_VIRTIO=m", ""))
    fragment = kconfig.load_fragment()
    kconfig.check_tree_config(kconfig.read_config(cfg), fragment, suite("smoke"), cfg)
    with pytest.raises(KconfigError, match="CONFIG_CRYPTO_DEV_VIRTIO=y needed by crypto device"):
        kconfig.check_tree_config(kconfig.read_config(cfg), fragment, suite("crypto"), cfg)


@pytest.mark.parametrize("name", sorted(p.stem for p in config.SUITES_DIR.glob("*.toml")))
def test_debian_61_config_has_what_every_suite_needs(fixtures, name):
    """Debian's 6.1 kernel runs every suite: the accepted values must allow it."""
    cfg = fixtures / "kconfig/debian-6.1.config"
    kconfig.check_tree_config(kconfig.read_config(cfg), kconfig.load_fragment(), suite(name),
                              cfg)


def test_merge_check_reports_dropped_options(small, tmp_path):
    merged = {"CONFIG_VIRTIO_BLK": "y", "CONFIG_BLK_DEV_RAM": "m", "CONFIG_CRYPTO_AEAD2": "y"}
    with pytest.raises(KconfigError) as e:
        kconfig.check_merged(merged, small, tmp_path / ".config")
    assert "1 option(s) of kdio's fragment did not survive" in str(e.value)
    assert "CONFIG_IO_URING=y needed by path fio.io_uring (not set)" in str(e.value)
    assert "dependency" in e.value.hint


def test_render_is_a_config_fragment_with_one_line_per_option(small):
    text = kconfig.render(small)
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert lines == ["CONFIG_VIRTIO_BLK=y", "CONFIG_BLK_DEV_RAM=m", "CONFIG_CRYPTO_AEAD=y",
                     "CONFIG_IO_URING=y"]
    assert ("# needed by backend brd, backend ext4-brd: sized by module parameters\n"
            "CONFIG_BLK_DEV_RAM=m") in text
    assert kconfig.fragment_lines(small) == lines


def test_the_fragment_file_is_well_formed():
    fragment = kconfig.load_fragment()
    scopes = (FIXED_NEEDS | {f"backend {b}" for b in backends.BACKENDS}
              | {f"path {p}" for p in paths.PATHS})
    for req in fragment.options:
        assert req.needed_by in scopes, req
        assert req.value in (req.accept or (req.value,)), req
    names = {req.name for req in fragment.options}
    for needed in ("CONFIG_PVH", "CONFIG_VIRTIO_PCI", "CONFIG_VIRTIO_BLK", "CONFIG_EXT4_FS",
                   "CONFIG_NET_9P_VIRTIO", "CONFIG_9P_FS", "CONFIG_DEVTMPFS", "CONFIG_TMPFS",
                   "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_MODULES", "CONFIG_BLK_DEV_RAM",
                   "CONFIG_CRYPTO_USER_API_SKCIPHER", "CONFIG_CRYPTO_USER_API_AEAD",
                   "CONFIG_CRYPTO_DEV_VIRTIO", "CONFIG_CRYPTO_AES_NI_INTEL", "CONFIG_CRYPTO_GCM",
                   "CONFIG_CRYPTO_CTR", "CONFIG_CRYPTO_GHASH", "CONFIG_CRYPTO_USER",
                   "CONFIG_RELAY", "CONFIG_DEBUG_FS", "CONFIG_IO_URING", "CONFIG_AIO"):
        assert needed in names


def test_guest_modules_match_the_debian_kernel_files():
    fragment = kconfig.load_fragment()
    for path in config.KERNELS_DIR.glob("*.toml"):
        data = tomllib.loads(path.read_text())
        if "guest_modules" in data and "release" in data:
            assert tuple(data["guest_modules"]) == fragment.guest_modules, path


def test_fragment_errors_say_what_to_fix(tmp_path):
    bad = tmp_path / "f.toml"
    bad.write_text('[[option]]\nname = "CONFIG_X"\nvalue = "y"\nneeded_by = "guest"\nwho = 1\n')
    with pytest.raises(ConfigError, match="unexpected keyword") as e:
        kconfig.load_fragment(bad)
    assert "needed_by" in e.value.hint
    bad.write_text('[[option]]\nname = "X"\nvalue = "y"\nneeded_by = "guest"\n')
    with pytest.raises(ConfigError, match="not a kernel option"):
        kconfig.load_fragment(bad)


def test_kdio_kernel_config_prints_the_fragment(capsys):
    from kdio import cli
    assert cli.main(["kernel", "config"]) == 0
    out = capsys.readouterr().out
    assert out == kconfig.render(kconfig.load_fragment())
    assert "CONFIG_BLK_DEV_RAM=m" in out.splitlines()

