"""The wording checker as a local web application (``python -m evidence serve``) for people who do
not use a terminal: paste or upload a draft, see each claim highlighted with its verdict, download
the draft annotated as .docx or HTML; the built report is served beside it at ``/report/``.

- ``checker``: a submission (pasted text or an uploaded file) read within limits and checked, with
  no web framework in it;
- ``app``: the Starlette application (the HTTP contract of ``POST /api/check``, the page, the
  report) and :func:`evidence.serve.app.serve`, which runs it with uvicorn.

Read-only: nothing is written under the data directory.

May import: the shared base, ``evidence.curation`` and ``evidence.wording``. Only ``cli`` imports it.
"""
