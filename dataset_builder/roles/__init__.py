"""Instrumentation roles of loops (drum, bass, other): the detector behind "selected" negatives."""
