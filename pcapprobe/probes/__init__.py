"""Probe catalog, argument structs and the translators that fill them."""
