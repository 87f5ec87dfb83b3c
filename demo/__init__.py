"""The demo history: a deterministic, realistic ad catalog for demos, tests and benchmarks.

Its own app, apart from `campaigns`, because nothing in the product needs it: it imports the
catalog apps and none of them imports it. `cast` holds the fixed nodes, accounts, rules and ad
copy; `history` plans campaigns, ads, creatives and each image's hidden true quality, and
simulates the daily metrics as numpy arrays; `artwork` draws the images with Pillow. None of
them imports Django. `loader` writes a plan into the database and storage; the commands
`yenni_demo` and `yenni_demo_users` (management/commands/) are the way in.
"""
