"""The ``jingzhun`` command: migrate, seed, run (embedded), serve/relay (stack), stack, synth, import."""
