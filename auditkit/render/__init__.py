"""Presentation shared by every front end: one escaping kit, one stylesheet, one palette, charts.

Everything that puts data into HTML goes through `render.html`, which escapes
every value; the explorer, the report and the reports index all use it.
"""
