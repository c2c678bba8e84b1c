import pytest

from kdio.errors import ConfigError
from kdio.model.sizes import format_size, parse_size


@pytest.mark.parametrize("text,expected", [("512", 512), ("4k", 4096), ("64K", 65536),
                                           ("1m", 1 << 20), ("4MiB", 4 << 20), ("1g", 1 << 30),
                                           (8192, 8192)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "k", "1.5m", "-4k", "4t", "abc"])
def test_parse_size_rejects(text):
    with pytest.raises(ConfigError) as e:
        parse_size(text)
    assert e.value.hint


@pytest.mark.parametrize("n,text", [(512, "512"), (4096, "4k"), (1 << 20, "1m"),
                                    (4 << 20, "4m"), (1536, "1536"), (1 << 30, "1g")])
def test_format_size(n, text):
    assert format_size(n) == text
    assert parse_size(text) == n
