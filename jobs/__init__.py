"""Background work: the scheduler process, source fetchers and parsers, matching runs, delivery."""
