"""The only code that touches the output directory: writer, manifest, swap."""
