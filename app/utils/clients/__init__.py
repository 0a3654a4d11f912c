"""One module per upstream service; the only code that knows upstream URLs."""
