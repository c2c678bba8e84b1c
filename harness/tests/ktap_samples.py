"""Malformed KTAP documents and what the parser must say of each: shared by
the parser's tests (test_ktap.py) and the check's (test_results.py)."""

MALFORMED = [
    ("", "no 'KTAP version 1' header"),
    ("1..1\nok 1 a\n", "no 'KTAP version 1' header"),
    ("TAP version 13\n1..1\nok 1 a\n", "no 'KTAP version 1' header"),
    ('{"check": "a", "ok": true}\n', "no 'KTAP version 1' header"),
    ("KTAP version 1\nok 1 a\n", "no '1..N' plan"),
    ("KTAP version 1\n", "no '1..N' plan"),
    ("KTAP version 1\n1..3\nok 1 a\nok 2 b\n", "the plan says 1..3 but 2 result(s) follow"),
    ("KTAP version 1\n1..1\nok 1 a\nok 2 b\n", "the plan says 1..1 but 2 result(s) follow"),
    ("KTAP version 1\n1..2\nok 1 a\nok 3 b\n", "result numbered 3 where 2 was due"),
    ("KTAP version 1\n1..1\nok 1 a\nBail out!\n", "not a KTAP line: 'Bail out!'"),
    ("KTAP version 1\n1..1\nsome noise\nok 1 a\n", "not a KTAP line: 'some noise'"),
    ("KTAP version 1\n1..1\n    ok 1 a\nok 1 b\n", "indented line outside a subtest"),
    ("KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    ok 1 a\n",
     "a subtest has no result line of its own"),
    ("KTAP version 1\n1..1\n    KTAP version 1\n    1..2\n    ok 1 a\nok 1 b\n",
     "the plan says 1..2 but 1 result(s) follow"),
    ("KTAP version 1\n1..1\nok 1 a\nKTAP version 1\n1..1\nok 1 b\n", "not a KTAP line"),
]
