"""The interactive explorer: ipywidgets in a notebook, served by Voilà.

`config` says which data to open, `controls` holds the small widget helpers,
one module per tab (`overview`, `findings`, `drilldown`, `whatif`) builds and
drives its widgets, `app` puts the tabs together, and `serve` runs Voilà.
"""
