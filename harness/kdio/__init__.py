"""kdio harness: builds the kdio modules, boots a Debian kernel in QEMU, runs
the measured paths beside their baselines and writes the results."""
