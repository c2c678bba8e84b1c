"""The KTAP parser: the shapes kdio's tools print, and the negative controls:
every malformed document is refused, loudly."""

import pytest

from kdio.results import ktap

from ktap_samples import MALFORMED

BADINPUT = """\
KTAP version 1
1..3
# kdio-badinput: 3 checks
ok 1 bogus-pointer # expected=EFAULT got=EFAULT
# wrong-abi: the module said so
not ok 2 wrong-abi # expected=EDOM got=EPROTO
ok 3 write-on-read-only-fs # SKIP no -R ROFILE given
"""

FUZZ = """\
KTAP version 1
1..1
    KTAP version 1
    1..2
    # kdio-fuzz: seed 1, 10 iterations
    # kdio_dio: errnos OK=3 EINVAL=7
    ok 1 kdio_dio # calls=10 hangs=0 undocumented=0 crashes=0
    ok 2 kdio_crypto # SKIP /dev/kdio_crypto: No such file or directory; not fuzzed
# kdio-fuzz: seed 1, 10 iterations in 5 ms, 0 finding(s)
ok 1 kdio-fuzz # calls=10 distinct_errnos=1 hangs=0 undocumented=0 crashes=0
"""


def test_a_bad_input_table_parses_with_its_fields_diagnostics_and_skip():
    report = ktap.parse(BADINPUT)
    assert report.plan == 3 and [r.name for r in report.results] == [
        "bogus-pointer", "wrong-abi", "write-on-read-only-fs"]
    first, wrong, skip = report.results
    assert first.passed and first.fields == {"expected": "EFAULT", "got": "EFAULT"}
    assert first.diagnostics == ("kdio-badinput: 3 checks",)
    assert not wrong.ok and wrong.fields["got"] == "EPROTO"
    assert wrong.diagnostics == ("wrong-abi: the module said so",)
    assert skip.ok and skip.skipped and not skip.passed
    assert skip.reason == "no -R ROFILE given" and skip.fields == {}
    assert ktap.failures(report) == [wrong]


def test_the_fuzzer_nests_one_test_per_interface_under_the_run():
    report = ktap.parse(FUZZ)
    run, = report.results
    assert run.name == "kdio-fuzz" and run.fields["calls"] == "10"
    assert run.diagnostics == ("kdio-fuzz: seed 1, 10 iterations in 5 ms, 0 finding(s)",)
    assert [r.name for r in ktap.leaves(report)] == ["kdio_dio", "kdio_crypto"]
    assert [r.name for r in ktap.walk(report)] == ["kdio_dio", "kdio_crypto", "kdio-fuzz"]
    assert ktap.leaves(report)[0].diagnostics[1] == "kdio_dio: errnos OK=3 EINVAL=7"
    assert ktap.failures(report) == []


def test_two_space_indentation_nests_too():
    text = "KTAP version 1\n1..1\n  KTAP version 1\n  1..1\n  ok 1 a\nok 1 b\n"
    assert [r.name for r in ktap.walk(ktap.parse(text))] == ["a", "b"]


def test_a_failed_subtest_is_named_not_its_parent():
    text = FUZZ.replace("    ok 1 kdio_dio # calls=10 hangs=0 undocumented=0",
                        "    not ok 1 kdio_dio # calls=10 hangs=0 undocumented=2")
    text = text.replace("ok 1 kdio-fuzz", "not ok 1 kdio-fuzz")
    assert [r.name for r in ktap.failures(ktap.parse(text))] == ["kdio_dio"]


def test_a_failed_parent_with_passing_subtests_is_named():
    text = FUZZ.replace("ok 1 kdio-fuzz", "not ok 1 kdio-fuzz")
    assert [r.name for r in ktap.failures(ktap.parse(text))] == ["kdio-fuzz"]


def test_an_error_directive_fails():
    text = "KTAP version 1\n1..1\nnot ok 1 kdio-fuzz # ERROR scratch failed with ENOTDIR\n"
    r, = ktap.failures(ktap.parse(text))
    assert r.directive == "ERROR" and r.reason == "scratch failed with ENOTDIR"


@pytest.mark.parametrize("text, says", MALFORMED)
def test_malformed_output_is_refused(text, says):
    with pytest.raises(ktap.KtapError) as e:
        ktap.parse(text)
    assert says in str(e.value) and "KTAP only" in e.value.hint


def test_an_empty_plan_is_ktap_with_no_test():
    # valid KTAP; kdio.results.results refuses a check that ran no test
    assert ktap.leaves(ktap.parse("KTAP version 1\n1..0\n")) == []
