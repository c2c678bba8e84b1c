"""python3 -m kdio ... (run from harness/)."""
import sys

from kdio.cli import main

sys.exit(main())
