"""Kernels and what is built against them: Debian's packages, kernel sources and trees, kbuild, the config fragment, kdio's modules and tools, the user's drivers."""
