"""A stand-in for qemu-system-x86_64 in unit tests: replays a console log
and, on request, writes guest records or hangs. Usage:
fake_qemu.py CONSOLE [--records SRC DEST] [--hang] [--exit N]"""

import shutil
import sys
import time

args = sys.argv[1:]
console = open(args[0]).read().splitlines()
records = args[args.index("--records") + 1:args.index("--records") + 3] if "--records" in args else None
for i, line in enumerate(console):
    print(line, flush=True)
    if records and i == len(console) // 2:
        shutil.copy(records[0], records[1])
if "--hang" in args:
    time.sleep(60)
sys.exit(int(args[args.index("--exit") + 1]) if "--exit" in args else 0)
