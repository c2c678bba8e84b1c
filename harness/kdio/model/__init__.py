"""What a run is made of, as data: suites and kernels (config), the kinds of case (family), wall or counted (measure), backends, sizes, statistics, the latency histogram's math."""
