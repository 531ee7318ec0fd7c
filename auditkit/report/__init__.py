"""Periodic compliance reports: a parameterized notebook run by papermill into signable pages.

`store` knows the report folders (periods, manifests, failure records,
publishing), `runner` runs one report as a short script of named steps,
`content` reads a saved run back for the notebook, `sections` renders what the
report says, and `index` lists every period.
"""
