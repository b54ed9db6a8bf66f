"""The console's style sheet, icons and desktop entry: data only, installed as the package
``easymo_resources`` (see setup.py) and read by ``app.resources``."""
