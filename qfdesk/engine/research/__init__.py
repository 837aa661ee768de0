"""Strategy research: parameter sweeps judged out of sample and corrected for the search."""
