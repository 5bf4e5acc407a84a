"""Speed and memory benchmarks, each measured against its peer implementation in the same run."""
