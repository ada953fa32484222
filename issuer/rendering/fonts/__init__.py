"""DejaVu Sans (regular and bold), shipped as package data so cards render the same everywhere.

The fonts are redistributed under the Bitstream Vera / DejaVu licence in LICENSE-DejaVu.txt.
"""
