"""The interactive explorer: ipywidgets in a notebook, served by Voilà (or JupyterLab).

`workspace` is what is explored (tables in memory, or a cached evaluation whose
heavy steps `isolate` runs in worker processes), `config` says which data to
open, `controls` and `grid` are the widget helpers and the clickable table,
one module per tab (`overview`, `findings` with `filters` and `exports`,
`drilldown`, `member`, `whatif` with `scenarios`) builds and drives its
widgets, `app` puts the tabs together, `launch` starts Voilà with the request
`handlers` (who gets in) and `sessions` (how many kernels), `lab` runs
JupyterLab on a workspace copy of the notebook.
"""
