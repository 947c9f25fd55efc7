"""UPR and treaty follow-up: vocabularies, parsing helpers and the shadow-report table.

- :mod:`tracker.upr.vocab` — positions, theme labels, recommending states, statuses;
- :mod:`tracker.upr.parse` — UHRI export records and UPR Info rows → one model;
- :mod:`tracker.upr.combine` — one document per recommendation across both inputs;
- :mod:`tracker.upr.export` — streaming the UHRI bulk export;
- :mod:`tracker.upr.report` — report rows as Markdown or CSV.

Pure code: no database (see :mod:`tracker.store.upr`) and no network.
"""
