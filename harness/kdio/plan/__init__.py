"""A suite turned into what the guest runs: the plan, the regions of each backend, the split across guests."""
