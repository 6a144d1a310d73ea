"""Jingzhun infrastructure kit: settings, DB, events, auth, errors, metrics, shared domain helpers."""
