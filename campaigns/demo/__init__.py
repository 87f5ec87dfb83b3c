"""The demo history: a deterministic, realistic ad catalog for demos, tests and benchmarks.

`cast` holds the fixed nodes, accounts, rules and ad copy; `history` plans campaigns, ads,
creatives and each image's hidden true quality, and simulates the daily metrics as numpy
arrays; `artwork` draws the images with Pillow. None of them imports Django. `loader` writes a
plan into the database and storage; `progress` is the command's progress bar.
"""
