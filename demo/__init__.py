"""The demo history: a deterministic, realistic ad catalog for demos, tests and benchmarks.

Its own app, apart from `campaigns`, because nothing in the product needs it: it imports the
catalog apps and none of them imports it. Plain Python, no Django, except the loader:

- `cast` — the fixed nodes, accounts, mapping rules, raw objectives, ad copy and palettes;
- `plan` — the parameters and the plan's records; `market` — the numbers the history is
  drawn from (base rates, platform and objective factors, prices, flights);
- `history` — plans campaigns, creatives and ads; `images` — each image's artwork and hidden
  true quality; `artwork/` — draws the images with Pillow;
- `metrics` — simulates the daily rows and exchange rates; `truth` — the hidden-truth file;
- `loader` — writes a plan into the database and storage.

The commands `yenni_demo` and `yenni_demo_users` (management/commands/) are the way in.
"""
