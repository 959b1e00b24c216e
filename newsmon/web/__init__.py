"""newsmon's researcher view: SVG drawings of a story and the Datasette plugin that shows them.

`svg` is pure (view model in, SVG text out) and imports nothing of Datasette, so
the CLI writes the same drawings without the web stack.
"""
