"""``make soak``: a bounded soak of the real stack at a fixed request rate (issue 8 §3).

An open-model load (requests start on schedule, not when the previous one returns) of reads, writes,
small imports and one review run, with each stack process's memory sampled throughout.
"""
