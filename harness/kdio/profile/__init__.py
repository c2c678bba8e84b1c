"""Where a counted case's cost goes: the profiler's counts made into profiles."""
