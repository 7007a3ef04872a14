"""listening_test."""
