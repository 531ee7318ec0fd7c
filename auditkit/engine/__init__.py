"""Evaluation: build one case frame per request, judge every rule over it, keep codes.

`cases` runs the catalogue's features, `judge` decides status and reason of one
rule for all requests, `evaluate` runs the catalogue, `result` holds what came
out, and `tabulate` turns it into the contract's tables.
"""
